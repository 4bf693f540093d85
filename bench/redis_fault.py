#!/usr/bin/env python3
"""redis_fault.py EXFILMON [ROUNDS [PACKETS]]

Issue 16's capture-not-slowed figure: "a down or slow broker never
blocks capture ... the replay finishes within 1.2x of its time with no
broker configured".  On one gateway capture (bench/gen_bench -w gateway,
PACKETS packets (default 1,000,000: a replay of several seconds, so the
outage below lies inside it), one flow per 8 packets, stretched to 1 ms
per packet with 20 s idle timeouts so records leave during the replay,
as in site_redis_sizing.py) it runs, ROUNDS times (default 5),
alternating, the order rotated each round, so machine noise hits each
alike:

  base     --flows --alerts to files, no broker;
  healthy  the same plus --redis to a redis-server this script starts
           (default maxlen, 100000 entries a stream, as a site would run
           it; the exit summary gives what was delivered);
  fault    the same as healthy, Redis stopped (SHUTDOWN) once the first
           flow records arrived and started again 1.5 s later (the
           sink_redis fault test's outage).

Prints each round's wall times to exit and to the end of the capture
(the "packets read" line exfilmon logs before its outputs close, i.e.
before the exit wait for the broker), the ratios healthy/base and
fault/base of that round, exfilmon's CPU seconds and the exit summaries (records,
delivered, dropped), then the median ratios and whether the file
outputs were byte-for-byte the same in every run.  Not a test: it checks nothing about time.
Needs redis-server and redis-cli; gen_bench is taken from the build
directory next to EXFILMON (BUILD/bench/gen_bench).
"""
import hashlib
import os
import re
import resource
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests'))
from site_redis_sizing import replay, stretch  # noqa: E402
from test_sink_redis import Redis  # noqa: E402


def cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def files_digest(work):
    h = hashlib.sha256()
    for f in ('f.json', 'a.json'):
        with open(os.path.join(work, f), 'rb') as fh:
            h.update(fh.read())
    return h.hexdigest()


def capture_s(err, t0):
    """Seconds from t0 (wall clock) to the "packets read" summary line,
    which exfilmon logs when the capture is done, before its outputs
    close (the exit wait for the broker comes after it)."""
    import datetime
    m = re.findall(r'^(\S+)Z exfilmon\[\d+\]: info: \d+ packets read', err, re.M)
    if not m:
        return float('nan')
    t = datetime.datetime.strptime(m[-1], '%Y-%m-%dT%H:%M:%S.%f')
    return t.replace(tzinfo=datetime.timezone.utc).timestamp() - t0


def summary(err):
    s = re.findall(r': (\d+) records, (\d+) delivered, (\d+) dropped', err)
    return tuple(int(x) for x in s[-1]) if s else None


def main():
    exe = os.path.abspath(sys.argv[1])
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    packets = int(sys.argv[3]) if len(sys.argv) > 3 else 1000000
    gen = os.path.join(os.path.dirname(os.path.dirname(exe)), 'bench', 'gen_bench')
    if not shutil.which('redis-server') or not os.path.exists(gen):
        print('needs redis-server and %s' % gen)
        return 1
    work = tempfile.mkdtemp(prefix='xm-fault-')
    rd = Redis(work)
    rd.start()
    try:
        raw, pcap = os.path.join(work, 'raw.pcap'), os.path.join(work, 'gw.pcap')
        import subprocess
        subprocess.run([gen, '-w', 'gateway', raw, str(packets), str(packets // 8)], check=True,
                       stdout=subprocess.DEVNULL)
        stretch(raw, pcap, 1000)
        url = 'redis://127.0.0.1:%d/0' % rd.port      # default maxlen: 100000 a stream
        ratios = {'healthy': [], 'fault': []}
        cratios = {'healthy': [], 'fault': []}
        same_files = True
        runs = (('base', [], False), ('healthy', ['--redis', url], False),
                ('fault', ['--redis', url], True))
        for i in range(rounds):
            t, c, dig, cap, summ = {}, {}, {}, {}, {}
            for name, extra, stop in runs[i % 3:] + runs[:i % 3]:   # rotated each round
                rd.cli('DEL', 'exfilmon:flow', 'exfilmon:alert', 'exfilmon:incident')
                c0, w0 = cpu(), time.time()
                t[name], err = replay(exe, pcap, work, extra, rd if stop else None)
                c[name] = cpu() - c0        # exfilmon's CPU seconds (and redis-cli's)
                cap[name] = capture_s(err, w0)
                dig[name] = files_digest(work)
                summ[name] = summary(err)
            for name in ('healthy', 'fault'):
                ratios[name].append(t[name] / t['base'])
                cratios[name].append(cap[name] / cap['base'])
                print('round %d %-7s exit %.2f s (%.2fx base %.2f s), capture done %.2f s '
                      '(%.2fx base %.2f s), CPU %.2f s (base %.2f s); summary '
                      'records/delivered/dropped %s' %
                      (i + 1, name, t[name], t[name] / t['base'], t['base'], cap[name],
                       cap[name] / cap['base'], cap['base'], c[name], c['base'], summ[name]))
            sys.stdout.flush()
            same_files &= dig['base'] == dig['healthy'] == dig['fault']
        for what, rs in (('exit', ratios), ('capture done', cratios)):
            for name in ('healthy', 'fault'):
                r = rs[name]
                print('%s/base, %s: median %.2fx, min %.2fx, max %.2fx over %d rounds' %
                      (name, what, statistics.median(r), min(r), max(r), len(r)))
        print('file outputs (--flows, --alerts) identical in every run: %s' % same_files)
    finally:
        rd.cli('SHUTDOWN', 'NOSAVE')
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
