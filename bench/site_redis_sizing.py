#!/usr/bin/env python3
"""site_redis_sizing.py EXFILMON [N_DESTINATIONS]

Sizing figures for the Fleet section of docs/operations.md, measured on
this machine with a redis-server this script starts (free loopback port,
temp dir, no persistence):

  1. Redis memory per million destinations with the --site-redis schema
     (include/xm_site.h): INFO memory used_memory before and after loading
     N (default 1,000,000) registrable-domain hashes P:d:DOMAIN holding
     "first" and one "h:HOST" field with a TTL, and N destination-address
     hashes P:a:ADDR the same way (what one new pair of each costs), then
     again with 3 hosts each; loaded with redis-cli --pipe.
  2. Records per second per sensor: a replay of bench/gen_bench -w
     gateway (200k packets, 25k flows, stretched to 1 ms per packet, 20 s
     idle timeouts so records leave during the replay) with --flows and
     --alerts, then also
     with --redis: records per wall-clock second with and without the
     sink; then with Redis stopped for 1.5 s in the middle of the replay
     (the issue's fault test: its time against the replay without a
     broker, and the delivered/dropped summary).
  3. The site exchange's cost: the same replay with --site-redis against
     the replay without (one EVAL per second of packet time).
Not a test (prints figures; checks nothing about time).
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests'))
from test_sink_redis import Redis  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')


def resp(*args):
    out = ['*%d\r\n' % len(args)]
    for a in args:
        a = str(a)
        out.append('$%d\r\n%s\r\n' % (len(a.encode()), a))
    return ''.join(out)


def used(rd):
    return int(re.search(r'used_memory:(\d+)', rd.cli('INFO', 'memory')).group(1))


def load(rd, work, n, hosts, kind):
    path = os.path.join(work, 'load.resp')
    t = 1776153600000000
    with open(path, 'w') as f:
        for i in range(n):
            key = ('s:d:host-%07d.example-%d.net' % (i, i % 97) if kind == 'd' else
                   's:a:%d.%d.%d.%d' % (100 + i // 16777216, i // 65536 % 256, i // 256 % 256,
                                        i % 256))
            fields = ['first', t + i]
            for h in range(hosts):
                fields += ['h:10.%d.%d.%d' % (h, i // 256 % 256, i % 256), t + i + h]
            f.write(resp('HSET', key, *fields))
            f.write(resp('EXPIRE', key, 2592000))
    with open(path) as f:
        subprocess.run(['redis-cli', '-p', str(rd.port), '--pipe'], stdin=f, check=True,
                       stdout=subprocess.DEVNULL)


def memory(rd, work, n):
    for hosts in (1, 3):
        for kind, what in (('d', 'registrable domains'), ('a', 'destination addresses')):
            rd.cli('FLUSHALL')
            before = used(rd)
            load(rd, work, n, hosts, kind)
            after = used(rd)
            print('memory: %d %s, %d host(s) each: %.1f MiB (%.0f bytes each, %.0f MiB per '
                  'million)' % (n, what, hosts, (after - before) / 2 ** 20,
                                (after - before) / n, (after - before) / n * 1e6 / 2 ** 20))


def replay(exe, pcap, work, extra, rd=None):
    """Wall time and stderr; with rd, Redis is stopped once the first
    flow records arrive and started again 1.5 s later."""
    args = [exe, '-q', '--home-net', '10.0.0.0/8', '--timeout', 'tcp-established=20',
            '--timeout', 'udp=20', '--timeout', 'tcp-new=20', '-r', pcap, '--alerts',
            os.path.join(work, 'a.json'), '--flows', os.path.join(work, 'f.json')] + extra
    for f in ('a.json', 'f.json'):      # file outputs append
        if os.path.exists(os.path.join(work, f)):
            os.unlink(os.path.join(work, f))
    t = time.monotonic()
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if rd:
        while rd.cli('XLEN', 'exfilmon:flow').strip() in ('', '0') and p.poll() is None:
            time.sleep(0.01)
        rd.stop()
        time.sleep(1.5)
        rd.start()
    err = p.communicate()[1]
    return time.monotonic() - t, err


def delivered(rd):
    return sum(int(rd.cli('XLEN', 'exfilmon:' + t).strip() or 0)
               for t in ('flow', 'alert', 'incident'))


def stretch(src, dst, factor):
    """Copies a classic little-endian microsecond pcap with every packet's
    offset from the first multiplied by factor (gen_bench advances 1 us
    per packet; stretched, flows end and records flow DURING the replay)."""
    import struct
    with open(src, 'rb') as f, open(dst, 'wb') as o:
        o.write(f.read(24))
        t0 = None
        while True:
            h = f.read(16)
            if len(h) < 16:
                break
            sec, usec, incl, orig = struct.unpack('<IIII', h)
            t = sec * 10 ** 6 + usec
            t0 = t if t0 is None else t0
            t = t0 + (t - t0) * factor
            o.write(struct.pack('<IIII', t // 10 ** 6, t % 10 ** 6, incl, orig))
            o.write(f.read(incl))


def rates(exe, rd, work, gen, runs=3):
    """Records per second: a gateway capture (bench/gen_bench.c -w gateway,
    200k packets, 25k flows, 20,000 local hosts).  The four set-ups run
    `runs` times, alternating, so machine noise hits each alike; the
    fastest run of each is reported."""
    raw, pcap = os.path.join(work, 'raw.pcap'), os.path.join(work, 'gw.pcap')
    subprocess.run([gen, '-w', 'gateway', raw, '200000', '25000'], check=True,
                   stdout=subprocess.DEVNULL)
    stretch(raw, pcap, 1000)        # 1 ms per packet: 200 s of traffic
    url = 'redis://127.0.0.1:%d/0?maxlen=10000000' % rd.port
    best = {}
    for i in range(runs):
        for name, extra, stop in (('base', [], False), ('sink', ['--redis', url], False),
                                  ('outage', ['--redis', url], True),
                                  ('site', ['--site-redis', url + '&prefix=b%d' % i], False)):
            rd.cli('DEL', 'exfilmon:flow', 'exfilmon:alert', 'exfilmon:incident')
            t, err = replay(exe, pcap, work, extra, rd if stop else None)
            if name == 'base':
                recs = sum(1 for f in ('a.json', 'f.json') for _ in open(os.path.join(work, f)))
            summ = re.findall(r': (\d+) records, (\d+) delivered, (\d+) dropped', err)
            if name not in best or t < best[name][0]:
                best[name] = (t, delivered(rd), summ[-1] if summ else None)
    base = best['base'][0]
    print('records: %d; fastest of %d replays: %.2f s without a broker (%.0f records/s)' %
          (recs, runs, base, recs / base))
    for name, what in (('sink', 'with --redis'),
                       ('outage', 'with --redis, Redis stopped for 1.5 s mid-replay'),
                       ('site', 'with --site-redis')):
        t, got, summ = best[name]
        print('  %s: %.2f s (%.2fx), %d records in Redis streams, summary %s' %
              (what, t, t / base, got, summ))


def main():
    exe = sys.argv[1]
    gen = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(exe))), 'bench',
                       'gen_bench')
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000000
    if not shutil.which('redis-server'):
        print('redis-server not installed')
        return 1
    work = tempfile.mkdtemp(prefix='xm-sizing-')
    rd = Redis(work)
    rd.start()
    try:
        print(rd.cli('INFO', 'server').split('redis_version:')[1].split()[0], 'redis_version')
        if n:
            memory(rd, work, n)
        rates(exe, rd, work, gen)
    finally:
        rd.cli('SHUTDOWN', 'NOSAVE')
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
