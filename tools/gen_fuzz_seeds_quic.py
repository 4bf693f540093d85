#!/usr/bin/env python3
"""gen_fuzz_seeds_quic.py - writes the seed corpus of fuzz/fuzz_quic.c
into fuzz/corpus/quic/ (record format: see fuzz_quic.c).  Raw seeds are
the protected client Initials of RFC 9001 A.2 and RFC 9369 A.2 (hex in
tests/quic_vectors.h); sealed seeds are plaintext frame sequences that the
target encrypts itself: the RFC ClientHello whole, split out of order,
with PING/ACK/PADDING/CONNECTION_CLOSE, cut, and oversized offsets."""
import os
import re
import sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
src = open(os.path.join(root, "tests", "quic_vectors.h")).read()


def vec(name):
    m = re.search(r"%s\[\] =\s*((?:\s*\"[0-9a-f]*\")+);" % name, src)
    return bytes.fromhex("".join(re.findall(r'"([0-9a-f]*)"', m.group(1))))


def rec(kind, b):
    return bytes([kind]) + len(b).to_bytes(2, "big") + b


def varint2(v):
    return bytes([0x40 | (v >> 8), v & 0xFF])


def crypto(off, d):
    return b"\x06" + varint2(off) + varint2(len(d)) + d


v1, v2 = vec("rfc9001_a2_packet"), vec("rfc9369_a2_packet")
hello = vec("rfc_a2_crypto_frame")[4:]
ack = bytes([0x02, 0x05, 0x00, 0x01, 0x00, 0x02, 0x01])
seeds = {
    "rfc9001_a2": rec(0, v1),
    "rfc9369_a2": rec(0, v2),
    "rfc9001_a2_cut": rec(0, v1[:600]),
    "coalesced_twice": rec(0, v1[:300] + v1),
    "server_vn": rec(0xFF, bytes.fromhex("80000000000808090a0b0c0d0e0f0000000100000002")),
    "sealed_whole_v1": rec(1, crypto(0, hello) + b"\x00" * 100),
    "sealed_whole_v2": rec(3, crypto(0, hello)),
    "sealed_split_ooo": rec(1, crypto(160, hello[160:]) + b"\x01" + crypto(80, hello[80:120]))
    + rec(1, b"\x01" + ack + crypto(0, hello[:80])) + rec(1, crypto(120, hello[120:160])),
    "sealed_cut": rec(1, crypto(0, hello[:100])),
    "sealed_close": rec(1, crypto(0, hello[:50]) + bytes([0x1c, 0x01, 0x06, 0x03]) + b"bye"),
    "sealed_far_offset": rec(1, b"\x06\x80\x01\x00\x00\x40\x10" + b"A" * 16),
    "sealed_bad_frame": rec(1, crypto(0, hello[:30]) + b"\x08\x00"),
    "sealed_ack_ecn": rec(1, bytes([0x03, 0x05, 0x00, 0x01, 0x00, 0x02, 0x01, 1, 2, 3])
                      + crypto(0, hello)),
}
out = os.path.join(root, "fuzz", "corpus", "quic")
os.makedirs(out, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
print("wrote %d seeds to %s" % (len(seeds), out), file=sys.stderr)
