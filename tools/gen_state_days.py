#!/usr/bin/env python3
"""gen_state_days.py OUTDIR

Writes two days of one site's traffic for the --state tests
(tests/state/test_state_days.py): OUTDIR/day1.pcap, OUTDIR/day2.pcap and
OUTDIR/both.pcap (the same packets in one file).  Deterministic (fixed
seed, no wall clock); built with tools/pcapgen.py through the helpers of
tools/gen_incident_scenarios.py.  Home network 10.0.0.0/8.

Day 1 (from T0): host 10.1.0.20 becomes an AI host (LLM API session) and
uploads 3 GiB to ingest.harbor-vault.net, a destination new to the site;
host 10.1.0.21 uploads 600 MB to the same domain.
Day 2 (T0 + 1 day): 10.1.0.20 uploads 3 GiB to ingest.harbor-vault.net
again (known since day 1: without state it looks new and its host looks
like an ordinary one) and 2 GiB to drop.quiet-lantern.io (new on day 2).
OUTDIR/DAY2 holds the epoch second where day 2 starts.
"""
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_incident_scenarios as sc  # noqa: E402
import pcapgen as g  # noqa: E402

S, MIN, HOUR, DAY, MB, GIB = sc.S, sc.MIN, sc.HOUR, sc.DAY, sc.MB, sc.GIB
T0 = sc.T0
DAY2 = T0 + DAY


def day1(c):
    c.ai_warmup('10.1.0.20', T0)
    c.tls('10.1.0.20', 'ingest.harbor-vault.net', '198.51.100.120', T0 + 5 * MIN, 3 * GIB,
          2 * MB, 30 * MIN)
    c.tls('10.1.0.21', 'files.harbor-vault.net', '198.51.100.121', T0 + 2 * HOUR, 600 * MB,
          1 * MB, 10 * MIN)


def day2(c):
    c.tls('10.1.0.20', 'ingest.harbor-vault.net', '198.51.100.120', DAY2 + 5 * MIN, 3 * GIB,
          2 * MB, 30 * MIN)
    c.tls('10.1.0.20', 'drop.quiet-lantern.io', '198.51.100.130', DAY2 + 2 * HOUR, 2 * GIB,
          1 * MB, 20 * MIN)


def events(fn, seed):
    c = sc.Cap(random.Random(seed))
    fn(c)
    return list(g.merge_events(c.streams))


def write(path, evs):
    g.write_file(path, g.DLT_EN10MB, iter(evs))


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    e1, e2 = events(day1, 1301), events(day2, 1302)
    write(os.path.join(out, 'day1.pcap'), e1)
    write(os.path.join(out, 'day2.pcap'), e2)
    write(os.path.join(out, 'both.pcap'), e1 + e2)
    with open(os.path.join(out, 'DAY2'), 'w') as f:
        f.write('%d\n' % (DAY2 // S))
    return 0


if __name__ == '__main__':
    sys.exit(main())
