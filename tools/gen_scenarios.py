#!/usr/bin/env python3
"""gen_scenarios.py OUTDIR [--only NAME[,NAME...]] [--seed N] [--doc FILE] [--list]

Writes the rule-scenario captures (fire / near-miss pairs for the default
rule pack, plus false-positive guards that must stay quiet) into OUTDIR,
and OUTDIR/MANIFEST.tsv describing each with exact byte counts.  These
files are big (up to ~60 MB) and are generated at test time, never
committed.  Deterministic: same seed, same bytes (no wall clock).

Volume is cheap to store: bulk data travels as TSO/GRO super-segments (IP
total length 65535, TCP payload 65495 bytes) of which only the 40 bytes of
IP+TCP header are captured (see tools/pcapgen.py bulk_session()).

MANIFEST.tsv columns: file, scenario, expected (fire|miss|quiet), home_net,
description.  "out"/"in" are from the home host's point of view; "app"
counts TCP payload bytes, "IP" counts IP-layer bytes (IP total length,
what exfilmon's flow records report).
"""

import argparse
import calendar
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapgen as g  # noqa: E402

S, MS = g.S, g.MS
MIN, HOUR, DAY = 60 * S, 3600 * S, 86400 * S
GiB = 1 << 30
HOME_NET = '10.0.0.0/8,192.168.0.0/16'
RESOLVER = g.ip('10.0.0.53')
# Monday 2026-03-02 09:00:00 UTC, fixed.
T0 = calendar.timegm((2026, 3, 2, 9, 0, 0)) * S
SEG = 65495   # TSO super-segment payload: IP total length 65535


def A(x):
    return g.ip(x)


def split(total, n):
    """n integers summing to total, as equal as possible."""
    q, r = divmod(total, n)
    return [q + (1 if i < r else 0) for i in range(n)]


class Ctx:
    """Per-scenario helpers: DNS once per name, TLS flows, port numbers."""

    def __init__(self, rng, host):
        self.rng, self.host, self.streams = rng, host, []
        self.resolved, self.qid, self.port = set(), 0x100, 40000

    def dns(self, t, name, addr):
        if name in self.resolved:
            return
        self.resolved.add(name)
        self.qid += 1
        self.streams.append(g.dns_lookup(A(self.host), RESOLVER, t - 30 * MS, self.qid,
                                         name, 'A', [(name, 'A', addr)]))

    def tls(self, t, name, addr, up, down, dur, ack_every=16, dport=443, seg=SEG, src=None):
        """A TLS-looking flow (ClientHello with SNI, then bulk); up/down
        are the exact TCP payload totals, handshake records included."""
        self.dns(t, name, addr)
        self.port += 1
        ch = g.tls_client_hello(name, rng=self.rng) if dport == 443 else b''
        sh = g.tls_server_hello(self.rng) if dport == 443 else b''
        self.streams.append(g.bulk_session(
            A(src or self.host), A(addr), self.port, dport, t, up, down,
            dur, seg=seg, up_first=ch, down_first=sh, ack_every=ack_every, rng=self.rng))

    def chat(self, t, name, addr, dur, every=MIN, up_msg=200, down_msg=300):
        """A long-lived, mostly idle connection: one small message each way
        every `every` ns (keeps the flow established)."""
        self.dns(t, name, addr)
        self.port += 1
        n = max(1, dur // every)
        self.streams.append(g.session(A(self.host), A(addr), self.port, 443, t, n * up_msg,
                                      n * down_msg, dur, seg=up_msg, ack_every=1,
                                      up_first=g.tls_client_hello(name, rng=self.rng),
                                      rng=self.rng))


# ------------------------------------------------------------ scenarios
# Each returns (ctx, description, facts) where facts holds the numbers the
# description quotes; the writer adds measured IP-layer totals.

EXFIL = ('files.dropzone-sync.net', '45.77.12.34')


def sc_flow_volume(ctx, up):
    ctx.tls(T0, EXFIL[0], EXFIL[1], up, 200_000, 600 * S)
    return ('one TLS flow %s:%d -> %s:443 (SNI %s), app out %d B, app in 200000 B, '
            'duration 600 s (%.2f Mbit/s out); rule: single flow > 100 MB (100000000 B) '
            'to a non-home destination' % (ctx.host, 40001, EXFIL[1], EXFIL[0], up,
                                            up * 8 / 600 / 1e6))


def sc_hostdest_1h(ctx, nflows, spacing):
    name, addr = 'bucket-7.storage-eu.net', '104.21.33.7'
    for i in range(nflows):
        ctx.tls(T0 + i * spacing, name, addr, 75_000_000, 100_000, 240 * S)
    total = nflows * 75_000_000
    end = (nflows - 1) * spacing + 240 * S
    return ('%d TLS flows %s -> %s:443 (SNI %s), each app out 75000000 B over 240 s, one '
            'every %d s; total app out %d B within %d s (%.1f min); rule: > 500 MB '
            '(500000000 B) host+destination within 1 h, each flow < 100 MB'
            % (nflows, ctx.host, addr, name, spacing // S, total, end // S, end / MIN))


def sc_hostdest_8h(ctx, total):
    name, addr = 'sync.cloudvault-backup.com', '172.67.141.20'
    parts = split(total, 42)
    for i, b in enumerate(parts):
        ctx.tls(T0 + i * 600 * S, name, addr, b, 50_000, 300 * S)
    return ('%d TLS flows %s -> %s:443 (SNI %s), one every 600 s lasting 300 s, app out '
            '%d-%d B each; total app out %d B (%.2f GiB) over 24900 s (6 h 55 min); any '
            '1 h window touches at most 7 flows = %d B (< 500 MB); rule: > 1 GiB (1073741824 B) '
            'host+destination within 8 h' % (len(parts), ctx.host, addr, name, min(parts),
                                              max(parts), total, total / GiB,
                                              7 * max(parts)))


S3 = [('s3.eu-west-1.amazonaws.com', '52.218.%d.%d' % (40 + i, 10 + i)) for i in range(4)]


def sc_rate(ctx, minutes):
    dur = minutes * MIN
    total = 150_000_000 // 8 * minutes * 60
    for i, (name, addr) in enumerate(S3):
        ctx.tls(T0 + i * MS, name, addr, total // 4, 2_000_000, dur, ack_every=32)
    return ('4 parallel TLS flows %s -> 4 S3 addresses 52.218.40-43.x:443, app out %d B '
            'each, total %d B in %d s = 150 Mbit/s sustained for %d min; rule: host '
            'sending > 100 Mbit/s sustained for 30 min (also fires volume rules)'
            % (ctx.host, total // 4, total, minutes * 60, minutes))


def sc_daily(ctx, nflows, spacing):
    dests = [('edge-%02d.cdn-mirror.net' % i, '151.139.%d.%d' % (i // 10 + 10, i % 10 + 20))
             for i in range(100)]
    for i in range(nflows):
        name, addr = dests[i % 100]
        ctx.tls(T0 + i * spacing, name, addr, 50_000_000, 20_000, 120 * S, ack_every=64)
    total = nflows * 50_000_000
    span = (nflows - 1) * spacing + 120 * S
    return ('%d TLS flows %s -> 100 destinations 151.139.10-19.20-29:443 round-robin, '
            'app out 50000000 B each over 120 s, one every %d s; total app out %d B over '
            '%d s (%.2f h); per destination %d B per 8 h at most, host rate about '
            '%.1f Mbit/s; rule: > 50 GB (50000000000 B) per host in 24 h'
            % (nflows, ctx.host, spacing // S, total, span // S, span / HOUR,
               50_000_000 * (8 * HOUR // (100 * spacing) + 1),
               50_000_000 * 8 / (spacing / S) / 1e6))


SAAS = [('mail.google.com', '142.250.74.5'), ('slack.com', '52.22.14.9'),
        ('github.com', '140.82.121.4'), ('www.dropbox.com', '162.125.2.18'),
        ('outlook.office365.com', '52.97.146.162')]


def sc_baseline(ctx, day9_total):
    for d in range(8):
        for i in range(10):
            name, addr = SAAS[i % 5]
            ctx.tls(T0 + d * DAY + i * 48 * MIN, name, addr, 5_000_000, 2_000_000, 300 * S)
    n9 = 50 if day9_total > 500_000_000 else 10
    parts = split(day9_total, n9)
    for i, b in enumerate(parts):
        name, addr = SAAS[i % 5]
        ctx.tls(T0 + 8 * DAY + i * (600 * MIN // n9), name, addr, b, 2_000_000, 600 * S)
    return ('host %s: days 1-8 send 10 TLS flows x 5000000 B = 50000000 B/day (app out) '
            'to 5 SaaS destinations between 09:00 and 17:00; day 9 sends %d B in %d flows '
            '(%d B each, to the same 5 destinations, 09:00-19:00); rule: per-host daily '
            'volume anomaly against its own baseline (day 9 = %.1fx baseline)'
            % (ctx.host, day9_total, n9, parts[0], day9_total / 50_000_000))


def sc_first_seen(ctx, new_bytes):
    for i in range(12):
        name, addr = SAAS[i % 5]
        ctx.tls(T0 + i * 10 * MIN, name, addr, 150_000, 400_000, 60 * S)
    new = ('upload.quickshare-files.io', '91.219.236.18')
    ctx.tls(T0 + 2 * HOUR, new[0], new[1], new_bytes, 5_000, 30 * S, seg=1448)
    return ('host %s: 2 h of history, 12 TLS flows to 5 known destinations (150000 B out '
            'each); then at +2 h a never-seen destination %s:443 (SNI %s) receives %d B '
            'app out in one 30 s flow (1448 B segments); rule: first-seen destination '
            'receiving > 1 MB (1000000 B)' % (ctx.host, new[1], new[0], new_bytes))


def sc_long(ctx, dur):
    ctx.chat(T0, 'relay.tunnel-sync.io', '35.186.224.25', dur)
    n = dur // MIN
    return ('one TLS connection %s -> 35.186.224.25:443 (SNI relay.tunnel-sync.io) open for '
            '%d s (%dh%02dm), one 200 B message out and one 300 B in every 60 s '
            '(%d each, app out %d B); rule: long-lived outbound connection (levels '
            '> 1 h, > 4 h, > 8 h, > 12 h)' % (ctx.host, dur // S, dur // HOUR,
                                              dur % HOUR // MIN, n, n * 200))


def sc_asym(ctx, down):
    ctx.tls(T0, 'api.metrics-collector.app', '146.190.22.8', 200_000_000, down, 900 * S)
    return ('one TLS flow %s -> 146.190.22.8:443 (SNI api.metrics-collector.app), app out '
            '200000000 B, app in %d B, 900 s (ratio out/in %.2f); rule: strongly asymmetric '
            'outbound flow (also fires the single-flow > 100 MB rule)'
            % (ctx.host, down, 200_000_000 / down))


def sc_fp_model(ctx):
    ctx.tls(T0, 'cdn-lfs.huggingface.co', '18.164.174.21', 4_000, 30_000_000_000, HOUR,
            ack_every=32)
    return ('host %s downloads a 30000000000 B model from cdn-lfs.huggingface.co '
            '(18.164.174.21:443) in one TLS flow over 3600 s (66.7 Mbit/s in); out is '
            'requests + ACKs only; must raise no high/critical alert' % ctx.host)


def sc_fp_rsync(ctx):
    ctx.port = 52000
    ctx.streams.append(g.bulk_session(A(ctx.host), A('10.0.0.5'), 52001, 873,
                                      T0 - 7 * HOUR, 40_000_000_000, 2_000_000, 4 * HOUR,
                                      ack_every=32, rng=ctx.rng))
    return ('nightly rsync (TCP/873) from %s to the internal backup server 10.0.0.5: '
            '40000000000 B app out in one flow, 02:00-06:00 (4 h, 22.2 Mbit/s); internal '
            'traffic, must raise no high/critical alert' % ctx.host)


def sc_fp_push(ctx):
    layers = [400_000_000, 300_000_000, 200_000_000, 80_000_000, 20_000_000]
    starts = [0, 0, 0, 90, 120]
    for b, st in zip(layers, starts):
        ctx.tls(T0 + st * S, 'registry-1.docker.io', '3.216.34.172', b, 50_000, 240 * S)
    return ('container push from %s to registry-1.docker.io (3.216.34.172:443): 5 layer '
            'uploads (TLS) of 400000000, 300000000, 200000000, 80000000, 20000000 B = '
            '1000000000 B app out, 3 in parallel, all done within 360 s; must raise no '
            'high/critical alert (known registry)' % ctx.host)


# name, expected, host, builder, link type
SCENARIOS = [
    ('flow_100mb_fire', 'fire', '10.0.2.10', lambda c: sc_flow_volume(c, 120_000_000), 1),
    ('flow_100mb_miss', 'miss', '10.0.2.10', lambda c: sc_flow_volume(c, 80_000_000), 1),
    ('hostdest_1h_fire', 'fire', '10.0.2.11', lambda c: sc_hostdest_1h(c, 8, 300 * S), 1),
    ('hostdest_1h_miss', 'miss', '10.0.2.11', lambda c: sc_hostdest_1h(c, 6, 400 * S), 1),
    ('hostdest_8h_fire', 'fire', '10.0.2.12', lambda c: sc_hostdest_8h(c, 1288490189), 1),
    ('hostdest_8h_miss', 'miss', '10.0.2.12', lambda c: sc_hostdest_8h(c, 966367642), 1),
    ('rate_30m_fire', 'fire', '10.0.2.13', lambda c: sc_rate(c, 35), 1),
    ('rate_30m_miss', 'miss', '10.0.2.13', lambda c: sc_rate(c, 20), 1),
    ('daily_50gb_fire', 'fire', '10.0.2.14', lambda c: sc_daily(c, 1200, 60 * S), 101),
    ('daily_50gb_miss', 'miss', '10.0.2.14', lambda c: sc_daily(c, 800, 90 * S), 101),
    ('baseline_fire', 'fire', '10.0.2.16', lambda c: sc_baseline(c, 2_000_000_000), 1),
    ('baseline_miss', 'miss', '10.0.2.16', lambda c: sc_baseline(c, 70_000_000), 1),
    ('first_seen_fire', 'fire', '10.0.2.17', lambda c: sc_first_seen(c, 3_000_000), 1),
    ('first_seen_miss', 'miss', '10.0.2.17', lambda c: sc_first_seen(c, 500_000), 1),
    ('long_1h10m_fire', 'fire', '10.0.2.18', lambda c: sc_long(c, 70 * MIN), 1),
    ('long_4h10m_fire', 'fire', '10.0.2.18', lambda c: sc_long(c, 250 * MIN), 1),
    ('long_8h10m_fire', 'fire', '10.0.2.18', lambda c: sc_long(c, 490 * MIN), 1),
    ('long_12h10m_fire', 'fire', '10.0.2.18', lambda c: sc_long(c, 730 * MIN), 1),
    ('long_50m_miss', 'miss', '10.0.2.18', lambda c: sc_long(c, 50 * MIN), 1),
    ('asym_fire', 'fire', '10.0.2.19', lambda c: sc_asym(c, 1_000_000), 1),
    ('asym_miss', 'miss', '10.0.2.19', lambda c: sc_asym(c, 150_000_000), 1),
    ('fp_model_download_quiet', 'quiet', '10.0.2.20', sc_fp_model, 1),
    ('fp_rsync_backup_quiet', 'quiet', '10.0.3.20', sc_fp_rsync, 1),
    ('fp_registry_push_quiet', 'quiet', '10.0.2.21', sc_fp_push, 1),
]


def write_scenario(path, dlt, host, streams):
    """Merges and writes; returns measured totals (IP-layer bytes from the
    home host's point of view, packets, first/last time)."""
    hostb = A(host)
    st = {'pkts': 0, 'ip_out': 0, 'ip_in': 0, 'first': None, 'last': None}
    link = g.Link(dlt, src_mac=g.mac(0x0A000200), dst_mac=g.mac(1))
    with open(path, 'wb') as f:
        w = g.PcapWriter(f, dlt, 65535)
        last = -1
        for ts, _, pkt, outgoing, hdr_only in g.merge_events(streams):
            if ts < last:
                raise ValueError('%s: timestamps went backwards' % path)
            last = ts
            data, extra = pkt
            n = len(data) + extra
            if data[12:16] == hostb or data[8:24] == hostb:
                st['ip_out'] += n
            else:
                st['ip_in'] += n
            frame, extra = link.frame(pkt, outgoing)
            w.write(ts, frame, extra, hdr_only)
            st['pkts'] += 1
            if st['first'] is None:
                st['first'] = ts
        w.close()
    st['last'] = last
    return st


def iso(ts):
    """Packet time (ns) as UTC text; formatting only, no wall clock."""
    y, mo, d, h, mi, s = time.gmtime(ts // S)[:6]
    return '%04d-%02d-%02dT%02d:%02d:%02dZ' % (y, mo, d, h, mi, s)


def run(outdir, only, seed):
    rows = []
    for i, (name, expected, host, fn, dlt) in enumerate(SCENARIOS):
        if only and name not in only:
            continue
        ctx = Ctx(random.Random(seed * 1000 + i), host)
        desc = fn(ctx)
        path = os.path.join(outdir, name + '.pcap')
        st = write_scenario(path, dlt, host, ctx.streams)
        full = ('%s; measured: %d packets, IP out %d B, IP in %d B, %s .. %s (%d s)%s'
                % (desc, st['pkts'], st['ip_out'], st['ip_in'], iso(st['first']),
                   iso(st['last']), (st['last'] - st['first']) // S,
                   ', LINKTYPE_RAW' if dlt == 101 else ''))
        rows.append((name + '.pcap', name, expected, HOME_NET, full))
        print('%-28s %-5s %9d pkts %10d bytes' % (name, expected, st['pkts'],
                                                   os.path.getsize(path)), file=sys.stderr)
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('outdir', nargs='?')
    ap.add_argument('--only', help='comma-separated scenario names')
    ap.add_argument('--seed', type=int, default=20260302)
    ap.add_argument('--doc', help='also write this Markdown table (docs/scenarios.md)')
    ap.add_argument('--list', action='store_true',
                    help='print "name expected host" per scenario and exit')
    a = ap.parse_args(argv)
    if a.list:
        for s in SCENARIOS:
            print(s[0], s[1], s[2])     # name, expected, home host
        return 0
    if not a.outdir:
        ap.error('OUTDIR is required')
    only = set(a.only.split(',')) if a.only else None
    if only and not only <= {s[0] for s in SCENARIOS}:
        ap.error('unknown scenario(s): %s' % ', '.join(sorted(only - {s[0] for s in SCENARIOS})))
    os.makedirs(a.outdir, exist_ok=True)
    rows = run(a.outdir, only, a.seed)
    with open(os.path.join(a.outdir, 'MANIFEST.tsv'), 'w') as f:
        f.write('file\tscenario\texpected\thome_net\tdescription\n')
        for r in rows:
            f.write('\t'.join(r) + '\n')
    if a.doc:
        write_doc(a.doc, rows)
    return 0


def write_doc(path, rows):
    with open(path, 'w') as f:
        f.write(DOC_HEAD)
        f.write('| file | expected | home net | description |\n|---|---|---|---|\n')
        for r in rows:
            f.write('| `%s` | %s | %s | %s |\n' % (r[0], r[2], r[3], r[4].replace('|', '/')))


DOC_HEAD = """# Rule scenarios

Generated by `tools/gen_scenarios.py OUTDIR` (Python 3 stdlib only,
deterministic from `--seed`, default 20260302; a full run writes about
250 MB in 24 files and takes about 20 s of CPU).
The captures are NOT committed; tests generate them at test time
(`--only NAME` for a subset).  `OUTDIR/MANIFEST.tsv` carries this table.

* Home net for every file: `10.0.0.0/8,192.168.0.0/16`.
* "app" bytes are TCP payload; "IP" bytes are IP-layer bytes (IPv4 total
  length of every packet), which is what exfilmon's flow records count
  (`bytes_toserver`/`bytes_toclient`).  IP out/in are from the home host's
  point of view and include handshakes, ACKs and the DNS lookups.
* Bulk data is carried in TSO/GRO super-segments: IP total length 65535
  (65495 payload bytes), only the 40 header bytes captured.
* Thresholds quoted are the default rule pack's, from the spec.  Decimal
  units: MB = 10^6 B, GB = 10^9 B; GiB = 2^30 B.
* `fire`: the named rule must alert.  `miss`: the near-miss must NOT raise
  that rule (other rules may fire; noted where obvious).  `quiet`: no
  high/critical alert at all.

"""


if __name__ == '__main__':
    sys.exit(main())
