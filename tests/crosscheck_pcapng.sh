#!/bin/sh
# crosscheck_pcapng.sh BUILD_DIR - every multi-interface pcapng capture of
# ../shared/corpus (MANIFEST.tsv format column "pcapng ... if=N", N >= 2;
# their interfaces may differ in link type and snaplen, which libpcap
# refuses) is replayed whole: exfilmon exits 0 and reads as many packets
# as tshark counts frames, and its per-5-tuple IP byte totals equal
# tshark's (crosscheck_tshark.sh with those files, strict).
# Exit 0 ok, 1 mismatch, 77 skip (no ../shared/corpus, tshark or python3).
build=${1:?usage: crosscheck_pcapng.sh BUILD_DIR}
root=$(cd "$(dirname "$0")/.." && pwd)
corpus="$root/../shared/corpus"
exf="$build/src/exfilmon"
[ -f "$corpus/MANIFEST.tsv" ] || { echo "skip: $corpus/MANIFEST.tsv absent"; exit 77; }
command -v tshark >/dev/null 2>&1 || { echo "skip: no tshark"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "skip: no python3"; exit 77; }
[ -x "$exf" ] || { echo "skip: $exf not built"; exit 77; }
files=$(awk -F'\t' -v c="$corpus" 'NR > 1 && $8 ~ /^pcapng/ {
            if (match($8, /if=[0-9]+/) && substr($8, RSTART + 3, RLENGTH - 3) + 0 >= 2)
                print c "/" $1 }' "$corpus/MANIFEST.tsv")
[ -n "$files" ] || { echo "FAIL: no multi-interface pcapng listed in MANIFEST.tsv"; exit 1; }
fail=0
for f in $files; do
    want=$(tshark -r "$f" -T fields -e frame.number 2>/dev/null | wc -l)
    got=$("$exf" -q --no-rules -r "$f" --flows /dev/null --alerts /dev/null 2>&1 >/dev/null |
          sed -n 's/.*: \([0-9]*\) packets read.*/\1/p')
    "$exf" -q --no-rules -r "$f" --flows /dev/null --alerts /dev/null >/dev/null 2>&1
    rc=$?
    if [ "$rc" -eq 0 ] && [ "$got" = "$want" ] && [ "$want" -gt 0 ]; then
        echo "ok   $(basename "$f"): $got packets (tshark $want)"
    else
        echo "FAIL $(basename "$f"): exfilmon $got packets exit $rc, tshark $want"
        fail=1
    fi
done
# shellcheck disable=SC2086
sh "$root/tests/crosscheck_tshark.sh" "$build" $files || fail=1
exit $fail
