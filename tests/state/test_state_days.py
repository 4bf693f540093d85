#!/usr/bin/env python3
"""test_state_days.py SOURCE_ROOT EXFILMON

--state: replaying day 1 and then day 2 with one state directory gives
the same day-2 records as one replay of both days (also run with a fresh
state directory, so open incidents are saved rather than closed at the
end in both runs), for --alert-mode incidents and alerts; and the day-2
replay without state differs (the test would catch state being ignored).
Novelty (schema 2.1): every day-2 record that carries it says basis
"history" after day 1's state was loaded (a day of history lies behind
it), and "warmup" in the replay of day 2 alone (no state, a fresh start).
Captures from tools/gen_state_days.py.  Day-2 records are those stamped
at or after the start of day 2.
"""
import json
import os
import subprocess
import sys
import tempfile
from datetime import datetime


def epoch(ts):
    return datetime.strptime(ts, '%Y-%m-%dT%H:%M:%S.%f%z').timestamp()


def run(exe, mode, pcap, state=None):
    cmd = [exe, '-q', '--home-net', '10.0.0.0/8', '--alert-mode', mode, '-r', pcap]
    if state:
        cmd += ['--state', state]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit('FAIL: %s: exit %d: %s' % (' '.join(cmd), out.returncode, out.stderr))
    return [l for l in out.stdout.splitlines() if l.strip()]


def day2(lines, t2):
    return [l for l in lines if epoch(json.loads(l)['timestamp']) >= t2]


def bases(lines):
    """The novelty basis of each record that carries one."""
    out = []
    for l in lines:
        r = json.loads(l)
        n = (r.get('incident') or r.get('exfil') or {}).get('novelty')
        if n:
            out.append(n['basis'])
    return out


def check_novelty(mode, split, bare):
    with_state, without = bases(split), bases(bare)
    ok = (with_state and set(with_state) == {'history'} and without
          and set(without) == {'warmup'})
    print('%s %s: novelty basis with day 1 loaded %s, day 2 alone %s'
          % ('ok  ' if ok else 'FAIL', mode, sorted(set(with_state)), sorted(set(without))))
    return 0 if ok else 1


def check_mode(exe, work, mode, t2):
    p = lambda n: os.path.join(work, n)  # noqa: E731
    for d in ('one', 'split'):
        os.makedirs(p('%s-%s' % (d, mode)))
    one = day2(run(exe, mode, p('both.pcap'), p('one-' + mode)), t2)
    run(exe, mode, p('day1.pcap'), p('split-' + mode))
    split = run(exe, mode, p('day2.pcap'), p('split-' + mode))
    bare = run(exe, mode, p('day2.pcap'))
    fails = 0
    if one != split:
        fails += 1
        print('FAIL %s: day 2 after day 1 with --state differs from one run' % mode)
        for a, b in zip(one + [''] * len(split), split + [''] * len(one)):
            if a != b:
                print('  one:   %s\n  split: %s' % (a[:400], b[:400]))
                break
    if not one:
        fails += 1
        print('FAIL %s: no day-2 records at all (the capture no longer tests anything)' % mode)
    if bare == split:
        fails += 1
        print('FAIL %s: day 2 without state gives the same records (state made no difference)'
              % mode)
    print('%s %s: one run %d day-2 records, split %d, identical: %s; without state %d records'
          % ('ok  ' if not fails else 'FAIL', mode, len(one), len(split), one == split,
             len(bare)))
    return fails + check_novelty(mode, split, bare)


def main():
    root, exe = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory(prefix='xm-state-') as work:
        subprocess.run([sys.executable, os.path.join(root, 'tools', 'gen_state_days.py'), work],
                       check=True)
        t2 = int(open(os.path.join(work, 'DAY2')).read())
        fails = sum(check_mode(exe, work, m, t2) for m in ('incidents', 'alerts'))
    return 1 if fails else 0


if __name__ == '__main__':
    sys.exit(main())
