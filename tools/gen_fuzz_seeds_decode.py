#!/usr/bin/env python3
"""Writes the seed corpus of fuzz/fuzz_decode.c into fuzz/corpus/decode/.

Each seed is 2 selector bytes (byte 0: index into dlts[] of
fuzz_decode.c; byte 1: wirelen stretch in 64-byte units) followed by a
frame built here from scratch.  Usage: tools/gen_fuzz_seeds_decode.py [outdir]
"""
import os
import struct
import sys

# Indices into dlts[] in fuzz/fuzz_decode.c.
EN10MB, SLL, SLL2, RAW, RAW12, RAW14, IPV4, IPV6, NULL, LOOP, PPP, PPPS, CHDLC, UNSUP = range(14)

SRC4, DST4 = bytes([10, 0, 0, 1]), bytes([192, 0, 2, 7])
SRC6 = bytes.fromhex("20010db8000000000000000000000001")
DST6 = bytes.fromhex("20010db8000000000000000000000002")


def eth(et):
    return bytes(range(0x10, 0x1c)) + struct.pack(">H", et)


def ip4(proto, body, frag=0x4000, ihl=5, total=None):
    opts = b"\x01" * ((ihl - 5) * 4)
    tot = 4 * ihl + len(body) if total is None else total
    hdr = struct.pack(">BBHHHBBH", 0x40 | ihl, 0, tot, 0x1234, frag, 64, proto, 0)
    return hdr + SRC4 + DST4 + opts + body


def ip6(nh, body, plen=None):
    pl = len(body) if plen is None else plen
    return struct.pack(">IHBB", 0x60000000, pl, nh, 64) + SRC6 + DST6 + body


def ext6(nxt, len8=0):
    return bytes([nxt, len8]) + bytes((len8 + 1) * 8 - 2)


def tcp(sport=40000, dport=443, doff=5, payload=b"GET / HTTP/1.1\r\n"):
    hdr = struct.pack(">HHIIBBHHH", sport, dport, 1, 0, doff << 4, 0x18, 65535, 0, 0)
    return hdr + b"\x01" * ((doff - 5) * 4) + payload


def udp(sport=5353, dport=53, payload=b"\x12\x34\x01\x00", ulen=None):
    n = 8 + len(payload) if ulen is None else ulen
    return struct.pack(">HHHH", sport, dport, n, 0) + payload


def seed(sel, frame, hi=0):
    return bytes([sel, hi]) + frame


def seeds():
    vlan = lambda tci, et: struct.pack(">HH", tci, et)
    return {
        "eth_ip4_tcp": seed(EN10MB, eth(0x0800) + ip4(6, tcp())),
        "eth_qinq_ip6_udp": seed(EN10MB, eth(0x88a8) + vlan(100, 0x8100)
                                 + vlan(200, 0x86dd) + ip6(17, udp())),
        "eth_vlan_pppoe_ip4": seed(EN10MB, eth(0x8100) + vlan(42, 0x8864)
                                   + bytes([0x11, 0, 0x12, 0x34, 0, 40]) + b"\x00\x21"
                                   + ip4(17, udp())),
        "eth_mpls_ip6_tcp": seed(EN10MB, eth(0x8847) + struct.pack(">II", 0x1040, 0x2140)
                                 + ip6(6, tcp())),
        "sll_ip4_icmp": seed(SLL, struct.pack(">HHH", 0, 1, 6) + bytes(8) + b"\x08\x00"
                             + ip4(1, b"\x08\x00\x00\x00\x00\x01\x00\x01" + bytes(16))),
        "sll2_ip6_icmp6": seed(SLL2, b"\x86\xdd" + bytes(18)
                               + ip6(58, b"\x80\x00\x00\x00\x00\x01\x00\x01" + bytes(8))),
        "raw_ip4_sctp": seed(RAW, ip4(132, struct.pack(">HHII", 2905, 2905, 1, 0) + bytes(16))),
        "raw12_ip6_frag_first": seed(RAW12, ip6(0, ext6(43) + ext6(44, 1)
                                                + bytes([6, 0, 0, 1, 0, 0, 0, 9]) + tcp())),
        "raw14_ip6_udp": seed(RAW14, ip6(17, udp())),
        "ipv4_frag_later": seed(IPV4, ip4(17, bytes(24), frag=0x0003)),
        "ipv6_ah_udp": seed(IPV6, ip6(51, bytes([17, 4]) + bytes(22) + udp())),
        "null_le_ip6_esp": seed(NULL, struct.pack("<I", 30) + ip6(50, bytes(32))),
        "loop_ip4_opts": seed(LOOP, struct.pack(">I", 2) + ip4(6, tcp(doff=8), ihl=7)),
        "ppp_ip4_udp": seed(PPP, b"\xff\x03\x00\x21" + ip4(17, udp())),
        "ppp_serial_mpls_ip4": seed(PPPS, b"\xff\x03\x02\x81" + struct.pack(">I", 0x1140)
                                    + ip4(6, tcp())),
        "chdlc_ip4_gre": seed(CHDLC, b"\x0f\x00\x08\x00" + ip4(47, bytes(24))),
        "unsupported": seed(UNSUP, bytes(40)),
        "eth_arp": seed(EN10MB, eth(0x0806) + bytes(28)),
        "eth_ip4_tso": seed(EN10MB, eth(0x0800) + ip4(6, tcp(), total=0), hi=100),
        "eth_ip6_jumbo_udp0": seed(EN10MB, eth(0x86dd) + ip6(17, udp(ulen=0) + bytes(32), plen=0),
                                   hi=200),
        "eth_vlan_too_deep": seed(EN10MB, eth(0x8100) + vlan(1, 0x8100) * 8 + vlan(9, 0x0800)
                                  + ip4(6, tcp())),
        "ip6_ext_too_many": seed(IPV6, ip6(60, ext6(60) * 16 + ext6(17) + udp())),
        "eth_ip4_tcp_cut": seed(EN10MB, (eth(0x0800) + ip4(6, tcp()))[:44]),
    }


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "fuzz", "corpus", "decode")
    os.makedirs(out, exist_ok=True)
    for name, data in seeds().items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    print(f"wrote {len(seeds())} seeds to {out}")


if __name__ == "__main__":
    main()
