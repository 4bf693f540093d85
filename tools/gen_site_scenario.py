#!/usr/bin/env python3
"""gen_site_scenario.py OUTDIR [--seed N]

A site with two egress gateways, for the --site-redis test
(tests/test_site_redis.py): writes OUTDIR/gw_a.pcap and OUTDIR/gw_b.pcap
(what each gateway's sensor captures) and OUTDIR/site.pcap (both merged
in time order: what one sensor seeing all egress captures).  Hosts send
traffic through BOTH gateways (policy routing, failover), so "new to the
site" and "new to this sensor" differ:

  ai_cross      10.0.0.35 talks to api.openai.com via A (AI evidence),
                12 min later uploads 41 KB via B to a brand-new domain:
                rule 100106 fires only if B knows the host is an AI host.
  domain_known  10.0.0.37 (AI host, warm-up via B) downloads from
                files.calm-river.net via A, 2 h later uploads 41 KB to it
                via B: the domain is NOT new to the site (no 100106).
  prevalence    10.0.0.40-42 talk to 203.0.113.50 via A; 2 h later
                10.0.0.43 uploads 2 MB to it via B: prevalence 4, so rule
                100007 (prevalence <= 2) must not fire.
  pair_age      10.0.0.46 talks to 203.0.113.70 via A 4 min after the
                site's monitoring began, 2.5 h later uploads 2 MB to it
                via B: 100007 must not fire (the pair dates from the
                first hour, dst.first_seen_site_age <= 1 h).
  controls      10.0.0.44 via B and 10.0.0.45 via A upload 2 MB to
                destinations nobody used: 100007 fires in every set-up.

Every cross-gateway dependency is minutes apart (the exchange is once a
second; docs/operations.md, Fleet).  Deterministic: random.Random(seed),
fixed start time, no wall clock.  Home network 10.0.0.0/8.
"""

import argparse
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapgen as g  # noqa: E402
import gen_intel_scenarios as gi  # noqa: E402

S, MIN, HOUR, KB, MB = g.S, gi.MIN, gi.HOUR, 1000, 1000 ** 2
T0 = gi.T0


def background(a, b):
    """Both sensors start at T0 and see a DNS query every 10 s at the
    same instants (a gateway is never silent for long; in replay a
    sensor's clock is its packets, so both must tick alike for incident
    close records to carry the same time), and a little web traffic."""
    for i in range(int(3 * HOUR // (10 * S))):
        a.dns('10.0.0.10', T0 + i * 10 * S + 50 * g.MS, 'www.example.org', '192.0.2.10',
              sport=5300)
        b.dns('10.0.0.20', T0 + i * 10 * S + 50 * g.MS, 'www.example.com', '192.0.2.20',
              sport=5300)
    for i in range(3):
        a.tls('10.0.0.10', 'www.example.org', '192.0.2.10', T0 + i * HOUR + S, 900, 30 * KB)
        b.tls('10.0.0.20', 'www.example.com', '192.0.2.20', T0 + i * HOUR + S, 900, 30 * KB)


def ai_cross(a, b):
    a.ai_warmup('10.0.0.35', T0 + 2 * MIN)
    b.tls('10.0.0.35', 'files.quiet-harbor.net', '198.51.100.40', T0 + 14 * MIN,
          41 * KB, 900, 4 * S)


def domain_known(a, b):
    b.ai_warmup('10.0.0.37', T0 + 1 * MIN)
    a.tls('10.0.0.37', 'files.calm-river.net', '198.51.100.41', T0 + 3 * MIN, 1500, 20 * KB)
    b.tls('10.0.0.37', 'files.calm-river.net', '198.51.100.41', T0 + 2 * HOUR + 3 * MIN,
          41 * KB, 900, 4 * S)


def prevalence(a, b):
    for i, h in enumerate(('10.0.0.40', '10.0.0.41', '10.0.0.42')):
        a.tls(h, 'cdn.shared-assets.net', '203.0.113.50', T0 + (5 + i) * MIN, 1200, 50 * KB)
    b.tls('10.0.0.43', 'cdn.shared-assets.net', '203.0.113.50', T0 + 2 * HOUR + 5 * MIN,
          2 * MB, 4 * KB, 20 * S)


def pair_age(a, b):
    a.tls('10.0.0.46', 'sync.lone-pine.net', '203.0.113.70', T0 + 4 * MIN, 1200, 40 * KB)
    b.tls('10.0.0.46', 'sync.lone-pine.net', '203.0.113.70', T0 + 2 * HOUR + 34 * MIN,
          2 * MB, 4 * KB, 20 * S)


def controls(a, b):
    b.tls('10.0.0.44', 'drop.new-cedar.net', '203.0.113.60', T0 + 2 * HOUR + 10 * MIN,
          2 * MB, 4 * KB, 20 * S)
    a.tls('10.0.0.45', 'drop.new-birch.net', '203.0.113.61', T0 + 2 * HOUR + 20 * MIN,
          2 * MB, 4 * KB, 20 * S)


SCENARIOS = [background, ai_cross, domain_known, prevalence, pair_age, controls]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('outdir')
    ap.add_argument('--seed', type=int, default=20261207)
    a = ap.parse_args(argv)
    os.makedirs(a.outdir, exist_ok=True)
    rng = random.Random(a.seed)
    ga, gb = gi.Cap(rng), gi.Cap(rng)
    gb.port, gb.qid = 51000, 0x6000     # no 5-tuple or DNS id shared by the halves
    for fn in SCENARIOS:
        fn(ga, gb)
    for name, evs in (('gw_a', [ga.evs]), ('gw_b', [gb.evs]), ('site', [ga.evs, gb.evs])):
        g.write_file(os.path.join(a.outdir, name + '.pcap'), g.DLT_EN10MB,
                     g.merge_events(evs))
        print(name + '.pcap')
    return 0


if __name__ == '__main__':
    sys.exit(main())
