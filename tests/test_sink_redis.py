#!/usr/bin/env python3
"""test_sink_redis.py SOURCE_ROOT EXFILMON

The --redis sink against a real redis-server this test starts (free
loopback port, temp dir, --save '' --appendonly no):
  1. a replay with --redis delivers exactly the records the file sinks
     write: XRANGE of exfilmon:flow / :alert / :incident, field "eve",
     equals the --flows and --alerts lines of that type, in order;
  2. Redis shut down (SHUTDOWN SAVE) while the replay runs and started
     again on the same dump: every record still arrives (a 64 MiB queue,
     ?queue=67108864, is not reached), none twice (the batch cut by the
     shutdown is resynchronised by the entries' run/seq fields);
  3. the same outage with a 64 KiB queue (?queue=65536): delivered plus
     the drop count exfilmon logs equals the records written to files.
Skips (77) when redis-server or redis-cli is not installed.
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Redis:
    def __init__(self, work):
        self.dir, self.port = work, free_port()

    def start(self):
        subprocess.run(['redis-server', '--port', str(self.port), '--bind', '127.0.0.1',
                        '--save', '', '--appendonly', 'no', '--dir', self.dir,
                        '--daemonize', 'yes', '--logfile', os.path.join(self.dir, 'r.log'),
                        '--pidfile', os.path.join(self.dir, 'r.pid')], check=True)
        for _ in range(100):
            if self.cli('PING').strip() == 'PONG':
                return
            time.sleep(0.05)
        raise RuntimeError('redis-server did not start')

    def cli(self, *args):
        r = subprocess.run(['redis-cli', '-p', str(self.port)] + list(args),
                           capture_output=True, text=True)
        return r.stdout

    def stop(self):
        self.cli('SHUTDOWN', 'SAVE')
        for _ in range(100):
            if self.cli('PING').strip() != 'PONG':
                return
            time.sleep(0.05)

    def stream(self, name):
        """The "eve" values of stream name, oldest first."""
        out = subprocess.run(['redis-cli', '-p', str(self.port), '--no-raw', 'XRANGE', name,
                              '-', '+'], capture_output=True, text=True).stdout
        # --no-raw prints 'N) "eve"' followed by the quoted value
        vals, lines = [], out.splitlines()
        for i, l in enumerate(lines):
            if l.strip().endswith('"eve"') and i + 1 < len(lines):
                v = lines[i + 1].split(') ', 1)[1]
                vals.append(json.loads(json.loads(v)))
        return vals

    def xlen(self, name):
        return int(self.cli('XLEN', name).strip() or 0)


def file_records(path):
    return [json.loads(l) for l in open(path) if l.strip()]


def replay(exe, pcap, work, url, extra=()):
    args = [exe, '-q', '--home-net', '10.0.0.0/8', '--alert-mode', 'both', '-r', pcap,
            '--alerts', os.path.join(work, 'a.json'), '--flows', os.path.join(work, 'f.json'),
            '--redis', url] + list(extra)
    for f in ('a.json', 'f.json'):
        if os.path.exists(os.path.join(work, f)):
            os.unlink(os.path.join(work, f))
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def expected(work):
    recs = file_records(os.path.join(work, 'f.json')) + file_records(os.path.join(work, 'a.json'))
    by = {}
    for r in recs:
        by.setdefault(r['event_type'], []).append(r)
    return by


def test_exact(exe, pcap, work, rd):
    p = replay(exe, pcap, work, 'redis://127.0.0.1:%d/0?maxlen=10000000' % rd.port)
    _, err = p.communicate()
    if p.returncode != 0:
        return 'FAIL exact: exit %d: %s' % (p.returncode, err[-300:])
    exp, bad = expected(work), []
    for t, recs in sorted(exp.items()):
        got = rd.stream('exfilmon:' + t)
        if got != recs:
            bad.append('%s: %d in redis, %d in files' % (t, len(got), len(recs)))
    counts = ', '.join('%s %d' % (t, len(r)) for t, r in sorted(exp.items()))
    return ('FAIL exact: ' + '; '.join(bad)) if bad else 'ok   exact: ' + counts


def outage(exe, pcap, work, rd, query):
    for t in ('flow', 'alert', 'incident'):
        rd.cli('DEL', 'exfilmon:' + t)
    p = replay(exe, pcap, work, 'redis://127.0.0.1:%d/0?maxlen=10000000%s' % (rd.port, query))
    while rd.xlen('exfilmon:flow') == 0 and p.poll() is None:
        time.sleep(0.01)
    running = p.poll() is None
    rd.stop()
    time.sleep(1.5)
    rd.start()
    _, err = p.communicate()
    exp = expected(work)
    total = sum(len(v) for v in exp.values())
    got = sum(rd.xlen('exfilmon:' + t) for t in exp)
    logged = sum(int(m) for m in re.findall(r'(\d+) records dropped (?:\(queue full\)|at exit)',
                                              err))
    summ = re.findall(r': (\d+) records, (\d+) delivered, (\d+) dropped', err)
    drops = int(summ[-1][2]) if summ else -1
    return p.returncode, running and logged == drops, total, got, drops, err


def main():
    root, exe = sys.argv[1], sys.argv[2]
    if not shutil.which('redis-server') or not shutil.which('redis-cli'):
        print('SKIP: redis-server/redis-cli not installed (tools/setup.sh)')
        return 77
    work = tempfile.mkdtemp(prefix='xm-redis-')
    subprocess.run([sys.executable, os.path.join(root, 'tools', 'gen_incident_scenarios.py'),
                    work, '--only', 'dns_tunnel'], check=True,
                   stdout=subprocess.DEVNULL)
    pcap = os.path.join(work, 'incident_dns_tunnel.pcap')
    rd = Redis(work)
    rd.start()
    fails = 0
    try:
        line = test_exact(exe, pcap, work, rd)
        print(line)
        fails += line.startswith('FAIL')
        rc, running, total, got, drops, err = outage(exe, pcap, work, rd, '&queue=67108864')
        ok = rc == 0 and running and got == total and drops == 0
        print('%s outage, 64 MiB queue: %d records in files, %d in redis, %d dropped, '
              'redis stopped while replay ran, drop lines = summary: %s' % ('ok  ' if ok else 'FAIL', total, got,
                                                       drops, running))
        fails += not ok
        rc, running, total, got, drops, err = outage(exe, pcap, work, rd, '&queue=65536')
        ok = rc == 0 and running and drops > 0 and got + drops == total
        print('%s outage, 64 KiB queue: %d records in files, %d in redis + %d dropped '
              '(summary = drop log lines: %s) = %d' % ('ok  ' if ok else 'FAIL', total, got, drops,
                                                  running, got + drops))
        fails += not ok
        if not ok:
            print(err[-600:])
    finally:
        rd.cli('SHUTDOWN', 'NOSAVE')
        shutil.rmtree(work, ignore_errors=True)
    return 1 if fails else 0


if __name__ == '__main__':
    sys.exit(main())
