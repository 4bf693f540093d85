#!/usr/bin/env python3
"""test_state_kill.py SOURCE_ROOT EXFILMON

kill -9 during a state save never leaves an unreadable state:
  1. for each component, XM_STATE_TEST_ABORT=<component> makes the save
     abort between fsync and rename: the previous file must still be
     there, unchanged, and load;
  2. 25 replays with --state are SIGKILLed at random moments around the
     end of the replay (where the save happens); after each, every state
     file must load (exfilmon reports 4 component files loaded and no
     state warning) and be either the previous file or a complete new one.
Captures from tools/gen_state_days.py.  Seeded random, so reproducible.
"""
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

COMPONENTS = ('dstseen', 'aihost', 'rules', 'incidents')


def cmd(exe, pcap, state):
    return [exe, '-q', '--home-net', '10.0.0.0/8', '--alert-mode', 'incidents', '-r', pcap,
            '--state', state, '--alerts', '/dev/null']


def files(d):
    return {c: open(os.path.join(d, c + '.state'), 'rb').read() for c in COMPONENTS
            if os.path.exists(os.path.join(d, c + '.state'))}


def loads(exe, empty, d):
    """'' when every component file loads cleanly, else the complaint."""
    r = subprocess.run(cmd(exe, empty, d), capture_output=True, text=True)
    m = re.search(r'state: .*: (\d+) component files? loaded', r.stderr)
    bad = [l for l in r.stderr.splitlines() if 'state:' in l and 'loaded' not in l]
    if r.returncode != 0 or not m or int(m.group(1)) != len(COMPONENTS) or bad:
        return 'exit %d, stderr: %s' % (r.returncode, r.stderr.strip()[-400:])
    return ''


def main():
    root, exe = sys.argv[1], sys.argv[2]
    rng = random.Random(1313)
    fails = 0
    with tempfile.TemporaryDirectory(prefix='xm-statekill-') as w:
        subprocess.run([sys.executable, os.path.join(root, 'tools', 'gen_state_days.py'), w],
                       check=True)
        empty = os.path.join(w, 'empty.pcap')
        with open(empty, 'wb') as f:   # libpcap header, Ethernet, no packets
            f.write(bytes.fromhex('d4c3b2a1020004000000000000000000ffff000001000000'))
        base = os.path.join(w, 'base')
        os.makedirs(base)
        subprocess.run(cmd(exe, os.path.join(w, 'day1.pcap'), base), check=True,
                       capture_output=True)
        prev = files(base)
        if len(prev) != len(COMPONENTS) or loads(exe, empty, base):
            print('FAIL: day 1 did not leave 4 loadable state files: %s' % sorted(prev))
            return 1
        day2 = os.path.join(w, 'day2.pcap')
        for c in COMPONENTS:       # 1: abort between write and rename
            d = os.path.join(w, 'abort-' + c)
            shutil.copytree(base, d)
            env = dict(os.environ, XM_STATE_TEST_ABORT=c)
            r = subprocess.run(cmd(exe, day2, d), env=env, capture_output=True)
            same = files(d)[c] == prev[c]      # before loads(), which saves again
            why = loads(exe, empty, d)
            ok = r.returncode != 0 and same and not why
            fails += not ok
            print('%s abort before rename of %s: exit %d, previous file kept: %s, loads: %s'
                  % ('ok  ' if ok else 'FAIL', c, r.returncode, same, why or 'yes'))
        t = time.monotonic()       # 2: random SIGKILLs around the save
        subprocess.run(cmd(exe, day2, os.path.join(w, 'abort-rules')), capture_output=True)
        dur = time.monotonic() - t
        killed_mid = 0
        for i in range(25):
            d = os.path.join(w, 'kill-%d' % i)
            shutil.copytree(base, d)
            p = subprocess.Popen(cmd(exe, day2, d), stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0.6, 1.1) * dur)
            p.send_signal(signal.SIGKILL)
            rc = p.wait()
            killed_mid += rc == -signal.SIGKILL
            now = files(d)
            why = loads(exe, empty, d)
            if why or set(now) != set(prev):
                fails += 1
                print('FAIL kill %d (exit %d): %s' % (i, rc, why or 'files missing'))
        print('%s %d SIGKILLs around the save (%d hit a running process; replay %.2f s): '
              'every state loaded' % ('ok  ' if not fails else 'FAIL', 25, killed_mid, dur))
    return 1 if fails else 0


if __name__ == '__main__':
    sys.exit(main())
