#!/usr/bin/env python3
"""gen_proc_scenarios.py OUTDIR [--seed N] [--list]

Writes fire / near-miss pairs for the process rules of rules/process.rules
(issue 5) into OUTDIR: for each scenario a capture NAME.pcap and the
process ledger NAME.ledger that a live exfilmon would have written beside
it (--record-processes; format in docs/processes.md), so that replaying
with `--processes OUTDIR/NAME.ledger` reproduces the per-process verdicts.
Deterministic: every random choice comes from random.Random(seed * 1000 +
index), no wall clock.  Home network 10.0.0.0/8,192.168.0.0/16 (as in
tests/regress/manifest.tsv); resolver 10.0.0.53; outside servers use the
documentation ranges of RFC 5737.

Scenarios (rule, verdict):
  proc_interp_fire      100200  python3 (3 days old) uploads 50 MB over TLS
                                to an unknown host
  proc_interp_miss      -       the same python3 uploads 50 MB to
                                api.openai.com (an LLM API)
  proc_interp_ai_fire   100201  as _fire, from a host that talked to an LLM
                                API ten minutes before (AI host: critical)
  proc_young_fire       100203  a python3 process 20 seconds old posts 40 KB
                                to a domain first seen by its host
  proc_young_miss       -       the same post from a python3 3 days old
  proc_imds_fire        100204  python3 fetches 169.254.169.254, then
                                uploads 200 KB a minute later
  proc_imds_miss        -       amazon-ssm-agent does the same
  proc_interp_gateway   -       proc_interp_fire's capture, replayed without
                                a ledger (as on a gateway)
"""

import argparse
import calendar
import hashlib
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapgen as g  # noqa: E402

S, MS, US = g.S, g.MS, g.US
MIN, HOUR, DAY = 60 * S, 3600 * S, 86400 * S
KB, MB = 1000, 1000 * 1000
RESOLVER = '10.0.0.53'
METADATA = '169.254.169.254'
# Tuesday 2026-03-24 12:00:00 UTC, fixed.
T0 = calendar.timegm((2026, 3, 24, 12, 0, 0)) * S

PY_EXE, PY_CMD = '/usr/bin/python3.11', 'python3 /opt/app/sync.py'
SSM_EXE = '/usr/bin/amazon-ssm-agent'


def proc(pid, name, exe, cmdline, start_ns, user='app', uid=1000):
    """A ledger process object; start/first_seen in epoch microseconds."""
    # schema 2.0 ledger: cmdline is the argument list; sha256 stands in for
    # the executable's hash (the digest of its path text: test data only)
    return {'pid': pid, 'ppid': 1, 'name': name, 'exe': exe,
            'sha256': hashlib.sha256(exe.encode()).hexdigest(),
            'cmdline': cmdline.split(' '),
            'user': user, 'uid': uid, 'start_us': start_ns // US,
            'first_seen_us': start_ns // US, 'exited': False}


def python3(pid, age_ns):
    return proc(pid, 'python3', PY_EXE, PY_CMD, T0 - age_ns)


class Cap:
    """Events and ledger lines of one capture."""

    def __init__(self, rng):
        self.rng, self.streams, self.ledger = rng, [], []
        self.port, self.qid = 45000, 0x3000

    def next_port(self):
        self.port += 1
        return self.port

    def record(self, t, host, sport, addr, dport, p):
        """One ledger line: the flow's first packet time and 5-tuple."""
        self.ledger.append({'ts_us': t // US, 'proto': 6, 'src_ip': host, 'src_port': sport,
                            'dest_ip': addr, 'dest_port': dport, 'attribution': 'exact',
                            'process': p})

    def dns(self, host, t, name, addr):
        self.qid += 1
        self.streams.append(g.dns_lookup(g.ip(host), g.ip(RESOLVER), t, self.qid, name, 'A',
                                         [(name, 'A', addr)]))

    def tls(self, host, name, addr, t, up, down, dur, p):
        """DNS, then a TLS session (ClientHello with SNI `name`) owned by
        process p; up/down are application bytes."""
        self.dns(host, t, name, addr)
        t += 20 * MS
        sport = self.next_port()
        ch = g.tls_client_hello(name, rng=self.rng)
        sh = g.tls_server_hello(self.rng)
        if up > 4 * MB:
            ev = g.bulk_session(g.ip(host), g.ip(addr), sport, 443, t, up, down, dur,
                                up_first=ch, down_first=sh, rng=self.rng)
        else:
            ev = g.session(g.ip(host), g.ip(addr), sport, 443, t, max(up, len(ch)), down, dur,
                           up_first=ch, down_first=sh, rng=self.rng)
        self.streams.append(ev)
        self.record(t, host, sport, addr, 443, p)

    def imds(self, host, t, p):
        """An instance-metadata request (IMDSv1 style GET of the role's
        credentials) and its ~1.3 KB answer, owned by process p."""
        req = (b'GET /latest/meta-data/iam/security-credentials/app-role HTTP/1.1\r\n'
               b'Host: 169.254.169.254\r\nUser-Agent: python-requests/2.32.3\r\n\r\n')
        resp = g.http_response(200, 'OK', b'{"Code":"Success","AccessKeyId":"' + b'A' * 20
                               + b'","SecretAccessKey":"' + b'S' * 40 + b'","Token":"'
                               + b'T' * 1100 + b'"}')
        sport = self.next_port()
        self.streams.append(g.session(g.ip(host), g.ip(METADATA), sport, 80, t, len(req),
                                      len(resp), 50 * MS, rtt=1 * MS, up_first=req,
                                      down_first=resp, rng=self.rng))
        self.record(t, host, sport, METADATA, 80, p)


# ----------------------------------------------------------- scenarios
def interp(c, fire):
    """100200: 50 MB to an unknown host vs to api.openai.com."""
    h, p = '10.0.1.10', python3(4101, 3 * DAY)
    if fire:
        c.tls(h, 'storage.dump-site.net', '203.0.113.10', T0, 50 * MB, 20 * KB, 60 * S, p)
        return
    # The API was in use for two hours already (not a first-seen domain).
    c.tls(h, 'api.openai.com', '162.159.140.245', T0 - 2 * HOUR, 6 * KB, 40 * KB, 8 * S, p)
    c.tls(h, 'api.openai.com', '162.159.140.245', T0, 50 * MB, 20 * KB, 60 * S, p)


def interp_ai(c, fire):
    """100201: the upload of interp_fire from an AI host."""
    h, p = '10.0.1.12', python3(4102, 3 * DAY)
    c.tls(h, 'api.openai.com', '162.159.140.245', T0 - 10 * MIN, 6 * KB, 40 * KB, 8 * S, p)
    c.tls(h, 'storage.dump-site.net', '203.0.113.10', T0, 50 * MB, 20 * KB, 60 * S, p)


def young(c, fire):
    """100203: a 40 KB post to a first-seen domain by a 20-second-old
    process vs a 3-day-old one."""
    h = '10.0.1.13'
    p = python3(4103, 20 * S if fire else 3 * DAY)
    c.tls(h, 'files.quiet-drop.net', '198.51.100.90', T0, 41 * KB, 900, 4 * S, p)


def imds(c, fire):
    """100204: metadata fetch, then 200 KB up a minute later, by python3
    vs by amazon-ssm-agent."""
    h = '10.0.1.15'
    if fire:
        p = python3(4105, 3 * DAY)
    else:
        p = proc(812, 'amazon-ssm-agen', SSM_EXE, SSM_EXE, T0 - 3 * DAY, 'root', 0)
    c.imds(h, T0, p)
    c.tls(h, 'collect.quiet-drop.net', '198.51.100.91', T0 + 1 * MIN, 200 * KB, 2 * KB,
          5 * S, p)


SCENARIOS = [('interp', interp), ('interp_ai', interp_ai), ('young', young), ('imds', imds)]


def files():
    """(base name, function, fire) for every capture, in order."""
    out = []
    for name, fn in SCENARIOS:
        out.append(('proc_%s_fire' % name, fn, True))
        if name != 'interp_ai':
            out.append(('proc_%s_miss' % name, fn, False))
    # interp_fire again, for a row replayed WITHOUT its ledger (a gateway:
    # no process is known, so no process rule may fire)
    out.append(('proc_interp_gateway', interp, True))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('outdir')
    ap.add_argument('--seed', type=int, default=20260324)
    ap.add_argument('--list', action='store_true', help='print base names only')
    a = ap.parse_args(argv)
    if a.list:
        print('\n'.join(f for f, _, _ in files()))
        return 0
    os.makedirs(a.outdir, exist_ok=True)
    for i, (base, fn, fire) in enumerate(files()):
        c = Cap(random.Random(a.seed * 1000 + i))
        fn(c, fire)
        g.write_file(os.path.join(a.outdir, base + '.pcap'), g.DLT_EN10MB,
                     g.merge_events(c.streams))
        with open(os.path.join(a.outdir, base + '.ledger'), 'w') as f:
            for line in sorted(c.ledger, key=lambda r: r['ts_us']):
                f.write(json.dumps(line, sort_keys=True) + '\n')
        print(base)
    return 0


if __name__ == '__main__':
    sys.exit(main())
