#!/bin/bash
# exit_codes.sh EXFILMON SOURCE_ROOT - runs every row of exit_codes.tsv:
# the exit status must be the row's, and standard error must match the
# row's extended regular expression.  Rows needing root (or a non-root
# user to be made) are skipped, with a note, when that is not possible.
# The check rows' standard output is not compared (check_cases.sh does).
# Exits 0 when every runnable row passed, 1 otherwise.
set -u
exe=$1; root=$2
table=$root/tests/cli/exit_codes.tsv
T=$(mktemp -d /tmp/xm-exit.XXXXXX)
trap 'kill $PINGPID 2>/dev/null; rm -rf "$T"' EXIT
PINGPID=

# Scratch files the rows name.
head -c 3000 "$root/pcaps/eth.pcap" > "$T/cut.pcap"          # record 13 cut short
printf 'limits { max_flows = 1 }\n' > "$T/bad.conf"
printf 'rule 1 "x" { when bytes_out > }\n' > "$T/bad.rules"
cat > "$T/good.conf" <<CONF
outputs { alerts = "$T/alerts.json"; flows = "$T/flows.json" }
rules = "$root/rules/default.rules"
http = "127.0.0.1:0"
CONF

subst() { local s=${1//@P@/$root/pcaps}; s=${s//@T@/$T}; printf '%s' "${s//@S@/$root}"; }

can_root() { [ "$(id -u)" = 0 ]; }
pass=0; fail=0; skip=0
while IFS=$'\t' read -r name want re needs stdin args; do
    case $name in ''|'#'*) continue ;; esac
    pre=()
    case $needs in
    root) can_root || { echo "SKIP $name (needs root)"; skip=$((skip+1)); continue; } ;;
    nonroot-capture)
        can_root && command -v setpriv >/dev/null ||
            { echo "SKIP $name (needs root and setpriv to become nobody)"; skip=$((skip+1)); continue; }
        pre=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all) ;;
    lo-traffic)
        can_root || { echo "SKIP $name (needs root)"; skip=$((skip+1)); continue; }
        # UDP datagrams to the discard port on loopback, 10 a second.
        ( for _ in $(seq 200); do echo x 2>/dev/null > /dev/udp/127.0.0.1/9; sleep 0.1; done ) &
        PINGPID=$! ;;
    esac
    in=/dev/null
    [ "$stdin" = - ] || in=$(subst "$stdin")
    eval "set -- $(subst "$args")"
    timeout 20 "${pre[@]}" "$exe" "$@" < "$in" > "$T/out" 2> "$T/err"
    got=$?
    [ -n "$PINGPID" ] && { kill "$PINGPID" 2>/dev/null; wait "$PINGPID" 2>/dev/null; PINGPID=; }
    re=$(subst "$re")
    ok=1
    [ "$got" = "$want" ] || ok=0
    if [ "$re" != - ] && ! grep -Eq -- "$re" "$T/err"; then ok=0; fi
    if [ $ok = 1 ]; then
        echo "ok   $name (exit $got)"; pass=$((pass+1))
    else
        echo "FAIL $name: exit $got, want $want; stderr should match: $re"
        sed 's/^/     | /' "$T/err" | head -5
        fail=$((fail+1))
    fi
done < "$table"
echo "exit codes: $pass passed, $fail failed, $skip skipped"
[ $fail = 0 ]
