#!/usr/bin/env python3
"""test_defects13.py SOURCE_ROOT EXFILMON CASE

Regression tests for the defects listed in issue 13 ("Defects found on the
way").  Each CASE writes a small capture with tools/pcapgen.py, replays it
through the program with the default rule pack and checks the alerts /
flow records (per-rule alerts: --alert-mode alerts, incidents being the
default output; a case may pass --alert-mode incidents after it); it
prints what it measured and exits 1 on failure.
Home network 10.0.0.0/8.
"""
import json
import os
import subprocess
import sys
import tempfile
from datetime import datetime

ROOT = sys.argv[1]
sys.path.insert(0, os.path.join(ROOT, 'tools'))
import pcapgen as g  # noqa: E402

S, MS = g.S, g.MS
T0 = 1776153600 * S            # 2026-04-14 08:00 UTC, fixed
RESOLVER = g.ip('10.0.0.53')
QID = [0x100]


def A(x):
    return g.ip(x)


def dns(host, t, name, addr, qtype='A'):
    QID[0] += 1
    ans = [(name, qtype, addr)] if addr else []
    return g.dns_lookup(A(host), RESOLVER, t - 30 * MS, QID[0], name, qtype, ans)


def run(exe, work, name, streams, extra=()):
    """Replays the capture; returns (alerts, flows) as lists of dicts."""
    path = os.path.join(work, name + '.pcap')
    g.write_file(path, g.DLT_EN10MB, g.merge_events(streams))
    al, fl = os.path.join(work, name + '.alerts'), os.path.join(work, name + '.flows')
    out = subprocess.run([exe, '-q', '--home-net', '10.0.0.0/8', '--alerts', al,
                          '--flows', fl, '--alert-mode', 'alerts'] + list(extra) + ['-r', path],
                         capture_output=True, text=True)
    if out.returncode != 0:
        print('exit %d: %s' % (out.returncode, out.stderr[-500:]))
        sys.exit(1)

    def rd(p):
        with open(p) as f:
            return [json.loads(x) for x in f if x.strip()]
    return rd(al), rd(fl)


def epoch(ts):
    return datetime.strptime(ts, '%Y-%m-%dT%H:%M:%S.%f%z').timestamp()


def sids(alerts):
    return [a['alert']['signature_id'] for a in alerts if 'alert' in a]


# ---------------------------------------------------------------- cases

def case_aihost_at_packet(exe, work):
    """An LLM-API connection still open (60 s) when the host posts a file
    3 s later: the post is from an AI host (rule 100103, not 100102)."""
    h = '10.1.0.20'
    ch = g.tls_client_hello('api.openai.com')
    llm = g.session(A(h), A('162.159.140.245'), 41000, 443, T0, 6000, 40000, 60 * S,
                    up_first=ch, down_first=g.tls_server_hello())
    post = g.http_post('drop.example.net', '/u', 2000, filename='keys.tar')
    up = g.session(A(h), A('198.51.100.7'), 41001, 80, T0 + 3 * S, len(post) + 2000, 200,
                   S // 2, up_first=post)
    alerts, _ = run(exe, work, 'aihost', [dns(h, T0, 'api.openai.com', '162.159.140.245'),
                                          llm, up])
    got = sids(alerts)
    print('aihost_at_packet: signature ids %s (want 100103, not 100102)' % got)
    return 100103 in got and 100102 not in got


def corpus(name):
    path = os.path.join(ROOT, '..', 'shared', 'corpus', name)
    if not os.path.exists(path):
        print('SKIP: %s absent (no ../shared)' % path)
        sys.exit(77)
    return path


def replay(exe, path, extra=()):
    out = subprocess.run([exe, '-q', '--home-net', '10.0.0.0/8', '--alerts', '-',
                          '--flows', '/dev/null', '--alert-mode', 'alerts'] + list(extra) +
                         ['-r', path],
                         capture_output=True, text=True)
    return [json.loads(x) for x in out.stdout.splitlines() if x.strip()]


def case_dns_per_flow(exe, work):
    """suricata bug-1158: a DNS tunnel (10.30.28.90 -> tunnel.com) and a
    NetBIOS broadcast evaluated after it.  DNS-tunnel alerts come only from
    the tunnel's flow, and name its domain and a query."""
    alerts = replay(exe, corpus('dns/suricata_bug-1158_input.pcap'))
    tun = [a for a in alerts if a['alert'].get('category') == 'DNS Tunnel']
    nb = [a for a in tun if a.get('src_port') == 137 or a.get('dest_port') == 137]
    named = [a for a in tun if a.get('dns_query', {}).get('domain') == 'tunnel.com'
             and a['dns_query'].get('query', '').endswith('.tunnel.com')]
    print('dns_per_flow: %d DNS-tunnel alerts, %d on the NetBIOS flow (want 0), '
          '%d naming tunnel.com and a query (want all)' % (len(tun), len(nb), len(named)))
    inc = replay(exe, corpus('dns/suricata_bug-1158_input.pcap'), ['--alert-mode', 'incidents'])
    groups = sorted({(i['incident']['group']['kind'], i['incident']['group']['value'])
                     for i in inc})
    print('dns_per_flow: incident groups %s (want only dns_tunnel tunnel.com)' % groups)
    return tun and not nb and len(named) == len(tun) and groups == [('dns_tunnel', 'tunnel.com')]


def case_dns_tunnel_labels(exe, work):
    """dnscat2-shaped queries whose first label is the "dnscat" prefix and
    whose data sits in later labels: under a domain
    (dnscat.<56 hex>.<56 hex>.t.dnscat-c2.net) and in prefix mode with no
    domain (dnscat.<62 hex>.<62 hex>.<30 hex>).  Both must raise the
    long-label rule (100112) and name the domain."""
    hosts = {'10.1.0.30': lambda i: 'dnscat.%056x.%056x.t.dnscat-c2.net' % (i, i * 7 + 1),
             '10.1.0.31': lambda i: 'dnscat.%062x.%062x.%030x' % (i, i + 5, i + 9)}
    streams = []
    for h, mk in hosts.items():
        for i in range(12):
            streams.append(dns(h, T0 + i * S, mk(i + 1), None, 'TXT'))
    alerts, flows = run(exe, work, 'dnscat', streams)
    ok = True
    for h in hosts:
        mine = [a for a in alerts if a.get('src_ip') == h and
                a['alert']['signature_id'] == 100112]
        doms = sorted({a.get('dns_query', {}).get('domain') for a in mine})
        print('dns_tunnel_labels: %s: %d long-label alerts, dns.domain %s' % (h, len(mine), doms))
        ok &= len(mine) > 0
    return ok


def case_flow_alerted(exe, work):
    """A clear-HTTP post naming its file (flow rule 100102) and a quiet
    HTTPS download from the same host: the post's flow record says
    alerted true, the download's false."""
    h = '10.1.0.40'
    post = g.http_post('drop.example.net', '/u', 2000, filename='db.sql')
    up = g.session(A(h), A('198.51.100.8'), 42001, 80, T0, len(post) + 2000, 200, S // 2,
                   up_first=post)
    quiet = g.session(A(h), A('198.51.100.9'), 42002, 443, T0, 800, 3000, S // 2,
                      up_first=g.tls_client_hello('www.example.org'),
                      down_first=g.tls_server_hello())
    alerts, flows = run(exe, work, 'alerted', [up, quiet])
    by_port = {f['dest_port']: f['flow']['alerted'] for f in flows if f.get('src_ip') == h}
    print('flow_alerted: signature ids %s; flow.alerted by dest port %s '
          '(want 80 true, 443 false)' % (sids(alerts), by_port))
    return 100102 in sids(alerts) and by_port.get(80) is True and by_port.get(443) is False


def case_close_prompt(exe, work):
    """A 150 MB upload that takes 0.8 s and closes with FIN, while other
    traffic goes on for 30 s: the per-flow volume rule (100001) fires at
    the close (within 1 s of the flow's last packet), not when the closed
    flow expires 10 s later."""
    h = '10.1.0.50'
    up = g.bulk_session(A(h), A('198.51.100.10'), 43001, 443, T0, 150 * 1000 * 1000, 4000,
                        800 * MS, seg=65495, up_first=g.tls_client_hello('files.example.com'),
                        down_first=g.tls_server_hello())
    bg = g.ping(A('10.1.0.51'), A('198.51.100.11'), T0, 7, count=30)
    alerts, flows = run(exe, work, 'close', [up, bg])
    fl = [f for f in flows if f.get('src_ip') == h]
    last = epoch(fl[0]['flow']['end']) if fl else 0
    hits = [epoch(a['timestamp']) for a in alerts if a['alert']['signature_id'] == 100001]
    lag = (min(hits) - last) if hits and fl else None
    print('close_prompt: 100001 alerts %d, first %s s after the flow\'s last packet '
          '(want <= 1)' % (len(hits), 'n/a' if lag is None else '%.1f' % lag))
    return lag is not None and lag <= 1.0


def case_process_alert(exe, work):
    """A process-scope rule on tools/gen_proc_scenarios.py's proc_interp_fire
    (python3, pid in the ledger, uploads 50 MB): the alert carries the
    host as src_ip and keys the process by its pid."""
    subprocess.run([sys.executable, os.path.join(ROOT, 'tools', 'gen_proc_scenarios.py'),
                    work], check=True, capture_output=True)
    rules = os.path.join(work, 'proc.rules')
    with open(rules, 'w') as f:
        f.write('rule 900001 "Process uploaded over 10 MB in 1 hour" {\n'
                '    scope process\n    when bytes_out[1h] > 10MB\n'
                '    severity medium\n}\n')
    al = os.path.join(work, 'proc.alerts')
    subprocess.run([exe, '-q', '--home-net', '10.0.0.0/8,192.168.0.0/16', '--rules', rules,
                    '--alerts', al, '--alert-mode', 'alerts',
                    '--processes', os.path.join(work, 'proc_interp_fire.ledger'),
                    '-r', os.path.join(work, 'proc_interp_fire.pcap')], check=True,
                   capture_output=True)
    with open(al) as f:
        alerts = [json.loads(x) for x in f if x.strip()]
    mine = [a for a in alerts if a['exfil']['scope'] == 'process']
    for a in mine:
        print('process_alert: src_ip %s, key %s, process.pid %s' % (
            a.get('src_ip'), a['exfil']['key'], a.get('process', {}).get('pid')))
    return bool(mine) and all(a.get('src_ip') and a['exfil']['key'].get('pid') ==
                              a.get('process', {}).get('pid') and
                              a['exfil']['key'].get('host') == a['src_ip'] for a in mine)


def custom_run(exe, work, name, streams, rule):
    rules = os.path.join(work, name + '.rules')
    with open(rules, 'w') as f:
        f.write(rule)
    return run(exe, work, name, streams, ['--rules', rules])


def case_top_flows(exe, work):
    """Eight live TLS uploads from one host, 40 MB each over 60 s to eight
    destinations (named by SNI only, no DNS), interleaved; a host rule
    (> 150 MB in 1 h) and a host+destination rule (> 30 MB in 1 h) fire
    while all are live.  The host alert's top_flows show live flows with
    their true totals so far (each flow's bytes out at the alert, within a
    segment), not one segment; the pair alerts name their destination."""
    h = '10.1.0.60'
    streams = []
    for i in range(8):
        streams.append(g.bulk_session(A(h), A('198.51.100.%d' % (20 + i)), 44000 + i, 443,
                                      T0 + i * 10 * MS, 40 * 1000 * 1000, 20000, 60 * S,
                                      seg=65495,
                                      up_first=g.tls_client_hello('up%d.blobs-x.net' % i),
                                      down_first=g.tls_server_hello()))
    rule = ('rule 900010 "host volume" {\n scope host\n when bytes_out[1h] > 150MB\n'
            ' severity medium\n escalate off\n}\n'
            'rule 900011 "pair volume" {\n scope host, destination\n'
            ' when bytes_out[1h] > 30MB\n severity medium\n escalate off\n}\n')
    # a burst: 35 MB in half a second, then the connection idles open (no
    # FIN), so the pair rule fires on the once-a-second tick, no packet in
    # hand; other traffic goes on
    streams.append(g.session(A('10.1.0.61'), A('198.51.100.40'), 44100, 443, T0 + 70 * S,
                             35 * 1000 * 1000, 3000, 500 * MS, seg=65495, close=None,
                             up_first=g.tls_client_hello('burst.blobs-x.net'),
                             down_first=g.tls_server_hello()))
    streams.append(g.ping(A('10.1.0.62'), A('198.51.100.41'), T0, 9, count=90))
    alerts, flows = custom_run(exe, work, 'top', streams, rule)
    host = [a for a in alerts if a['alert']['signature_id'] == 900010]
    pair = [a for a in alerts if a['alert']['signature_id'] == 900011]
    ok = bool(host) and len(pair) == 9
    for a in host[:1]:
        t = epoch(a['timestamp'])
        tops = a['exfil'].get('top_flows', [])
        # a flow's true bytes out at the alert: 40 MB paced evenly over 60 s
        want = [min(1.0, (t - T0 / 1e9) / 60.0) * 40e6 for _ in tops]
        got = [x['bytes_out'] for x in tops]
        print('top_flows: host alert at +%.1f s: top_flows bytes %s (each want about %.0f)'
              % (t - T0 / 1e9, got, want[0] if want else 0))
        ok &= len(tops) == 5 and all(g_ > 0.8 * w for g_, w in zip(got, want))
    named = [a for a in pair if (a.get('dest_name') or {}).get('name')]
    print('top_flows: %d pair alerts, %d with dest_name' % (len(pair), len(named)))
    return ok and len(named) == len(pair)


CASES = {k[5:]: v for k, v in globals().items() if k.startswith('case_')}


def main():
    exe, case = sys.argv[2], sys.argv[3]
    with tempfile.TemporaryDirectory(prefix='xm-d13-') as work:
        ok = CASES[case](exe, work)
    print('ok' if ok else 'FAIL')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
