#!/bin/sh
# test_report.sh SOURCE_ROOT EXFILMON - `exfilmon report` end to end:
# replays a generated upload scenario and the bundled stealer capture with
# --alert-mode both and flow records, writes the HTML report, and opens it
# in a real headless browser (Debian's chromium, --dump-dom): every
# incident of the input must be in the rendered page as a section with
# its chart (an <svg> with bars), and the text summary must list them.
# Skips (77) only when chromium is not installed.
set -u
root=$1
exe=$2
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "SKIP: chromium is not installed (tools/setup.sh installs it)"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
fail=0
python3 "$root/tools/gen_scenarios.py" "$work" --only hostdest_1h_fire >/dev/null 2>&1 || { echo "FAIL: scenario generation"; exit 1; }
"$exe" -q --home-net 10.0.0.0/8,192.168.0.0/16 -r "$work/hostdest_1h_fire.pcap" --alert-mode both \
    --alerts "$work/a.json" --flows "$work/a.json" || { echo "FAIL: replay"; exit 1; }
"$exe" -q -r "$root/pcaps/stealer.pcap" --alert-mode both --alerts "$work/b.json" \
    --flows "$work/b.json" || { echo "FAIL: replay"; exit 1; }
"$exe" report -o "$work/report.html" "$work/a.json" "$work/b.json" > "$work/summary.txt" ||
    { echo "FAIL: report exit status"; exit 1; }
# expected: one section per (run, incident id), in the records' own words
want=$(python3 -c "
import json, sys
keys = set()
for f in sys.argv[1:]:
    for l in open(f):
        r = json.loads(l)
        if r.get('event_type') == 'incident':
            keys.add((f, r['incident']['id']))
print(len(keys))" "$work/a.json" "$work/b.json")
[ "$want" -ge 2 ] || { echo "FAIL: the replays produced $want incidents, expected at least 2"; exit 1; }
HOME=$work "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$work/profile" --dump-dom "file://$work/report.html" \
    > "$work/dom.html" 2> "$work/chromium.log"
[ -s "$work/dom.html" ] || { echo "FAIL: chromium rendered nothing"; tail -5 "$work/chromium.log"; exit 1; }
python3 - "$work/dom.html" "$work/summary.txt" "$want" <<'PY' || fail=1
import re, sys
dom = open(sys.argv[1]).read()
summary = open(sys.argv[2]).read()
want = int(sys.argv[3])
secs = re.findall(r'<section class="incident[^"]*" data-incident="\d+">(.*?)</section>', dom, re.S)
bad = 0
if len(secs) != want:
    print("FAIL: %d incident sections rendered, expected %d" % (len(secs), want)); bad = 1
for i, sec in enumerate(secs):
    if "<svg" not in sec or 'class="bar"' not in sec:
        print("FAIL: incident section %d has no chart with bars" % i); bad = 1
if not re.match(r"%d incidents\n" % want, summary):
    print("FAIL: the text summary does not count %d incidents" % want); bad = 1
if len(re.findall(r"^#\d+ ", summary, re.M)) != want:
    print("FAIL: the text summary does not list every incident"); bad = 1
print("%d incidents rendered with charts" % len(secs))
sys.exit(bad)
PY
exit $fail
