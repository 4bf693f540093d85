#!/bin/sh
# test_flow_id_jq.sh SOURCE_ROOT EXFILMON - every flow_id exfilmon writes
# (flow records, alerts, exfil.key, exfil.top_flows) survives jq unchanged:
# jq 1.6 (Debian 12) reads numbers as IEEE doubles, so ids must stay below
# 2^53 (exfilmon masks them to 51 bits, as Suricata).  A control shows a
# 63-bit id is changed by the same jq, so the comparison can fail.
# Skips (77) without jq or python3.
set -u
root=$1
exe=$2
command -v jq >/dev/null 2>&1 || { echo "SKIP: no jq (apt-get install jq)"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "SKIP: no python3"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
ctl=$(echo '{"flow_id":8140143293433857798}' | jq '.flow_id')
[ "$ctl" != 8140143293433857798 ] || { echo "FAIL control: this jq keeps 63-bit ids exact"; exit 1; }
python3 "$root/tools/gen_scenarios.py" "$work" >/dev/null 2>&1 || exit 1
for p in "$root"/pcaps/*.pcap "$work"/*.pcap; do
    "$exe" -q --sensor jq-test -r "$p" --flows - --alerts - 2>/dev/null
done > "$work/records.json"
# exact ids as Python reads them (arbitrary-precision integers)
python3 - "$work/records.json" > "$work/exact.txt" <<'PY'
import json, sys
def ids(v):
    if isinstance(v, dict):
        for k, x in v.items():
            if k == "flow_id":
                yield x
            else:
                yield from ids(x)
    elif isinstance(v, list):
        for x in v:
            yield from ids(x)
for line in open(sys.argv[1]):
    for i in ids(json.loads(line)):
        print(i)
PY
jq -r '.. | objects | .flow_id? // empty' "$work/records.json" > "$work/jq.txt" || exit 1
n=$(wc -l < "$work/exact.txt")
[ "$n" -gt 0 ] || { echo "FAIL: no flow_id found"; exit 1; }
if ! cmp -s "$work/exact.txt" "$work/jq.txt"; then
    echo "FAIL: jq changed flow ids:"; diff "$work/exact.txt" "$work/jq.txt" | head; exit 1
fi
echo "$n flow_id values (records, exfil.key, top_flows) unchanged through $(jq --version)"
