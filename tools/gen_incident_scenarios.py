#!/usr/bin/env python3
"""gen_incident_scenarios.py OUTDIR [--only NAME[,NAME...]] [--seed N] [--list]

Writes one capture per exfiltration *episode* (and per heavy benign day)
for the incident tests (tests/test_incident_scenarios.py): what matters is
how many incident records an episode yields and how fast it reaches its
severity, not which single rule fires.  Built with tools/pcapgen.py; bulk
data travels as header-only TSO/GSO super-segments, so a 45 GB upload is
about 50 MB of capture.  Deterministic (random.Random(seed * 1000 + index),
no wall clock).  Home network 10.0.0.0/8; resolver 10.0.0.53.

The expectations live beside each scenario (EXPECT) and are printed to
OUTDIR/EXPECT.tsv: host, episode start (epoch seconds), the severity it
must reach ('critical', 'high', 'medium' or '-' for benign), within how
many seconds, and the most records the host may produce.
"""

import argparse
import calendar
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapgen as g  # noqa: E402

S, MS = g.S, g.MS
MIN, HOUR, DAY = 60 * S, 3600 * S, 86400 * S
KB, MB, GB, GIB = 1000, 1000 ** 2, 1000 ** 3, 1 << 30
RESOLVER = g.ip('10.0.0.53')
T0 = calendar.timegm((2026, 4, 14, 8, 0, 0)) * S   # a Tuesday, fixed
SEG = 65495                                          # TSO super-segment payload


def A(x):
    return g.ip(x)


class Cap:
    """Streams of one capture, with port and DNS-id counters."""

    def __init__(self, rng):
        self.rng, self.streams, self.port, self.qid = rng, [], 40000, 0x300

    def next_port(self):
        self.port += 1
        return self.port

    def dns(self, host, t, name, addr, sport=None):
        self.qid = (self.qid + 1) & 0xFFFF
        self.streams.append(g.dns_lookup(A(host), RESOLVER, t - 30 * MS, self.qid, name, 'A',
                                         [(name, 'A', addr)], sport=sport))

    def tls(self, host, name, addr, t, up, down, dur, dns=True, sni=True):
        """A TLS flow: DNS answer (optional), ClientHello (with SNI unless
        sni is False), then bulk data; up/down are TCP payload totals."""
        if dns:
            self.dns(host, t, name, addr)
        ch = g.tls_client_hello(name if sni else '', rng=self.rng)
        self.streams.append(g.bulk_session(A(host), A(addr), self.next_port(), 443, t,
                                           max(up, len(ch)), down, dur, seg=SEG, up_first=ch,
                                           down_first=g.tls_server_hello(self.rng),
                                           rng=self.rng))

    def ai_warmup(self, host, t):
        """Makes `host` an AI host: a download-heavy session to an LLM API
        (data/ai/llm_endpoints.list)."""
        self.tls(host, 'api.openai.com', '162.159.140.245', t, 6000, 40_000, 8 * S)


def quic_initial(rng, dcid):
    """A client Initial-shaped datagram (RFC 9000 17.2.2): long header,
    version 1, DCID, empty SCID and token, then random protected bytes,
    padded to 1250 octets (RFC 9000 14.1)."""
    body = bytes([0xC3]) + (1).to_bytes(4, 'big') + bytes([len(dcid)]) + dcid + b'\x00\x00'
    body += (0x4000 | 1200).to_bytes(2, 'big')
    return body + bytes(rng.getrandbits(8) for _ in range(1250 - len(body)))


def quic_bulk(c, host, addr, t, up, dur):
    """QUIC-shaped upload over UDP 443: one Initial, then GSO super-datagrams
    of 65507 octets (header-only records), a small reply every 64."""
    sport, cli, srv = c.next_port(), A(host), A(addr)
    dcid = bytes(c.rng.getrandbits(8) for _ in range(8))
    evs = [g._ev(t, g.ip_pkt(cli, srv, g.P_UDP, g.udp(cli, srv, sport, 443,
                                                      quic_initial(c.rng, dcid))), True)]
    n = -(-up // 65507)
    for i in range(n):
        ts = t + 10 * MS + dur * i // n
        size = min(65507, up - i * 65507)
        evs.append(g._ev(ts, g.ip_pkt(cli, srv, g.P_UDP, g.udp(cli, srv, sport, 443, b'', size)),
                         True, True))
        if i % 64 == 0:
            evs.append(g._ev(ts + MS, g.ip_pkt(srv, cli, g.P_UDP,
                                               g.udp(srv, cli, 443, sport, b'\x40' * 40)), False))
    c.streams.append(evs)


# ----------------------------------------------------------- episodes
# Each: (capture, rng) -> None; hosts are distinct per scenario.

def stealer(c):
    """A LiteLLM-style stealer on an AI host: a 42 KB encrypted archive
    posted over TLS to the campaign domain models.litellm.cloud, then a
    small poll every 50 minutes for four hours."""
    h = '10.1.0.10'
    c.ai_warmup(h, T0)
    c.tls(h, 'models.litellm.cloud', '46.151.182.203', T0 + 30 * S, 42_000, 900, 3 * S)
    for i in range(1, 6):
        c.tls(h, 'models.litellm.cloud', '46.151.182.203', T0 + 30 * S + i * 50 * MIN,
              700, 1500, 2 * S)


def bulk(c):
    """20 GiB in one TLS upload from an AI host to a destination never
    seen before, over 50 minutes."""
    h = '10.1.0.11'
    c.ai_warmup(h, T0)
    c.tls(h, 'ingest.bright-meadow.io', '198.51.100.111', T0 + 5 * MIN, 20 * GIB, 2 * MB,
          50 * MIN)


def parallel(c):
    """45 GB over 8 parallel TLS streams from an AI host to one new
    destination, 40 minutes."""
    h = '10.1.0.12'
    c.ai_warmup(h, T0)
    for i in range(8):
        c.tls(h, 'upload.cold-river.net', '198.51.100.112', T0 + 5 * MIN + i * S,
              45 * GB // 8, 1 * MB, 40 * MIN, dns=(i == 0))


def sharded(c):
    """40 GiB in an hour from an AI host over 60 addresses of one storage
    provider (bucket names of one registrable domain, as S3 shards do)."""
    h = '10.1.0.13'
    c.ai_warmup(h, T0)
    for i in range(60):
        name = 'part-%02d.blob-vault.net' % i
        c.tls(h, name, '203.0.113.%d' % (100 + i), T0 + 5 * MIN + i * 55 * S,
              40 * GIB // 60, 200 * KB, 50 * S)


def dns_tunnel(c):
    """A DNS tunnel: 6,000 queries of 40-character hex labels under one
    domain, each from a new source port (as a resolver-facing client does),
    one every 0.6 s for an hour."""
    h = '10.1.0.14'
    for i in range(6000):
        label = '%040x' % c.rng.getrandbits(160)
        c.dns(h, T0 + i * 600 * MS, '%s.t.exfil-dnstun.net' % label, '198.51.100.114',
              sport=20000 + i % 40000)


def quic_unnamed(c):
    """6 GiB over QUIC from an AI host to an address that no DNS answer
    names, in 40 minutes."""
    h = '10.1.0.15'
    c.ai_warmup(h, T0)
    quic_bulk(c, h, '198.51.100.115', T0 + 5 * MIN, 6 * GIB, 40 * MIN)


def low_slow(c):
    """2 GiB a day for three days in 21 MB chunks to a destination new to
    the site (one chunk about every 15 minutes, day and night), starting
    two hours into the capture (after ordinary traffic: the site has been
    watched for a while, so the destination is new, not merely unseen)."""
    h = '10.1.0.16'
    c.tls(h, 'github.com', '140.82.121.4', T0, 20 * KB, 2 * MB, 10 * S)
    per_day = 2 * GIB // (21 * MB) + 1
    for d in range(3):
        for i in range(per_day):
            t = T0 + 2 * HOUR + d * DAY + i * (DAY // per_day) + c.rng.randint(0, 30) * S
            c.tls(h, 'sync.amber-field.org', '198.51.100.116', t, 21 * MB, 20 * KB, 20 * S,
                  dns=(d == 0 and i == 0))


def benign_day(c):
    """A busy normal day: a 60 MB git push, a one-hour video call, an AI host
    sending 20 batch jobs of 30 MB to the LLM API that made it an AI host,
    and a 3 GB rsync to the NAS on the local network."""
    dev, ai, nas = '10.1.0.20', '10.1.0.21', '10.1.0.5'
    c.tls(dev, 'github.com', '140.82.121.4', T0 + 10 * MIN, 60 * MB, 500 * KB, 90 * S)
    c.tls(dev, 'zoom.us', '170.114.52.2', T0 + 2 * HOUR, 450 * MB, 900 * MB, 60 * MIN)
    c.ai_warmup(ai, T0)
    for i in range(20):
        c.tls(ai, 'api.openai.com', '162.159.140.245', T0 + 10 * MIN + i * 20 * MIN,
              30 * MB, 2 * MB, 3 * MIN, dns=False)
    c.streams.append(g.bulk_session(A(dev), A(nas), c.next_port(), 873, T0 + 8 * HOUR,
                                    3 * GB, 10 * MB, 20 * MIN, seg=SEG, rng=c.rng))


# name, function, (host, start offset, target severity, deadline s, max records)
SCENARIOS = [
    ('stealer', stealer, ('10.1.0.10', 30 * S, 'critical', 60, 10)),
    ('bulk', bulk, ('10.1.0.11', 5 * MIN, 'high', 3600, 10)),
    ('parallel', parallel, ('10.1.0.12', 5 * MIN, 'high', 3600, 10)),
    ('sharded', sharded, ('10.1.0.13', 5 * MIN, 'high', 3600, 10)),
    ('dns_tunnel', dns_tunnel, ('10.1.0.14', 0, 'medium', 3600, 10)),
    ('quic_unnamed', quic_unnamed, ('10.1.0.15', 5 * MIN, 'high', 3600, 10)),
    ('low_slow', low_slow, ('10.1.0.16', 2 * HOUR, 'medium', 3 * 86400, 10)),
    ('benign_day', benign_day, ('*', 0, '-', 0, 5)),
]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('outdir', nargs='?')
    ap.add_argument('--seed', type=int, default=20260414)
    ap.add_argument('--only', default='')
    ap.add_argument('--list', action='store_true', help='print file names only')
    a = ap.parse_args(argv)
    only = set(filter(None, a.only.split(',')))
    if a.list:
        print('\n'.join('incident_%s.pcap' % n for n, _, _ in SCENARIOS))
        return 0
    if not a.outdir:
        ap.error('OUTDIR is required')
    os.makedirs(a.outdir, exist_ok=True)
    rows = []
    for i, (name, fn, exp) in enumerate(SCENARIOS):
        host, start, sev, deadline, most = exp
        rows.append('incident_%s.pcap\t%s\t%d\t%s\t%d\t%d' % (
            name, host, (T0 + start) // S, sev, deadline, most))
        if only and name not in only:
            continue
        c = Cap(random.Random(a.seed * 1000 + i))
        fn(c)
        g.write_file(os.path.join(a.outdir, 'incident_%s.pcap' % name), g.DLT_EN10MB,
                     g.merge_events(c.streams))
        print('incident_%s.pcap' % name)
    with open(os.path.join(a.outdir, 'EXPECT.tsv'), 'w') as f:
        f.write('# file\thost\tstart\tseverity\tdeadline_s\tmax_records\n')
        f.write('\n'.join(rows) + '\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
