#!/usr/bin/env python3
"""test_names_private.py ROOT EXFILMON - ECH and private-DNS labels in
flow records, on a capture built here with tools/pcapgen.py:

  10.0.0.5  DoH to 1.1.1.1:443 (SNI cloudflare-dns.com), then a raw-IP
            flow to 198.51.100.9:8443          -> unnamed, private_dns
  10.0.0.6  the same raw-IP flow, no DoH       -> unnamed, no_dns_seen
  10.0.0.7  DoT to 203.0.113.53:853 (no SNI), then UDP to
            198.51.100.10:9000                 -> private_dns
  10.0.0.9  plain DNS to 8.8.8.8:53, then a raw-IP flow
            (8.8.8.8 is listed, but port 53 is not private)
                                               -> no_dns_seen
  10.0.0.8  ClientHello with encrypted_client_hello (0xfe0d), outer SNI
            cloudflare-ech.com (data/ech_public_names.list), to 104.16.0.1
                                               -> unnamed, ech, outer
            name kept apart in dest_name.ech_outer_name and tls.sni;
            the same after a DNS answer real.example -> 104.16.0.2
                                               -> named by dns, ech true;
            ECH next to SNI www.example.com (not an ECH public name: GREASE)
                                               -> named by sni, ech true
Exit 0 pass, 1 fail."""
import io
import json
import os
import struct
import subprocess
import sys
import tempfile

root, exf = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(root, 'tools'))
import pcapgen as g  # noqa: E402

link = g.Link(g.DLT_EN10MB)
frames = []
t = [1_700_000_000 * g.S]


def emit(pkt, outgoing=True):
    t[0] += g.S // 100
    frames.append((t[0], link.frame(pkt, outgoing)))


def tcp_flow(cli, srv, sport, dport, payload):
    c, s = g.ip(cli), g.ip(srv)
    emit(g.ipv4(c, s, 6, g.tcp(c, s, sport, dport, 1000, 0, 0x02)))
    emit(g.ipv4(s, c, 6, g.tcp(s, c, dport, sport, 5000, 1001, 0x12)), False)
    emit(g.ipv4(c, s, 6, g.tcp(c, s, sport, dport, 1001, 5001, 0x10)))
    emit(g.ipv4(c, s, 6, g.tcp(c, s, sport, dport, 1001, 5001, 0x18, payload)))


def udp(cli, srv, sport, dport, payload, outgoing=True):
    c, s = g.ip(cli), g.ip(srv)
    emit(g.ipv4(c, s, 17, g.udp(c, s, sport, dport, payload)), outgoing)


def with_ech(record):
    """Adds an encrypted_client_hello extension (outer, HPKE X25519,
    AES-128-GCM, config 7, 32-octet enc, 64-octet payload)."""
    ech = struct.pack('!BHHB', 0, 1, 1, 7) + struct.pack('!H', 32) + bytes(32) \
        + struct.pack('!H', 64) + bytes(range(64))
    ext = struct.pack('!HH', 0xfe0d, len(ech)) + ech
    hs = bytearray(record[5:])
    body_len = int.from_bytes(hs[1:4], 'big') + len(ext)
    # the extensions block is last: grow its length, the handshake's, the record's
    sid = hs[4 + 34]
    at = 4 + 35 + sid
    at += 2 + int.from_bytes(hs[at:at + 2], 'big')
    at += 1 + hs[at]
    hs[at:at + 2] = (int.from_bytes(hs[at:at + 2], 'big') + len(ext)).to_bytes(2, 'big')
    hs[1:4] = body_len.to_bytes(3, 'big')
    hs += ext
    return b'\x16\x03\x01' + struct.pack('!H', len(hs)) + bytes(hs)


tcp_flow('10.0.0.5', '1.1.1.1', 40001, 443, g.tls_client_hello('cloudflare-dns.com'))
tcp_flow('10.0.0.5', '198.51.100.9', 40002, 8443, b'\x00\x01binary')
tcp_flow('10.0.0.6', '198.51.100.9', 40003, 8443, b'\x00\x01binary')
tcp_flow('10.0.0.7', '203.0.113.53', 40004, 853, g.tls_client_hello(''))
udp('10.0.0.7', '198.51.100.10', 40005, 9000, b'hello')
udp('10.0.0.9', '8.8.8.8', 40006, 53, g.dns_query(1, 'example.org'))
tcp_flow('10.0.0.9', '198.51.100.11', 40007, 8443, b'\x00\x01binary')
tcp_flow('10.0.0.8', '104.16.0.1', 40008, 443, with_ech(g.tls_client_hello('cloudflare-ech.com')))
udp('10.0.0.8', '192.0.2.53', 40009, 53, g.dns_query(2, 'real.example'))
udp('192.0.2.53', '10.0.0.8', 53, 40009,
    g.dns_response(2, 'real.example', 'A', [('real.example', 'A', '104.16.0.2')]), False)
tcp_flow('10.0.0.8', '104.16.0.2', 40010, 443, with_ech(g.tls_client_hello('cloudflare-ech.com')))
tcp_flow('10.0.0.8', '104.16.0.3', 40011, 443, with_ech(g.tls_client_hello('www.example.com')))

with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, 'private.pcap')
    with open(path, 'wb') as f:
        w = g.PcapWriter(f, g.DLT_EN10MB)
        for ts, (fr, extra) in frames:
            w.write(ts, fr, extra)
        w.close()
    out = subprocess.run([exf, '-r', path, '--flows', '-', '-q', '--alerts', '/dev/null',
                          '--no-rules'], capture_output=True, text=True, check=True).stdout
recs = {r['src_port']: r for r in map(json.loads, out.splitlines())}
fails = 0


def expect(port, what, got, want):
    global fails
    ok = got == want
    fails += not ok
    print('%-4s port %d %s: %r%s' % ('ok' if ok else 'FAIL', port, what, got,
                                    '' if ok else ' (want %r)' % (want,)))


def dn(port):
    return recs[port].get('dest_name', {})


expect(40001, 'name', dn(40001).get('name'), 'cloudflare-dns.com')
expect(40002, 'reason', dn(40002).get('reason'), 'private_dns')
expect(40003, 'reason', dn(40003).get('reason'), 'no_dns_seen')
expect(40005, 'reason', dn(40005).get('reason'), 'private_dns')
expect(40007, 'reason', dn(40007).get('reason'), 'no_dns_seen')
expect(40008, 'dest_name', dn(40008), {'name': None, 'source': 'unnamed', 'reason': 'ech',
                                       'ech': True, 'ech_outer_name': 'cloudflare-ech.com'})
expect(40008, 'tls', recs[40008].get('tls'), {'sni': 'cloudflare-ech.com',
                                              'client_handshake': {'version': 'TLS 1.3'},
                                              'client_alpns': ['h2', 'http/1.1'], 'ech': True})
expect(40010, 'name', (dn(40010).get('name'), dn(40010).get('source'), dn(40010).get('ech')),
       ('real.example', 'dns', True))
expect(40011, 'dest_name', dn(40011), {'name': 'www.example.com', 'source': 'sni',
                                       'domain': 'example.com', 'ech': True})
sys.exit(1 if fails else 0)
