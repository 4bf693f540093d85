#!/bin/sh
# test_suppress_cli.sh SOURCE_ROOT EXFILMON - the suppression list end to
# end in replay: the alerts it holds back are exactly those its entries
# describe (computed from an unsuppressed run, not hard-coded), the end
# summary counts them, --check accepts a good list and refuses a broken
# one with exit 2 and file:line:col plus the line; an expired entry
# suppresses nothing.  Per-rule alerts are what a list suppresses, so the
# replays say --alert-mode alerts (incidents are the default output).
# Needs python3 (exit 77 otherwise).
set -u
root=$1
exe=$2
command -v python3 >/dev/null 2>&1 || { echo "SKIP: no python3"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
fail=0
pcap=$root/pcaps/stealer.pcap
"$exe" -q --sensor t --alert-mode alerts -r "$pcap" --alerts "$work/all.json" 2>/dev/null || exit 1
cat > "$work/suppress.conf" <<'S'
# the campaign domain's own indicator alerts are known (ticket 42)
suppress sig 100100 domain checkmarx.zone     # indicator rule, one domain
suppress domain litellm.cloud expires 2030-01-01
S
"$exe" -q --sensor t --alert-mode alerts -r "$pcap" --suppress "$work/suppress.conf" \
    --alerts "$work/some.json" 2> "$work/err.txt" || exit 1
python3 - "$work/all.json" "$work/some.json" "$work/err.txt" <<'PY' || fail=1
import json, sys
def load(p):
    return [json.loads(l) for l in open(p)]
allr, some = load(sys.argv[1]), load(sys.argv[2])
def held(r):
    name = (r.get("dest_name") or {}).get("name") or ""
    sid = r["alert"]["signature_id"]
    in_dom = lambda d: name == d or name.endswith("." + d)
    return (sid == 100100 and in_dom("checkmarx.zone")) or in_dom("litellm.cloud")
want = [r for r in allr if not held(r)]
n_held = len(allr) - len(want)
bad = 0
if n_held == 0 or not want:
    print("FAIL: the capture does not exercise the list (%d held, %d kept)" % (n_held, len(want))); bad = 1
if some != want:
    print("FAIL: %d alerts written, expected %d" % (len(some), len(want))); bad = 1
err = open(sys.argv[3]).read()
if ("; %d alerts (%d more suppressed by " % (len(want), n_held)) not in err:
    print("FAIL: summary does not count %d suppressed: %s" % (n_held, err)); bad = 1
print("ok: %d of %d alerts suppressed, the rest unchanged" % (n_held, len(allr)) if not bad else "")
sys.exit(bad)
PY
# an expired entry suppresses nothing (packet time is 2026-03-24)
printf 'suppress domain checkmarx.zone expires 2026-03-01\n' > "$work/old.conf"
"$exe" -q --sensor t --alert-mode alerts -r "$pcap" --suppress "$work/old.conf" --alerts "$work/old.json" 2>/dev/null
cmp -s "$work/all.json" "$work/old.json" && echo "ok: expired entry holds nothing" ||
    { echo "FAIL: expired entry suppressed alerts"; fail=1; }
# --check: good list accepted, broken list refused with file:line:col
out=$("$exe" --check --suppress "$work/suppress.conf" 2>&1)
echo "$out" | grep -q "suppression list .*suppress.conf: 2 entries" && echo "ok: --check accepts" ||
    { echo "FAIL: --check on a good list: $out"; fail=1; }
printf 'suppress sig 1\nsuppress process rsync domain\n' > "$work/bad.conf"
"$exe" --check --suppress "$work/bad.conf" > "$work/check.txt" 2>&1
rc=$?
[ $rc = 2 ] || { echo "FAIL: --check exit $rc on a broken list, expected 2"; fail=1; }
grep -Fq "bad.conf:2:30: error: a value is missing here" "$work/check.txt" &&
    grep -Fq "    suppress process rsync domain" "$work/check.txt" &&
    echo "ok: --check names bad.conf:2:30 and shows the line" ||
    { echo "FAIL: --check output:"; cat "$work/check.txt"; fail=1; }
# replay refuses to start on a broken list (usage error, nothing ran)
"$exe" -q -r "$pcap" --suppress "$work/bad.conf" --alerts /dev/null 2>/dev/null
rc=$?
[ $rc = 2 ] && echo "ok: replay refuses a broken list (exit 2)" ||
    { echo "FAIL: replay with a broken list exited $rc"; fail=1; }
exit $fail
