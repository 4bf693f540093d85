#!/bin/sh
# regen_golden.sh [BUILDDIR] - regenerates tests/regress/expected/*.json:
# writes the scenario captures with tools/gen_scenarios.py into a temporary
# directory and replays each row of tests/regress/manifest.tsv through
# BUILDDIR/src/exfilmon (default rule pack; each row says its --alert-mode
# when it checks per-rule alerts, incidents being the default).  Review the diff before
# committing: every changed line is a changed alert.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
exe=$build/src/exfilmon
[ -x "$exe" ] || { echo "regen_golden: no $exe (build first)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
python3 "$root/tools/gen_scenarios.py" "$work" >/dev/null
# intel.rules scenarios (tools/gen_intel_scenarios.py), same directory
python3 "$root/tools/gen_intel_scenarios.py" "$work" >/dev/null
# process.rules scenarios: pcap + ledger pairs (tools/gen_proc_scenarios.py)
python3 "$root/tools/gen_proc_scenarios.py" "$work" >/dev/null
mkdir -p "$root/tests/regress/expected"
tab=$(printf '\t')
grep -v '^#' "$root/tests/regress/manifest.tsv" |
while IFS="$tab" read -r pcap flags expected; do
    [ -n "$pcap" ] || continue
    rm -f "$root/tests/regress/$expected"   # exfilmon appends to --alerts
    # a leading pcaps/ names a bundled capture of the source tree
    case "$pcap" in pcaps/*) in=$root/$pcap ;; *) in=$work/$pcap ;; esac
    # process scenarios: @WORK@ in flags names the generated ledger
    flags=$(printf '%s' "$flags" | sed "s|@WORK@|$work|g")
    # shellcheck disable=SC2086  # flags is a word list on purpose
    # a fixed sensor name (EVE "host"), not this machine's host name
    "$exe" -q --sensor regress $flags -r "$in" --alerts "$root/tests/regress/$expected"
    printf '%-40s %s alerts\n' "$pcap" "$(wc -l < "$root/tests/regress/$expected")"
done
