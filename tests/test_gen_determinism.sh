#!/bin/sh
# test_gen_determinism.sh [SOURCE_ROOT] - the sample-capture generator is
# byte-for-byte reproducible: two runs into two temp dirs must be equal,
# and equal to the committed pcaps/.  Exit 0 pass, 1 fail, 77 skip (no
# python3).
root=${1:-$(dirname "$0")/..}
command -v python3 >/dev/null 2>&1 || exit 77
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir "$tmp/a" "$tmp/b"
python3 "$root/tools/gen_pcaps.py" --out "$tmp/a" || exit 1
python3 "$root/tools/gen_pcaps.py" --out "$tmp/b" || exit 1
fail=0
n=0
for f in "$tmp/a"/*; do
    b=$(basename "$f")
    n=$((n + 1))
    cmp "$f" "$tmp/b/$b" || { echo "FAIL: $b differs between two runs"; fail=1; }
    if [ ! -f "$root/pcaps/$b" ]; then
        echo "FAIL: $b not committed in pcaps/"; fail=1
    else
        cmp "$f" "$root/pcaps/$b" || { echo "FAIL: pcaps/$b is stale (re-run tools/gen_pcaps.py)"; fail=1; }
    fi
done
[ "$n" -ge 19 ] || { echo "FAIL: only $n files generated"; fail=1; }
# A different seed must change the randomised files (the test can fail).
mkdir "$tmp/c"
python3 "$root/tools/gen_pcaps.py" --out "$tmp/c" --seed 7 || exit 1
cmp -s "$tmp/a/stealer.pcap" "$tmp/c/stealer.pcap" && { echo "FAIL: seed ignored"; fail=1; }
[ "$fail" -eq 0 ] && echo "ok: $n files reproducible and match pcaps/"
exit "$fail"
