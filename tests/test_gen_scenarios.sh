#!/bin/sh
# test_gen_scenarios.sh BUILD_DIR - tools/gen_scenarios.py is deterministic
# and its MANIFEST's measured IP-layer totals are what exfilmon counts.
# Generates a small subset twice (cmp), then for each file sums
# bytes_toserver/bytes_toclient of exfilmon's final flow records from the
# home host's point of view and compares with "IP out N B, IP in M B".
# Exit 0 pass, 1 fail, 77 skip.
build=${1:?usage: test_gen_scenarios.sh BUILD_DIR}
root=$(cd "$(dirname "$0")/.." && pwd)
exf="$build/src/exfilmon"
command -v python3 >/dev/null 2>&1 || exit 77
[ -x "$exf" ] || { echo "skip: no $exf"; exit 77; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
only=flow_100mb_miss,first_seen_fire,long_1h10m_fire,baseline_miss,asym_fire
python3 "$root/tools/gen_scenarios.py" "$tmp/a" --only "$only" 2>/dev/null || exit 1
python3 "$root/tools/gen_scenarios.py" "$tmp/b" --only "$only" 2>/dev/null || exit 1
fail=0
for f in "$tmp/a"/*; do
    cmp "$f" "$tmp/b/$(basename "$f")" || { echo "FAIL: $(basename "$f") not reproducible"; fail=1; }
done
python3 - "$exf" "$tmp/a" "$root/tools/gen_scenarios.py" <<'PYEOF' || fail=1
import json, re, subprocess, sys
exf, d, gen = sys.argv[1:4]
hosts = {l.split()[0]: l.split()[2] for l in
         subprocess.run([sys.executable, gen, '--list'], capture_output=True,
                        text=True).stdout.splitlines()}
bad = 0
rows = [l.split('\t') for l in open(d + '/MANIFEST.tsv').read().splitlines()[1:]]
if len(rows) != 5:
    print('FAIL: MANIFEST has %d rows, want 5' % len(rows)); bad += 1
for r in rows:
    m = re.search(r'IP out (\d+) B, IP in (\d+) B', r[4])
    host = hosts[r[1]]
    p = subprocess.run([exf, '-r', d + '/' + r[0], '--flows', '-', '-q', '--no-rules', '--alerts',
                        '/dev/null'], capture_output=True, text=True)
    o = i = 0
    for ln in p.stdout.splitlines():
        e = json.loads(ln)
        if e.get('event_type') != 'flow' or e['flow'].get('interim'):
            continue
        ts, tc = e['flow']['bytes_toserver'], e['flow']['bytes_toclient']
        if e['src_ip'] == host:
            o, i = o + ts, i + tc
        elif e['dest_ip'] == host:
            o, i = o + tc, i + ts
    want = (int(m.group(1)), int(m.group(2)))
    ok = (o, i) == want and p.returncode == 0
    bad += not ok
    print('%s %s: exfilmon out %d in %d, manifest out %d in %d'
          % ('ok  ' if ok else 'FAIL', r[0], o, i, want[0], want[1]))
sys.exit(1 if bad else 0)
PYEOF
exit "$fail"
