#!/usr/bin/env python3
"""test_pcapgen.py [SOURCE_ROOT] - unit checks of tools/pcapgen.py with
independent re-parsing: file headers, record lengths, checksums, DNS name
compression, TLS SNI, fragment offsets, session byte counts and time
order.  Exit 0 pass, 1 fail."""

import io
import os
import random
import struct
import sys

ROOT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..')
sys.path.insert(0, os.path.join(ROOT, 'tools'))
import pcapgen as g  # noqa: E402

FAILS = []


def check(cond, what):
    if not cond:
        FAILS.append(what)
        print('FAIL:', what)


def ones_sum_ok(data):
    """A block whose checksum field is filled sums to 0xFFFF (RFC 1071)."""
    return g.csum_fold(g.csum_add(data)) == 0


def read_pcap(buf):
    magic = struct.unpack_from('<I', buf)[0]
    bo = '<' if magic in (0xA1B2C3D4, 0xA1B23C4D) else '>'
    _, _, _, _, _, snap, lt = struct.unpack_from(bo + 'IHHiIII', buf)
    off, recs = 24, []
    while off + 16 <= len(buf):
        sec, frac, cap, wire = struct.unpack_from(bo + 'IIII', buf, off)
        recs.append((sec, frac, cap, wire, buf[off + 16:off + 16 + cap]))
        off += 16 + cap
    return lt, snap, recs


def test_checksums():
    c, s = g.ip('10.1.2.3'), g.ip('192.0.2.77')
    seg, extra = g.tcp(c, s, 1234, 443, 99, 7, g.ACK | g.PSH, b'hello', 0)
    check(g.csum_fold(g.pseudo_sum(c, s, 6, len(seg)) + g.csum_add(seg)) == 0, 'tcp checksum')
    check(extra == 0 and seg.endswith(b'hello'), 'tcp payload')
    pkt, _ = g.ipv4(c, s, 6, (seg, 0), options=b'\x01\x01\x01\x00')
    check(pkt[0] == 0x46, 'ipv4 IHL with options')
    check(ones_sum_ok(pkt[:24]), 'ipv4 header checksum')
    # Virtual payload: checksum valid for zeros of that length.
    seg2, extra2 = g.tcp(c, s, 1, 2, 5, 6, g.ACK, b'', 1000)
    full = seg2 + bytes(extra2)
    check(g.csum_fold(g.pseudo_sum(c, s, 6, len(full)) + g.csum_add(full)) == 0,
          'tcp checksum with virtual payload')
    c6, s6 = g.ip('2001:db8::1'), g.ip('2001:db8::2')
    u, _ = g.udp(c6, s6, 53, 5353, b'xyz')
    check(g.csum_fold(g.pseudo_sum(c6, s6, 17, len(u)) + g.csum_add(u)) == 0, 'udp6 checksum')
    i6, _ = g.icmp6_echo(c6, s6, 1, 2, b'ping')
    check(g.csum_fold(g.pseudo_sum(c6, s6, 58, len(i6)) + g.csum_add(i6)) == 0, 'icmpv6 checksum')
    # Fast path must agree with the general builder.
    f = g._FastV4(c, s, 1000, 443, 64, 41)
    fast, _ = f.pkt(0xFFFFFFF0, 12345, g.ACK, 65495)
    slow_tcp, _ = g.tcp(c, s, 1000, 443, 0xFFFFFFF0, 12345, g.ACK, b'', 65495, win=502)
    slow, _ = g.ipv4(c, s, 6, (slow_tcp, 65495), ident=42)
    check(fast == slow, 'fast path header equals general builder')
    check(struct.unpack_from('!H', fast, 2)[0] == 65535, 'super-segment total length 65535')


def test_dns():
    m = g.dns_response(7, 'www.example.com', 'A',
                       [('www.example.com', 'CNAME', 'edge.example.com'),
                        ('edge.example.com', 'A', '192.0.2.1')])
    check(struct.unpack_from('!H', m, 6)[0] == 2, 'dns answer count')
    check(b'\xc0\x0c' in m, 'dns compression pointer to the question name')
    check(m.count(b'example') == 1, 'dns suffix stored once')
    check(m.endswith(g.ip('192.0.2.1')), 'dns A rdata last')


def test_tls():
    ch = g.tls_client_hello('models.litellm.cloud', ('http/1.1',), random.Random(1))
    check(ch[0] == 0x16 and struct.unpack_from('!H', ch, 3)[0] == len(ch) - 5, 'tls record length')
    check(ch[5] == 1 and int.from_bytes(ch[6:9], 'big') == len(ch) - 9, 'handshake length')
    check(b'\x00\x14models.litellm.cloud' in ch, 'sni host_name with length')
    check(b'\x08http/1.1' in ch, 'alpn entry')


def test_fragments():
    c, s = g.ip('10.0.0.1'), g.ip('10.0.0.2')
    body = bytes(range(256)) * 10
    fr = g.ipv4_fragments(c, s, 17, body, mtu=1000, ident=9, order=[2, 0, 1])
    offs = [(struct.unpack_from('!H', p, 6)[0] & 0x1FFF) * 8 for p, _ in fr]
    check(offs == [1952, 0, 976], 'ipv4 fragment offsets %r' % offs)
    check(sum(len(p) - 20 for p, _ in fr) == len(body), 'ipv4 fragments carry all bytes')
    check(all(ones_sum_ok(p[:20]) for p, _ in fr), 'ipv4 fragment checksums')
    f6 = g.ipv6_fragments(g.ip('::1'), g.ip('::2'), 17, body, 1280, ident=5)
    check(f6[0][0][6] == g.NH_FRAGMENT and len(f6) == 3, 'ipv6 fragment header chain')


def test_writers():
    b = io.BytesIO()
    w = g.PcapWriter(b, g.DLT_RAW, snaplen=96, big_endian=True, nano=True)
    w.write(5 * g.S + 7, b'\x45' + bytes(59), extra=1000)
    w.write(6 * g.S, b'\x45' + bytes(59), extra=1000, hdr_only=True)
    w.close()
    lt, snap, recs = read_pcap(b.getvalue())
    check(b.getvalue()[:4] == b'\xa1\xb2\x3c\x4d', 'big-endian nanosecond magic')
    check((lt, snap) == (101, 96), 'link type and snaplen')
    check(recs[0][:4] == (5, 7, 96, 1060), 'short snaplen record %r' % (recs[0][:4],))
    check(recs[1][2:4] == (60, 1060), 'headers-only record')
    n = io.BytesIO()
    w = g.PcapngWriter(n, g.DLT_EN10MB, tsresol=9)
    w.write(g.S + 1, b'\x00' * 61)
    data = n.getvalue()
    off, types = 0, []
    while off < len(data):
        bt, bl = struct.unpack_from('<II', data, off)
        check(bl % 4 == 0 and struct.unpack_from('<I', data, off + bl - 4)[0] == bl,
              'pcapng block %x trailer' % bt)
        types.append(bt)
        off += bl
    check(types == [0x0A0D0D0A, 1, 6], 'pcapng blocks %r' % types)


def test_session():
    rng = random.Random(3)
    c, s = g.ip('10.0.0.1'), g.ip('198.51.100.1')
    ev = g.session(c, s, 40000, 443, 10 * g.S, 50_000, 7_000, 4 * g.S, rng=rng,
                   up_first=g.tls_client_hello('a.example', rng=rng))
    ts = [e[0] for e in ev]
    check(ts == sorted(ts), 'session time order')
    up = sum(len(p[0]) - 40 - (12 if p[0][33] & 0x02 else 0) + p[1]
             for _, _, p, out, _ in ev if out)
    check(up == 50_000, 'session payload up %d' % up)
    check(ev[0][2][0][33] == g.SYN and ev[-1][2][0][33] == g.ACK, 'handshake first, ACK last')
    check(ev[-1][0] == 14 * g.S, 'close ends at start + duration')
    bulk = list(g.bulk_session(c, s, 40001, 443, 0, 10 * 65495 + 100, 5000, 60 * g.S,
                               rng=random.Random(4)))
    bts = [e[0] for e in bulk]
    check(bts == sorted(bts), 'bulk time order')
    ip_up = sum(len(p[0]) + p[1] for _, _, p, out, _ in bulk if out)
    check(ip_up == 10 * 65495 + 100 + 40 * (len(bulk) - sum(1 for e in bulk if not e[3])) + 12,
          'bulk IP bytes up %d' % ip_up)
    seqs = [struct.unpack_from('!I', p[0], 24)[0] for _, _, p, out, _ in bulk if out]
    # SYN and FIN take one sequence number each (RFC 9293 s3.4).
    check((seqs[-1] - seqs[0]) % (1 << 32) == 10 * 65495 + 100 + 2, 'bulk sequence numbers')


def main():
    for t in (test_checksums, test_dns, test_tls, test_fragments, test_writers, test_session):
        t()
    print('%d failures' % len(FAILS))
    return 1 if FAILS else 0


if __name__ == '__main__':
    sys.exit(main())
