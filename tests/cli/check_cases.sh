#!/bin/bash
# check_cases.sh EXFILMON SOURCE_ROOT - runs every row of check_cases.tsv:
# writes the row's configuration to a file, runs `exfilmon --check -c`
# on it, and compares the exit status, standard error and standard output
# with the row.  Rows about another user's permissions need root (to make
# a directory nobody may not write); without root they are skipped.
set -u
exe=$(realpath "$1"); root=$2
table=$root/tests/cli/check_cases.tsv
T=$(mktemp -d /tmp/xm-check.XXXXXX)
trap 'rm -rf "$T"' EXIT
chmod 0755 "$T"
: > "$T/afile"
mkdir -m 0750 "$T/closed"
mkdir -m 01777 "$T/open"; chmod 01777 "$T/open"
printf 'example.invalid\n203.0.113.7\n' > "$T/good.list"
printf 'rule 1 "x" { when bytes_out > }\n' > "$T/bad.rules"

subst() { local s=${1//@T@/$T}; printf '%s' "${s//@S@/$root}"; }
pass=0; fail=0; skip=0
# kafka_* rows need the Kafka sink (built with librdkafka, -Dkafka)
kafka=0; "$exe" --version | grep -q librdkafka && kafka=1
while IFS=$'\t' read -r name want ere ore conf args; do
    case $name in ''|'#'*) continue ;; esac
    case $name in kafka_*)
        [ $kafka = 1 ] || { echo "SKIP $name (built without librdkafka)"; skip=$((skip+1)); continue; } ;;
    esac
    case $conf in *nobody*)
        [ "$(id -u)" = 0 ] || { echo "SKIP $name (needs root)"; skip=$((skip+1)); continue; } ;;
    esac
    printf '%b\n' "$(subst "$conf")" > "$T/t.conf"
    set --
    [ "$args" = - ] || eval "set -- $(subst "$args")"
    case " $* " in *" --rules "*) ;; *) set -- "$@" --rules "$root/rules/default.rules" ;; esac
    (cd "$T" && timeout 20 "$exe" --check -c t.conf "$@") > "$T/out" 2> "$T/err"
    got=$?
    ok=1; why=
    [ "$got" = "$want" ] || { ok=0; why="exit $got, want $want"; }
    ere=$(subst "$ere"); ore=$(subst "$ore")
    if [ "$ere" != - ] && ! grep -Eq -- "$ere" "$T/err"; then ok=0; why="$why; stderr lacks: $ere"; fi
    if [ "$ore" != - ] && ! grep -Eq -- "$ore" "$T/out"; then ok=0; why="$why; stdout lacks: $ore"; fi
    if [ $ok = 1 ]; then
        echo "ok   $name (exit $got)"; pass=$((pass+1))
    else
        echo "FAIL $name: $why"; sed 's/^/     | /' "$T/err" | tail -5
        fail=$((fail+1))
    fi
done < "$table"
echo "--check table: $pass passed, $fail failed, $skip skipped"
[ $fail = 0 ]
