#!/usr/bin/env python3
"""test_incident_scenarios.py SOURCE_ROOT EXFILMON [--keep DIR]

Replays every episode of tools/gen_incident_scenarios.py with the default
rule pack and --alert-mode incidents, and checks each against its row of
EXPECT.tsv: the host's incident records number at most max_records, and
(for an exfiltration episode) one of them reaches the target severity no
later than deadline_s after the episode started; a benign day must stay
at or below medium.  Prints one line per scenario with what was measured.
"""
import json
import os
import subprocess
import sys
import tempfile
from datetime import datetime

RANK = {'critical': 1, 'high': 2, 'medium': 3, 'low': 4}


def epoch(ts):
    return datetime.strptime(ts, '%Y-%m-%dT%H:%M:%S.%f%z').timestamp()


def check(exe, work, row):
    name, host, start, sev, deadline, most = row
    out = subprocess.run([exe, '-q', '--home-net', '10.0.0.0/8', '--alert-mode', 'incidents',
                          '-r', os.path.join(work, name)], capture_output=True, text=True)
    if out.returncode != 0:
        return 'FAIL %s: exit %d: %s' % (name, out.returncode, out.stderr.strip()[-300:])
    recs = [json.loads(l) for l in out.stdout.splitlines() if l.strip()]
    mine = [r for r in recs if host == '*' or r.get('src_ip') == host]
    ids = sorted({r['incident']['id'] for r in mine})
    worst = min((r['incident']['severity'] for r in mine), default=5)
    msg = '%s: %d records, %d incidents, worst %s' % (
        name, len(mine), len(ids), next((k for k, v in RANK.items() if v == worst), 'none'))
    bad = len(mine) > int(most)
    if sev == '-':
        bad |= worst <= RANK['high']
    else:
        hit = [epoch(r['timestamp']) - int(start) for r in mine
               if r['incident']['severity'] <= RANK[sev]]
        msg += ', %s after %s' % (sev, ('%.0f s' % min(hit)) if hit else 'never')
        bad |= not hit or min(hit) > int(deadline)
    return ('FAIL ' if bad else 'ok   ') + msg


def main():
    root, exe = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix='xm-inc-')
    subprocess.run([sys.executable, os.path.join(root, 'tools', 'gen_incident_scenarios.py'),
                    work], check=True, stdout=subprocess.DEVNULL)
    rows = [l.rstrip('\n').split('\t') for l in open(os.path.join(work, 'EXPECT.tsv'))
            if not l.startswith('#') and l.strip()]
    fails = 0
    for row in rows:
        line = check(exe, work, row)
        print(line)
        fails += line.startswith('FAIL')
    subprocess.run(['rm', '-rf', work])
    print('%d scenarios, %d failed' % (len(rows), fails))
    return 1 if fails else 0


if __name__ == '__main__':
    sys.exit(main())
