#!/bin/sh
# snapshot_outputs.sh EXFILMON OUTDIR [CORPUS_DIR] - replays every bundled
# capture (pcaps/), every generated scenario (tools/gen_*scenarios.py) and,
# when given, every capture under CORPUS_DIR, writing flow records, alerts
# (per-rule alerts, --alert-mode alerts) and the end-of-run summary line of
# each into OUTDIR.  Two snapshots taken
# with two binaries compare with `diff -r`: the check behind "a refactor
# changes no output".  Exit status is 0 even when a replay exits non-zero
# (the status is recorded in OUTDIR too).
set -u
exe=$1
out=$2
corpus=${3:-}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
python3 "$root/tools/gen_scenarios.py" "$work" >/dev/null
python3 "$root/tools/gen_intel_scenarios.py" "$work" >/dev/null
python3 "$root/tools/gen_proc_scenarios.py" "$work" >/dev/null
# a fixed sensor name (EVE "host" since schema 2.0), not this machine's
# host name, so snapshots taken on two machines compare; binaries older
# than --sensor get no flag
fixed=
if "$exe" --help 2>/dev/null | grep -q -- '--sensor'; then
    fixed="--sensor snapshot"
fi
# per-rule alerts, as every binary wrote them before incidents became the
# default (binaries older than --alert-mode write only alerts): a snapshot
# compares alerts with alerts; incident rows of the manifest say their mode
if "$exe" --help 2>/dev/null | grep -q -- '--alert-mode'; then
    fixed="$fixed --alert-mode alerts"
fi
run() {   # run NAME FLAGS... -r FILE
    name=$1; shift
    rm -f "$out/$name.flows" "$out/$name.alerts"
    # shellcheck disable=SC2086  # fixed is empty or flags and their values
    "$exe" -q $fixed "$@" --flows "$out/$name.flows" --alerts "$out/$name.alerts" \
        2> "$out/$name.stderr.raw"
    echo "exit $?" >> "$out/$name.stderr.raw"
    # log lines carry wall-clock time and pid: compare what follows them
    sed 's/^[0-9T:.-]*Z exfilmon\[[0-9]*\]: [a-z]*: /exfilmon: /' "$out/$name.stderr.raw" \
        > "$out/$name.stderr"
    rm -f "$out/$name.stderr.raw"
}
for f in "$root"/pcaps/*.pcap "$root"/pcaps/*.pcapng; do
    [ -f "$f" ] && run "pcaps_$(basename "$f")" -r "$f"
done
tab=$(printf '\t')
grep -v '^#' "$root/tests/regress/manifest.tsv" |
while IFS="$tab" read -r pcap flags expected; do
    [ -n "$pcap" ] || continue
    case "$pcap" in pcaps/*) continue ;; esac
    flags=$(printf '%s' "$flags" | sed "s|@WORK@|$work|g")
    # shellcheck disable=SC2086
    run "scen_$(basename "$pcap")" $flags -r "$work/$pcap"
done
if [ -n "$corpus" ] && [ -d "$corpus" ]; then
    find "$corpus" -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) | sort |
    while read -r f; do
        run "corpus_$(echo "${f#$corpus/}" | tr '/' '_')" -r "$f"
    done
fi
