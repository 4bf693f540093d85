#!/usr/bin/env python3
"""gen_pcaps.py [--out pcaps/] [--seed N] - writes the small bundled sample
captures (see pcaps/README.md).  Byte-for-byte reproducible for a given
seed: no wall clock, no dict-order or hash dependence."""

import argparse
import calendar
import os
import random
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapgen as g  # noqa: E402

S, MS, US = g.S, g.MS, g.US
# 2026-03-24 09:00:00 UTC, fixed (no wall clock).
T0 = calendar.timegm((2026, 3, 24, 9, 0, 0)) * S
RESOLVER = g.ip('10.0.0.53')


def A(x):
    return g.ip(x)


def basic_mix(rng, t0, v6=True, v4=True):
    """A small mix used by the link-type files: DNS + TLS (v4), HTTP POST,
    ICMP echo, and an IPv6 TLS session with AAAA lookup."""
    evs = []
    c4, s4 = A('10.0.0.10'), A('93.184.216.34')
    c6, s6 = A('fd00:10::10'), A('2606:2800:220:1:248:1893:25c8:1946')
    if v4:
        evs += g.dns_lookup(c4, RESOLVER, t0, 0x1001, 'www.example.com', 'A',
                            [('www.example.com', 'A', '93.184.216.34')])
        evs += g.session(c4, s4, 41000, 443, t0 + 20 * MS, 2600, 9000, 2 * S,
                         up_first=g.tls_client_hello('www.example.com', rng=rng),
                         down_first=g.tls_server_hello(rng), rng=rng)
        body = bytes(rng.getrandbits(8) for _ in range(700))
        head = g.http_post('upload.example.org', '/api/v1/files', len(body),
                           filename='report.pdf')
        evs += g.session(c4, A('198.51.100.7'), 41002, 80, t0 + 500 * MS,
                         len(head) + len(body), 120, S, up_first=head + body,
                         down_first=g.http_response(200, 'OK', b'stored\n'), rng=rng)
        evs += g.ping(c4, A('8.8.8.8'), t0 + 3 * S, 0x77, count=2)
    if v6:
        resolver6 = A('fd00:10::53')
        evs += g.dns_lookup(c6, resolver6, t0 + S, 0x1002, 'www.example.com', 'AAAA',
                            [('www.example.com', 'AAAA', '2606:2800:220:1:248:1893:25c8:1946')])
        evs += g.session(c6, s6, 41004, 443, t0 + S + 20 * MS, 1900, 5000, 2 * S,
                         up_first=g.tls_client_hello('www.example.com', rng=rng),
                         down_first=g.tls_server_hello(rng), rng=rng)
        evs += g.ping(c6, A('2001:4860:4860::8888'), t0 + 4 * S, 0x78, count=2)
    return evs


def write(out, name, dlt, evs, snaplen=65535, link=None, fmt='pcap', **kw):
    path = os.path.join(out, name)
    return g.write_file(path, dlt, g.merge_events([evs]), snaplen, link, fmt, **kw)


def gen_linktypes(out, rng):
    write(out, 'eth.pcap', g.DLT_EN10MB, basic_mix(rng, T0))
    qinq = g.Link(g.DLT_EN10MB, vlans=[(g.ETH_8021AD, 100), (g.ETH_8021Q, 20)])
    write(out, 'vlan_qinq.pcap', g.DLT_EN10MB, basic_mix(rng, T0), link=qinq)
    write(out, 'sll.pcap', g.DLT_LINUX_SLL, basic_mix(rng, T0))
    write(out, 'sll2.pcap', g.DLT_LINUX_SLL2, basic_mix(rng, T0))
    write(out, 'raw.pcap', g.DLT_RAW, basic_mix(rng, T0))
    write(out, 'ipv4_dlt228.pcap', g.DLT_IPV4, basic_mix(rng, T0, v6=False))
    write(out, 'ipv6_dlt229.pcap', g.DLT_IPV6, basic_mix(rng, T0, v4=False))
    write(out, 'null_loopback.pcap', g.DLT_NULL, basic_mix(rng, T0))
    write(out, 'loop_dlt108.pcap', g.DLT_LOOP, basic_mix(rng, T0))
    write(out, 'eth.pcapng', g.DLT_EN10MB, basic_mix(rng, T0), fmt='pcapng', tsresol=9)
    write(out, 'nano.pcap', g.DLT_EN10MB, basic_mix(rng, T0 + 123456789), nano=True)
    write(out, 'bigendian.pcap', g.DLT_EN10MB, basic_mix(rng, T0), big_endian=True)


def gen_fragments(out, rng):
    """IPv4 and IPv6 fragments: in order, reversed, and shuffled."""
    evs, t = [], T0
    c4, s4 = A('10.0.0.11'), A('203.0.113.9')
    c6, s6 = A('fd00:10::11'), A('2001:db8:99::9')
    big = bytes(rng.getrandbits(8) for _ in range(3000))
    udp4 = g.udp(c4, s4, 33000, 9, big)[0]
    icmp4 = g.icmp_echo(9, 1, big[:2000])[0]
    udp6 = g.udp(c6, s6, 33000, 9, big)[0]
    tcp4 = g.tcp(c4, s4, 42000, 80, 1, 1, g.ACK | g.PSH, big[:1400])[0]
    plan = [
        (g.ipv4_fragments(c4, s4, g.P_UDP, udp4, 1000, ident=0x100), True),
        (g.ipv4_fragments(c4, s4, g.P_UDP, udp4, 1000, ident=0x101, order=[3, 2, 1, 0]), True),
        (g.ipv4_fragments(c4, s4, g.P_ICMP, icmp4, 800, ident=0x102, order=[1, 0, 2]), True),
        (g.ipv4_fragments(c4, s4, g.P_TCP, tcp4, 576, ident=0x103, order=[2, 0, 1]), True),
        (g.ipv6_fragments(c6, s6, g.P_UDP, udp6, 1280, ident=0x200), True),
        (g.ipv6_fragments(c6, s6, g.P_UDP, udp6, 1280, ident=0x201, order=[2, 0, 1],
                          ext=[(g.NH_DSTOPTS, b'\x01\x04\x00\x00\x00\x00')]), True),
    ]
    for frags, out_dir in plan:
        for f in frags:
            evs.append(g._ev(t, f, out_dir))
            t += 2 * MS
        t += 100 * MS
    write(out, 'fragments.pcap', g.DLT_EN10MB, evs)


def gen_snaplen96(out, rng):
    c, s = A('10.0.0.12'), A('198.51.100.20')
    evs = list(g.session(c, s, 43000, 443, T0, 2_500_000, 1_500_000, 30 * S,
                         up_first=g.tls_client_hello('files.example.net', rng=rng),
                         down_first=g.tls_server_hello(rng), ack_every=8, rng=rng))
    write(out, 'snaplen96.pcap', g.DLT_EN10MB, evs, snaplen=96)


def gen_tso(out, rng):
    c, s = A('10.0.0.13'), A('198.51.100.30')
    evs = list(g.session(c, s, 44000, 443, T0, 100 * 65483, 20 * 65483, 20 * S,
                         seg=65483, up_first=g.tls_client_hello('backup.example.net', rng=rng),
                         down_first=g.tls_server_hello(rng), ack_every=4, hdr_only=True, rng=rng))
    # Super-segments as captured on the SENDING host: IPv4 total length 0.
    c2, s2 = A('10.0.0.13'), A('198.51.100.31')
    t = T0 + 21 * S
    for i in range(20):
        seg = g.tcp(c2, s2, 44002, 443, 1 + i * 65000, 1, g.ACK, b'', 65000)
        pkt = g.ipv4(c2, s2, g.P_TCP, seg, ident=i, total_len=0)
        evs.append(g._ev(t + i * MS, pkt, True, True))
    # IPv6 GRO super-segments.
    c6, s6 = A('fd00:10::13'), A('2001:db8:99::30')
    evs += g.session(c6, s6, 44004, 443, T0 + 22 * S, 30 * 65463, 65463, 5 * S,
                     seg=65463, ack_every=4, hdr_only=True, rng=rng)
    write(out, 'tso.pcap', g.DLT_EN10MB, evs)


def gen_malformed(out, rng):
    """Every record is hostile.  Frames are raw bytes (no Link)."""
    src, dst, m = A('10.0.0.14'), A('198.51.100.40'), g.mac
    good_tcp = g.tcp(src, dst, 45000, 80, 1, 1, g.ACK, b'x' * 10)
    ip4 = g.ipv4(src, dst, g.P_TCP, good_tcp)[0]
    ip6 = g.ipv6(A('2001:db8::1'), A('2001:db8::2'), g.P_UDP, (b'\0' * 8, 0))[0]
    eth = lambda payload, et=g.ETH_IP4, vl=(): g.eth_raw(m(2), m(1), et, payload, vl)  # noqa: E731
    bad = [
        b'',                                          # empty frame
        eth(b'')[:10],                                # truncated Ethernet header
        eth(ip4, vl=[(g.ETH_8021Q, 5)])[:15],         # truncated VLAN tag
        eth(ip4, vl=[(g.ETH_8021Q, i) for i in range(12)]),  # too many VLAN tags
        eth(ip4)[:14 + 10],                           # truncated IPv4 header
        eth(bytes([0x43]) + ip4[1:]),                 # IHL 3 (< 5)
        eth(bytes([0x4F]) + ip4[1:]),                 # IHL 15 > captured bytes
        eth(bytes([0x75]) + ip4[1:]),                 # version 7 in IPv4 ethertype
        eth(bytes([0x65]) + ip4[1:]),                 # version 6 in IPv4 ethertype
        eth(ip4[:2] + struct.pack('!H', 12) + ip4[4:]),   # total length < IHL*4
        eth(ip6, g.ETH_IP6)[:14 + 30],                # truncated IPv6 header
        eth(bytes([0x45]) + ip6[1:], g.ETH_IP6),      # version 4 in IPv6 ethertype
        eth(ip4[:20] + good_tcp[0][:10]),             # truncated TCP header
        eth(ip4[:20] + good_tcp[0][:12] + b'\x20' + good_tcp[0][13:]),  # TCP data offset 2
        eth(g.ipv4(src, dst, g.P_UDP, (b'\0' * 4, 0))[0]),   # truncated UDP header
        eth(g.ipv4(src, dst, g.P_UDP, (struct.pack('!HHHH', 1, 2, 4, 0), 0))[0]),  # UDP len 4
        eth(g.ipv4(src, dst, g.P_ICMP, (b'\x08', 0))[0]),  # truncated ICMP
    ]
    # IPv6 with a truncated extension header and with an over-long chain.
    s6, d6 = A('2001:db8::1'), A('2001:db8::2')
    bad.append(eth(g.ipv6(s6, d6, g.P_UDP, (b'', 0), ext=[(g.NH_DSTOPTS, b'\x01\x04\0\0\0\0')])[0][:40 + 4],
                   g.ETH_IP6))
    chain = [(g.NH_DSTOPTS, b'\x01\x04\0\0\0\0')] * 40
    bad.append(eth(g.ipv6(s6, d6, g.P_UDP, g.udp(s6, d6, 1, 2, b'hi'), ext=chain)[0], g.ETH_IP6))
    # IPv6 ext header whose length runs past the packet end.
    hbh = g.ipv6(s6, d6, g.P_UDP, (b'', 0), ext=[(g.NH_HOPOPT, b'\x01\x04\0\0\0\0')])[0]
    bad.append(eth(hbh[:41] + b'\xFF' + hbh[42:], g.ETH_IP6))
    with open(os.path.join(out, 'malformed.pcap'), 'wb') as f:
        w = g.PcapWriter(f, g.DLT_EN10MB)
        for i, fr in enumerate(bad):
            w.write(T0 + i * MS, fr)
        w.close()


def gen_truncated_file(out, rng):
    path = os.path.join(out, 'truncated_file.pcap')
    write(out, 'truncated_file.pcap', g.DLT_EN10MB, basic_mix(rng, T0, v6=False))
    with open(path, 'rb') as f:
        data = f.read()
    # Cut inside the LAST record's data: find its header by walking records.
    off, last = 24, 24
    while off + 16 <= len(data):
        cap = struct.unpack_from('<I', data, off + 8)[0]
        last = off
        off += 16 + cap
    cap = struct.unpack_from('<I', data, last + 8)[0]
    with open(path, 'wb') as f:
        f.write(data[:last + 16 + cap // 2])


HOME_HOSTS = ['10.0.1.%d' % i for i in range(10, 18)] + ['192.168.1.20', '192.168.1.21']
SITES = [('www.google.com', '142.250.185.68'), ('github.com', '140.82.121.4'),
         ('www.wikipedia.org', '185.15.59.224'), ('outlook.office365.com', '52.97.146.162'),
         ('www.bbc.co.uk', '151.101.0.81'), ('news.ycombinator.com', '209.216.230.207'),
         ('stackoverflow.com', '151.101.1.69'), ('docs.python.org', '151.101.128.223'),
         ('www.amazon.com', '108.138.9.58'), ('login.microsoftonline.com', '20.190.160.2')]


def tls_flow(rng, cli, srv, sport, t, sni, up, down, dur, seg=1448, ack_every=4):
    return g.session(A(cli), A(srv), sport, 443, t, up, down, dur, seg=seg,
                     up_first=g.tls_client_hello(sni, rng=rng),
                     down_first=g.tls_server_hello(rng), ack_every=ack_every,
                     hdr_only=True, rng=rng)


def office_browsing(rng, evs):
    qid = 0x3000
    for h, host in enumerate(HOME_HOSTS):
        t = T0 + rng.randrange(0, 30 * S)
        for k in range(4):
            name, addr = SITES[rng.randrange(len(SITES))]
            qid += 1
            evs.append(g.dns_lookup(A(host), RESOLVER, t, qid, name, 'A',
                                    [(name, 'A', addr)]))
            up = rng.randrange(1500, 6000)
            down = rng.randrange(20_000, 300_000)
            evs.append(tls_flow(rng, host, addr, 50000 + h * 10 + k, t + 10 * MS, name,
                                up, down, rng.randrange(2, 20) * S, seg=16384))
            t += rng.randrange(20, 120) * S


def office_gateway(out, rng):
    evs = []
    office_browsing(rng, evs)
    # IPv6 browsing from a dual-stack host.
    h6, r6 = A('fd00:10::15'), A('fd00:10::53')
    evs.append(g.dns_lookup(h6, r6, T0 + 40 * S, 0x4001, 'www.youtube.com', 'AAAA',
                            [('www.youtube.com', 'CNAME', 'youtube-ui.l.google.com'),
                             ('youtube-ui.l.google.com', 'AAAA', '2a00:1450:4001:82a::200e')]))
    evs.append(g.session(h6, A('2a00:1450:4001:82a::200e'), 51000, 443, T0 + 40 * S + 10 * MS,
                         8000, 4_000_000, 120 * S, seg=16384, ack_every=4, hdr_only=True,
                         up_first=g.tls_client_hello('www.youtube.com', rng=rng),
                         down_first=g.tls_server_hello(rng), rng=rng))
    # Internal nightly rsync (rsync daemon, TCP/873) to the backup server.
    evs.append(g.session(A('10.0.1.3'), A('10.0.0.5'), 52000, 873, T0 + 5 * S,
                         400 * 65483, 200_000, 240 * S, seg=65483, ack_every=8,
                         hdr_only=True, rng=rng))
    # Model download from Hugging Face: GRO super-segments, headers only.
    evs.append(g.dns_lookup(A('10.0.1.12'), RESOLVER, T0 + 60 * S, 0x4002,
                            'cdn-lfs.huggingface.co', 'A',
                            [('cdn-lfs.huggingface.co', 'CNAME', 'd1kvnz3nasw0gr.cloudfront.net'),
                             ('d1kvnz3nasw0gr.cloudfront.net', 'A', '18.164.174.21')]))
    evs.append(tls_flow(rng, '10.0.1.12', '18.164.174.21', 52100, T0 + 60 * S + 10 * MS,
                        'cdn-lfs.huggingface.co', 60_000, 3200 * 65483, 600 * S,
                        seg=65483, ack_every=16))
    # Software update.
    evs.append(g.dns_lookup(A('10.0.1.14'), RESOLVER, T0 + 90 * S, 0x4003,
                            'download.windowsupdate.com', 'A',
                            [('download.windowsupdate.com', 'A', '23.55.124.9')]))
    evs.append(tls_flow(rng, '10.0.1.14', '23.55.124.9', 52200, T0 + 90 * S + 10 * MS,
                        'download.windowsupdate.com', 20_000, 400 * 65483, 200 * S,
                        seg=65483, ack_every=8))
    # NTP (RFC 5905) every 64 s from the gateway-side time server.
    for i in range(10):
        req = bytes([0x23]) + bytes(47)
        resp = bytes([0x24, 2, 6, 0xE9]) + bytes(44)
        evs.append(g.udp_exchange(A('10.0.0.1'), A('162.159.200.1'), 123, 123,
                                  T0 + i * 64 * S, req, resp, 12 * MS))
    # Slack-like long-lived websocket: small messages every 30 s.
    evs.append(g.dns_lookup(A('10.0.1.10'), RESOLVER, T0 + MS, 0x4004,
                            'wss-primary.slack.com', 'A',
                            [('wss-primary.slack.com', 'A', '34.226.36.53')]))
    evs.append(tls_flow(rng, '10.0.1.10', '34.226.36.53', 52300, T0 + 20 * MS,
                        'wss-primary.slack.com', 12_000, 30_000, 900 * S, seg=600, ack_every=1))
    evs.append(g.ping(A('10.0.1.11'), A('8.8.8.8'), T0 + 300 * S, 0x99, count=5))
    evs.append(g.ping(h6, A('2001:4860:4860::8888'), T0 + 310 * S, 0x9A, count=3))
    write(out, 'office_gateway.pcap', g.DLT_EN10MB, [e for s in evs for e in s])


def stealer(out, rng):
    """The LiteLLM-style credential stealer on AI host 10.0.0.23."""
    h, evs = A('10.0.0.23'), []
    t = T0
    for i, (name, addr) in enumerate([('api.openai.com', '162.159.140.245'),
                                      ('api.anthropic.com', '160.79.104.10')]):
        evs += g.dns_lookup(h, RESOLVER, t, 0x5000 + i, name, 'A', [(name, 'A', addr)])
        evs += g.session(h, A(addr), 53000 + i, 443, t + 10 * MS, 6000, 40_000, 8 * S,
                         up_first=g.tls_client_hello(name, rng=rng),
                         down_first=g.tls_server_hello(rng), rng=rng)
        t += 60 * S
    t = T0 + 600 * S
    evs += g.dns_lookup(h, RESOLVER, t, 0x5100, 'models.litellm.cloud', 'A',
                        [('models.litellm.cloud', 'A', '185.193.126.41')])
    archive = bytes(rng.getrandbits(8) for _ in range(40_960))
    ch = g.tls_client_hello('models.litellm.cloud', alpn=('http/1.1',), rng=rng)
    # HTTP request head + archive, in TLS records of at most 2^14 bytes.
    plain = bytes(400) + archive
    app = b''.join(g.tls_app_header(len(plain[o:o + 16384]) + 16) + plain[o:o + 16384] + bytes(16)
                   for o in range(0, len(plain), 16384))
    evs += g.session(h, A('185.193.126.41'), 53100, 443, t + 10 * MS,
                     len(ch) + len(app), 900, 4 * S, up_chunks=[ch], up_first=app,
                     down_first=g.tls_server_hello(rng), rng=rng)
    # Plain-HTTP variant of the exfiltration.
    head = g.http_post('83.142.209.203:8080', '/', len(archive), 'application/octet-stream',
                       'python-requests/2.32.3', filename='tpcp.tar.gz')
    evs += g.session(h, A('83.142.209.203'), 53101, 8080, t + 20 * S,
                     len(head) + len(archive), 200, 3 * S, up_first=head + archive,
                     down_first=g.http_response(200, 'OK', b'ok'), rng=rng)
    # Command-and-control polling: every 50 minutes for ~5 hours.
    for i in range(6):
        tp = t + 60 * S + i * 50 * 60 * S
        evs += g.dns_lookup(h, RESOLVER, tp, 0x5200 + i, 'checkmarx.zone', 'A',
                            [('checkmarx.zone', 'A', '94.154.172.43')])
        ch = g.tls_client_hello('checkmarx.zone', alpn=('http/1.1',), rng=rng)
        evs += g.session(h, A('94.154.172.43'), 53200 + i, 443, tp + 10 * MS,
                         len(ch) + 350, 1800, 2 * S,
                         up_chunks=[ch[:120], ch[120:]], rng=rng,
                         down_first=g.tls_server_hello(rng))
    write(out, 'stealer.pcap', g.DLT_EN10MB, evs)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument('--out', default=os.path.join(here, '..', 'pcaps'))
    ap.add_argument('--seed', type=int, default=20260324)
    a = ap.parse_args(argv)
    os.makedirs(a.out, exist_ok=True)
    steps = [gen_linktypes, gen_fragments, gen_snaplen96, gen_tso, gen_malformed,
             gen_truncated_file, office_gateway, stealer]
    for i, fn in enumerate(steps):
        fn(a.out, random.Random(a.seed * 100 + i))   # independent per file
    return 0


if __name__ == '__main__':
    sys.exit(main())
