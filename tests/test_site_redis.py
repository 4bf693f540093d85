#!/usr/bin/env python3
"""test_site_redis.py SOURCE_ROOT EXFILMON

--site-redis against a real redis-server this test starts (free loopback
port, temp dir), on the two-gateway site of tools/gen_site_scenario.py:
  1. baseline: one sensor replays site.pcap (both gateways merged);
  2. the halves replayed by two sensors WITHOUT a shared Redis must give
     different verdicts (else the test proves nothing);
  3. the halves replayed concurrently by two sensors sharing a Redis
     (?sync=2: a barrier per tick) give exactly the alerts and incident
     records of the baseline (sensor name and incident id aside), twice,
     started in either order;
  4. Redis holds the merged state: a domain first seen via A carries A's
     time, a destination's prevalence (HLEN - 1) counts both halves' hosts,
     AI evidence from A is there;
  5. Redis unreachable: the replay completes on local state (the same
     records as a sensor without --site-redis) and logs the outage once;
  6. live (root with `ip netns` only, else that part is skipped): in a
     namespace this test creates, /healthz is 503 naming site-redis while
     Redis is down, 200 once it is up (reconnect with backoff), /metrics
     shows exfilmon_site_redis_up and at most one round trip per second.
Skips (77) when redis-server or redis-cli is not installed.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_sink_redis import Redis, free_port  # noqa: E402

BASE = ['-q', '--home-net', '10.0.0.0/8', '--alert-mode', 'both']


def records(*paths):
    """Alert and incident records without what names the sensor or
    numbers its incidents, sorted canonically."""
    out = []
    for p in paths:
        for line in open(p):
            r = json.loads(line)
            r.pop('host', None)
            if r.get('event_type') == 'incident':
                r['incident'].pop('id', None)
            out.append(json.dumps(r, sort_keys=True))
    return sorted(out)


def verdicts(recs):
    """(rule, host, destination, first_seen_age_s, prevalence) of alerts."""
    v = []
    for s in recs:
        r = json.loads(s)
        if r.get('event_type') == 'alert':
            x = r.get('exfil', {})
            v.append((r['alert']['signature_id'], r['src_ip'], r['dest_ip'],
                      x.get('first_seen_age_s'), x.get('prevalence')))
    return sorted(v)


def run(exe, pcap, out, extra=()):
    return subprocess.Popen([exe] + BASE + ['-r', pcap, '--alerts', out] + list(extra),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def split(exe, work, tag, url, order):
    """Both halves at once; order: which gateway starts first."""
    procs = []
    for gw in order:
        procs.append(run(exe, os.path.join(work, gw + '.pcap'),
                         os.path.join(work, '%s_%s.json' % (tag, gw)),
                         ['--sensor', gw] + (['--site-redis', url] if url else [])))
        time.sleep(0.3)
    errs = [p.communicate()[1] for p in procs]
    bad = [e for p, e in zip(procs, errs) if p.returncode != 0]
    outs = [os.path.join(work, '%s_%s.json' % (tag, gw)) for gw in ('gw_a', 'gw_b')]
    return (records(*outs) if not bad else None), errs


def part_equivalence(exe, work, rd):
    fails = 0
    p = run(exe, os.path.join(work, 'site.pcap'), os.path.join(work, 'one.json'),
            ['--sensor', 'one'])
    p.communicate()
    one = records(os.path.join(work, 'one.json'))
    local, _ = split(exe, work, 'local', None, ('gw_a', 'gw_b'))
    diff = sorted(set(verdicts(one)) ^ set(verdicts(local)))
    ok = local is not None and local != one and len(diff) >= 3
    print('%s without a shared Redis the halves differ from one sensor: %d verdicts differ '
          '%s' % ('ok  ' if ok else 'FAIL', len(diff), diff))
    fails += not ok
    for i, order in enumerate((('gw_b', 'gw_a'), ('gw_a', 'gw_b'))):
        url = 'redis://127.0.0.1:%d/0?prefix=t%d&sync=2&wait=60' % (rd.port, i)
        t = time.monotonic()
        shared, errs = split(exe, work, 'shared%d' % i, url, order)
        ok = shared == one
        print('%s shared Redis, %s first: %d records (alerts and incidents) equal to one '
              'sensor\'s %d (%.1f s): %s' % ('ok  ' if ok else 'FAIL', order[0],
                                            len(shared or []), len(one),
                                            time.monotonic() - t, verdicts(one)))
        if not ok:
            print('\n'.join(e[-400:] for e in errs))
        fails += not ok
    return fails + part_state(rd, 't0')


def part_state(rd, prefix):
    """The merged hashes (include/xm_site.h schema)."""
    dom = rd.cli('HGET', prefix + ':d:calm-river.net', 'h:10.0.0.37').strip()
    first = rd.cli('HGET', prefix + ':d:calm-river.net', 'first').strip()
    prev = int(rd.cli('HLEN', prefix + ':a:203.0.113.50').strip() or 0) - 1
    ai = rd.cli('HGET', prefix + ':ai:10.0.0.35', '1\tapi.openai.com').split()
    ttl = int(rd.cli('TTL', prefix + ':d:calm-river.net').strip() or -2)
    # files.calm-river.net via A at T0 + 3 min (gen_site_scenario.py)
    ok = (dom == first and dom.isdigit() and int(dom) // 10 ** 6 % 3600 // 60 == 3 and
          prev == 4 and len(ai) == 3 and ttl > 86400)
    print('%s Redis state: calm-river.net first %s (via A), prevalence of 203.0.113.50 = %d, '
          'AI evidence of 10.0.0.35 %s, TTL %d s' % ('ok  ' if ok else 'FAIL', dom, prev, ai,
                                                     ttl))
    return not ok


def part_outage(exe, work):
    closed = free_port()
    url = 'redis://127.0.0.1:%d/0' % closed
    p = run(exe, os.path.join(work, 'gw_b.pcap'), os.path.join(work, 'down.json'),
            ['--sensor', 'gw_b', '--site-redis', url])
    _, err = p.communicate()
    lines = [l for l in err.splitlines() if 'working on local state' in l]
    local = records(os.path.join(work, 'local_gw_b.json'))
    ok = p.returncode == 0 and records(os.path.join(work, 'down.json')) == local and \
        len(lines) == 1
    print('%s Redis unreachable: exit %d, records as without --site-redis: %s, outage log '
          'lines: %d' % ('ok  ' if ok else 'FAIL', p.returncode,
                         records(os.path.join(work, 'down.json')) == local, len(lines)))
    return not ok


def http_get(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError:
        return 0, ''


def metric(text, name):
    m = re.search(r'^%s (\d+)' % name, text, re.M)
    return int(m.group(1)) if m else -1


def live_checks(exe, ns, work):
    """exfilmon -i lo in namespace ns with Redis down, then up."""
    rport, hport = 16379, 19464
    ex = ['ip', 'netns', 'exec', ns]
    x = subprocess.Popen(ex + [exe, '-q', '-i', 'lo', '--no-process', '--alerts',
                               os.path.join(work, 'live.json'), '--http', '127.0.0.1:%d' % hport,
                               '--site-redis', 'redis://127.0.0.1:%d' % rport],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    fails, base = 0, 'http://127.0.0.1:%d' % hport
    try:
        get = lambda path: subprocess.run(ex + ['curl', '-s', '-w', '\n%{http_code}', base + path],
                                          capture_output=True, text=True).stdout
        time.sleep(2.5)
        h = get('/healthz')
        ok = h.endswith('503') and 'site-redis' in h
        print('%s live, Redis down: /healthz %s' % ('ok  ' if ok else 'FAIL', h.replace('\n', ' ')))
        fails += not ok
        subprocess.run(ex + ['redis-server', '--port', str(rport), '--bind', '127.0.0.1',
                             '--save', '', '--appendonly', 'no', '--dir', work, '--daemonize',
                             'yes', '--logfile', os.path.join(work, 'live_r.log')], check=True)
        t0 = time.monotonic()
        while time.monotonic() - t0 < 40 and not get('/healthz').endswith('200'):
            time.sleep(0.5)
        m0, tm = get('/metrics'), time.monotonic()
        time.sleep(5)
        m1, tm1 = get('/metrics'), time.monotonic()
        rt = metric(m1, 'exfilmon_site_redis_round_trips_total') - \
            metric(m0, 'exfilmon_site_redis_round_trips_total')
        ok = get('/healthz').endswith('200') and metric(m1, 'exfilmon_site_redis_up') == 1 and \
            metric(m1, 'exfilmon_site_redis_outages_total') == 1 and 0 < rt <= tm1 - tm + 1
        print('%s live, Redis up after %.1f s: /healthz 200, up 1, outages 1, %d round trips '
              'in %.1f s' % ('ok  ' if ok else 'FAIL', time.monotonic() - t0, rt, tm1 - tm))
        fails += not ok
    finally:
        x.send_signal(signal.SIGTERM)
        _, err = x.communicate(timeout=20)
        subprocess.run(ex + ['redis-cli', '-p', str(rport), 'SHUTDOWN', 'NOSAVE'],
                       capture_output=True)
    logs = (len(re.findall('working on local state', err)), len(re.findall('reachable again', err)))
    ok = logs == (1, 1)
    print('%s live: outage log lines %d, recovery lines %d' % ('ok  ' if ok else 'FAIL', *logs))
    return fails + (not ok)


def part_live(exe, work):
    if os.geteuid() != 0 or not shutil.which('ip') or not shutil.which('curl'):
        print('skip live part: needs root, ip netns and curl')
        return 0
    ns = 'xmsite%d' % os.getpid()
    if subprocess.run(['ip', 'netns', 'add', ns], capture_output=True).returncode != 0:
        print('skip live part: cannot create a network namespace')
        return 0
    try:
        subprocess.run(['ip', '-n', ns, 'link', 'set', 'lo', 'up'], check=True)
        return live_checks(exe, ns, work)
    finally:
        subprocess.run(['ip', 'netns', 'del', ns], capture_output=True)


def main():
    root, exe = sys.argv[1], sys.argv[2]
    if not shutil.which('redis-server') or not shutil.which('redis-cli'):
        print('SKIP: redis-server/redis-cli not installed (tools/setup.sh)')
        return 77
    work = tempfile.mkdtemp(prefix='xm-site-')
    subprocess.run([sys.executable, os.path.join(root, 'tools', 'gen_site_scenario.py'), work],
                   check=True, stdout=subprocess.DEVNULL)
    rd = Redis(work)
    rd.start()
    fails = 0
    try:
        fails += part_equivalence(exe, work, rd)
        fails += part_outage(exe, work)
        fails += part_live(exe, work)
    finally:
        rd.cli('SHUTDOWN', 'NOSAVE')
        if not fails:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print('kept', work)
    return 1 if fails else 0


if __name__ == '__main__':
    sys.exit(main())
