#!/bin/sh
# test_regress.sh SOURCE_ROOT EXFILMON - golden alert regression of the
# default rule pack over the scenario captures (tests/regress/manifest.tsv):
#   1. each replay's alerts equal tests/regress/expected/<name>.json;
#   2. replaying twice gives byte-identical alerts;
#   3. the capture split in two and read as "-r a -r b" gives the same
#      alerts as the whole file (needs editcap; skipped per row without).
# Exits 77 (skip) when python3 is missing, when the binary does not load
# rules yet, or when no expected files exist (run tools/regen_golden.sh).
set -u
root=$1
exe=$2
command -v python3 >/dev/null 2>&1 || { echo "no python3"; exit 77; }
"$exe" --check 2>&1 | grep -q ' rules (flow ' || { echo "exfilmon does not load rules yet"; exit 77; }
ls "$root"/tests/regress/expected/*.json >/dev/null 2>&1 || { echo "no golden files"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
python3 "$root/tools/gen_scenarios.py" "$work" >/dev/null || exit 1
python3 "$root/tools/gen_intel_scenarios.py" "$work" >/dev/null || exit 1
python3 "$root/tools/gen_proc_scenarios.py" "$work" >/dev/null || exit 1
tab=$(printf '\t')
fail=0
rows=0
while IFS="$tab" read -r pcap flags expected; do
    case "$pcap" in ''|'#'*) continue ;; esac
    rows=$((rows + 1))
    name=$(basename "$expected" .json)   # unique per row (one capture may have several rows)
    # a leading pcaps/ names a bundled capture of the source tree
    case "$pcap" in pcaps/*) in=$root/$pcap ;; *) in=$work/$pcap ;; esac
    # process scenarios: @WORK@ in flags names the generated ledger
    flags=$(printf '%s' "$flags" | sed "s|@WORK@|$work|g")
    # shellcheck disable=SC2086
    "$exe" -q --sensor regress $flags -r "$in" --alerts "$work/$name.1.json" || { echo "FAIL run $pcap"; fail=1; continue; }
    # shellcheck disable=SC2086
    "$exe" -q --sensor regress $flags -r "$in" --alerts "$work/$name.2.json"
    if ! cmp -s "$work/$name.1.json" "$root/tests/regress/$expected"; then
        echo "FAIL golden $pcap:"; diff "$root/tests/regress/$expected" "$work/$name.1.json" | head -20
        fail=1
    fi
    cmp -s "$work/$name.1.json" "$work/$name.2.json" || { echo "FAIL determinism $pcap"; fail=1; }
    if command -v editcap >/dev/null 2>&1 && command -v capinfos >/dev/null 2>&1; then
        n=$(capinfos -M -c -T "$in" | awk -F'\t' 'NR==2 {print $2}')
        half=$(( (n + 1) / 2 ))
        editcap -F pcap -c "$half" "$in" "$work/$name.part.pcap" >/dev/null 2>&1
        set -- "$work/$name".part_*.pcap
        if [ $# -eq 2 ]; then
            # shellcheck disable=SC2086
            "$exe" -q --sensor regress $flags -r "$1" -r "$2" --alerts "$work/$name.split.json"
            cmp -s "$work/$name.1.json" "$work/$name.split.json" || { echo "FAIL split $pcap"; fail=1; }
        fi
        rm -f "$work/$name".part_*.pcap
    fi
done < "$root/tests/regress/manifest.tsv"
echo "$rows scenarios checked"
exit $fail
