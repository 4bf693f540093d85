#!/usr/bin/env python3
"""gen_intel_scenarios.py OUTDIR [--seed N] [--list]

Writes fire / near-miss captures for the destination-intelligence rules
of rules/intel.rules (issue 4) into OUTDIR, one small pcap per scenario
(all under ~10 MB).  Deterministic: every random choice comes from
random.Random(seed * 1000 + index), no wall clock.  Home network:
10.0.0.0/8,192.168.0.0/16 (as in tests/regress/manifest.tsv); resolver
10.0.0.53.  Addresses of "benign" servers are documentation ranges
(RFC 5737) or the published indicators themselves where that is the
point (data/ioc/teampcp.list).

"AI host" means the host first talked to api.openai.com (an LLM endpoint
of data/ai/llm_endpoints.list), which tags it as running AI tooling.

Each scenario: name, the rule it targets, and whether it must fire.
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
KB = 1000
RESOLVER = g.ip('10.0.0.53')
# Tuesday 2026-03-24 09:00:00 UTC, fixed.
T0 = calendar.timegm((2026, 3, 24, 9, 0, 0)) * S


def A(x):
    return g.ip(x)


class Cap:
    """Events of one capture, with per-capture port and DNS-id counters."""

    def __init__(self, rng):
        self.rng, self.evs, self.port, self.qid = rng, [], 41000, 0x2000

    def next_port(self):
        self.port += 1
        return self.port

    def dns(self, host, t, name, addr, sport=None):
        self.qid += 1
        self.evs += g.dns_lookup(A(host), RESOLVER, t, self.qid, name, 'A',
                                 [(name, 'A', addr)], sport=sport)

    def tls(self, host, name, addr, t, up, down, dur=2 * S, dns=True, port=443):
        """DNS answer (optional) then a TLS session whose first client
        segment is a ClientHello with SNI `name`; up/down are app bytes."""
        if dns:
            self.dns(host, t, name, addr)
        ch = g.tls_client_hello(name, alpn=('h2', 'http/1.1'), rng=self.rng)
        self.evs += g.session(A(host), A(addr), self.next_port(), port, t + 20 * MS,
                              max(up, len(ch)), down, dur, up_first=ch,
                              down_first=g.tls_server_hello(self.rng), rng=self.rng)

    def http_post(self, host, addr, port, t, body, filename=None):
        head = g.http_post('%s:%d' % (addr, port), '/upload', body,
                           'application/octet-stream', 'python-requests/2.32.3',
                           filename=filename)
        self.evs += g.session(A(host), A(addr), self.next_port(), port, t,
                              len(head) + body, 200, 3 * S, up_first=head,
                              down_first=g.http_response(200, 'OK', b'ok'), rng=self.rng)

    def ai_warmup(self, host, t):
        """Makes `host` an AI host: a download-heavy session to an LLM API."""
        self.tls(host, 'api.openai.com', '162.159.140.245', t, 6000, 40_000, 8 * S)


# ----------------------------------------------------------- scenarios
def ioc(c, fire):
    """100100: a benign-looking name resolving to a published indicator
    address (Trivy exfil server 45.148.10.212) vs to a benign address."""
    addr = '45.148.10.212' if fire else '192.0.2.80'
    c.tls('10.0.0.31', 'cdn.update-service.net', addr, T0, 3000, 20_000)


def marker(c, fire):
    """100101/100102: a 40 KB clear-HTTP POST with X-Filename: tpcp.tar.gz
    vs the same upload without the header."""
    c.http_post('10.0.0.32', '198.51.100.20', 8080, T0, 40_960,
                filename='tpcp.tar.gz' if fire else None)


def lookalike(c, fire):
    """100104: litellm.cloud (look-alike of litellm.ai) vs litellm.ai."""
    name = 'docs.litellm.cloud' if fire else 'docs.litellm.ai'
    c.tls('10.0.0.33', name, '198.51.100.30', T0, 2000, 30_000)


def lookalike_ai(c, fire):
    """100105: the same look-alike from an AI host (critical)."""
    c.ai_warmup('10.0.0.34', T0)
    name = 'docs.litellm.cloud' if fire else 'docs.litellm.ai'
    c.tls('10.0.0.34', name, '198.51.100.30', T0 + 5 * MIN, 2000, 30_000)


def firstseen_ai(c, fire):
    """100106: a 40 KB upload to a domain first seen 10 minutes after the
    AI host's warm-up, vs the same upload from a host without AI tooling."""
    h = '10.0.0.35' if fire else '10.0.0.36'
    if fire:
        c.ai_warmup(h, T0)
    c.tls(h, 'files.quiet-harbor.net', '198.51.100.40', T0 + 10 * MIN, 41_000, 900, 4 * S)


def firstseen_known(c, fire):
    """100106 near miss: the AI host has used the domain for 2 hours."""
    h = '10.0.0.37'
    c.ai_warmup(h, T0)
    c.tls(h, 'files.quiet-harbor.net', '198.51.100.40', T0 + 1 * MIN, 1500, 20_000)
    c.tls(h, 'files.quiet-harbor.net', '198.51.100.40', T0 + 2 * HOUR + 1 * MIN,
          41_000, 900, 4 * S)


def firstseen_llm(c, fire):
    """100106 near miss: an AI host's batch jobs to the LLM API that makes
    it an AI host (the first job is its first contact with openai.com:
    the domain is first seen within the hour, prevalence 1), three posts
    of 200 KB five minutes apart.  Expected traffic (issue 13): no alert."""
    for i in range(3):
        c.tls('10.0.0.48', 'api.openai.com', '162.159.140.245', T0 + i * 5 * MIN,
              200_000, 12_000, 6 * S, dns=(i == 0))


def dns_tunnel(c, fire):
    """100110: 150 vs 50 unique 20-character hex subdomains of one domain,
    one socket (as iodine/dnscat2 use), one query every 2 s."""
    n = 150 if fire else 50
    for i in range(n):
        label = '%020x' % c.rng.getrandbits(80)
        c.dns('10.0.0.38', T0 + i * 2 * S, '%s.t.exfil-tunnel.net' % label,
              '198.51.100.53', sport=53999)


def dns_longlabel(c, fire):
    """100112: five queries with 56- vs 40-character base32 labels."""
    alpha = 'abcdefghijklmnopqrstuvwxyz234567'
    ln = 56 if fire else 40
    for i in range(5):
        label = ''.join(c.rng.choice(alpha) for _ in range(ln))
        c.dns('10.0.0.39', T0 + i * 5 * S, '%s.d.exfil-tunnel.net' % label,
              '198.51.100.53', sport=53998)


def dns_entropy(c, fire):
    """100113: 30 queries whose 40-character labels are random base32
    (about 4.7 bits per character) vs random hex (4.0 at most); 30 unique
    subdomains, below rule 100110's 100 and 100112's 48 characters."""
    alpha = 'abcdefghijklmnopqrstuvwxyz234567' if fire else '0123456789abcdef'
    for i in range(30):
        label = ''.join(c.rng.choice(alpha) for _ in range(40))
        c.dns('10.0.0.46', T0 + i * 10 * S, '%s.e.exfil-tunnel.net' % label,
              '198.51.100.53', sport=53997)


def dns_txt(c, fire):
    """100114: TXT answers of 1200 octets each from one domain, 60 of them
    (72 KB, over the 64 KB threshold) vs 40 (48 KB).  The same name is
    asked every time, so only the TXT volume rule can speak."""
    n = 60 if fire else 40
    for i in range(n):
        c.qid += 1
        blob = bytes(c.rng.getrandbits(8) for _ in range(1200))
        c.evs += g.dns_lookup(A('10.0.0.47'), RESOLVER, T0 + i * 20 * S, c.qid,
                              'cmd.x.exfil-txt.net', 'TXT',
                              [('cmd.x.exfil-txt.net', 'TXT', blob)], sport=53996)


def filesharing(c, fire):
    """100120: 2 MB uploaded to transfer.sh vs 2 MB downloaded from it."""
    up, down = (2_000_000, 5000) if fire else (5000, 2_000_000)
    c.tls('10.0.0.41', 'transfer.sh', '198.51.100.60', T0, up, down, 10 * S)


def tunnel_ai(c, fire):
    """100121: an AI host posts 40 KB to a Cloudflare quick tunnel vs
    fetches 40 KB from it."""
    c.ai_warmup('10.0.0.42', T0)
    up, down = (41_000, 900) if fire else (900, 41_000)
    c.tls('10.0.0.42', 'quiet-river-lamp-stone.trycloudflare.com', '198.51.100.61',
          T0 + 5 * MIN, up, down, 4 * S)


def objstore(c, fire):
    """100122: 5 MB to an S3 bucket new to the host two hours into the
    capture vs to a bucket the host has used for two days (both after an
    ordinary first contact at T0, so monitoring is past its first hour)."""
    h, bucket = '10.0.0.43', 'acme-backups.s3.amazonaws.com'
    c.tls(h, bucket, '198.51.100.70', T0, 60_000, 4000, 4 * S)
    t = T0 + 2 * DAY
    if fire:
        bucket, t = 'dropzone-7f3a.s3.amazonaws.com', T0 + 2 * HOUR
    c.tls(h, bucket, '198.51.100.71' if fire else '198.51.100.70', t, 5_000_000, 20_000,
          20 * S)


def beacon(c, fire):
    """100124: 8 small TLS polls to one name every 50 min (+-3 s) vs at
    irregular spacing (5 to 120 minutes)."""
    t = T0
    for i in range(8):
        c.tls('10.0.0.44', 'status.poll-relay.net', '198.51.100.80', t, 700, 1800, 2 * S)
        if fire:
            t += 50 * MIN + c.rng.randint(-3, 3) * S
        else:
            t += c.rng.randint(5, 120) * MIN


def inbound_ai(c, fire):
    """100126: a client outside (203.0.113.50) vs inside (10.0.0.77)
    the home network talks to the Ollama port 11434 of 10.0.0.45."""
    cli = '203.0.113.50' if fire else '10.0.0.77'
    req = (b'POST /api/generate HTTP/1.1\r\nHost: 10.0.0.45:11434\r\n'
           b'Content-Type: application/json\r\nContent-Length: 40\r\n\r\n'
           b'{"model":"llama3","prompt":"hello there"}')
    c.evs += g.session(A(cli), A('10.0.0.45'), 50123, 11434, T0, len(req), 2000, 2 * S,
                       up_first=req, down_first=g.http_response(200, 'OK', b'{}'),
                       rng=c.rng)


SCENARIOS = [
    ('ioc', ioc), ('marker', marker), ('lookalike', lookalike),
    ('lookalike_ai', lookalike_ai), ('firstseen_ai', firstseen_ai),
    ('firstseen_known', firstseen_known), ('dns_tunnel', dns_tunnel),
    ('dns_longlabel', dns_longlabel), ('filesharing', filesharing),
    ('tunnel_ai', tunnel_ai), ('objstore', objstore), ('beacon', beacon),
    ('inbound_ai', inbound_ai), ('dns_entropy', dns_entropy), ('dns_txt', dns_txt),
    ('firstseen_llm', firstseen_llm),   # appended: seeds of the others unchanged
]


def files():
    """(file name, function, fire) for every capture, in order."""
    out = []
    for name, fn in SCENARIOS:
        if name in ('firstseen_known', 'firstseen_llm'):
            out.append(('intel_%s_miss.pcap' % name, fn, False))
            continue
        out.append(('intel_%s_fire.pcap' % name, fn, True))
        out.append(('intel_%s_miss.pcap' % name, fn, False))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('outdir')
    ap.add_argument('--seed', type=int, default=20260324)
    ap.add_argument('--list', action='store_true', help='print file names only')
    a = ap.parse_args(argv)
    if a.list:
        print('\n'.join(f for f, _, _ in files()))
        return 0
    os.makedirs(a.outdir, exist_ok=True)
    for i, (fname, fn, fire) in enumerate(files()):
        c = Cap(random.Random(a.seed * 1000 + i))
        fn(c, fire)
        g.write_file(os.path.join(a.outdir, fname), g.DLT_EN10MB, g.merge_events([c.evs]))
        print(fname)
    return 0


if __name__ == '__main__':
    sys.exit(main())
