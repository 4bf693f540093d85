#!/usr/bin/env python3
"""Writes the seed corpora of the app-layer fuzz targets:
fuzz/corpus/dns/, fuzz/corpus/tls/, fuzz/corpus/http/.

Every seed is built here from scratch (no captured traffic).  Input
formats follow the targets: fuzz_dns.c and fuzz_tls.c take one selector
byte first, fuzz_http.c takes the bytes as they are.
Usage: tools/gen_fuzz_seeds_app.py [SOURCE_ROOT]
"""
import os
import struct
import sys


def dname(name):
    out = b""
    for label in name.split(".") if name else []:
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def header(ident, flags, qd, an, ns=0, ar=0):
    return struct.pack(">HHHHHH", ident, flags, qd, an, ns, ar)


def rr(owner, rtype, ttl, rdata):
    return owner + struct.pack(">HHIH", rtype, 1, ttl, len(rdata)) + rdata


def dns_seeds():
    q = header(0x1234, 0x0100, 1, 0) + dname("www.example.com") + struct.pack(">HH", 1, 1)
    ptr = b"\xc0\x0c"
    resp = (header(0x1234, 0x8180, 1, 4) + dname("www.example.com") + struct.pack(">HH", 1, 1)
            + rr(ptr, 5, 60, b"\x03cdn" + ptr)
            + rr(b"\xc0\x2d", 1, 300, bytes([192, 0, 2, 7]))
            + rr(b"\xc0\x2d", 28, 300, bytes(15) + b"\x07")
            + rr(ptr, 16, 30, b"\x05hello\x06world!"))
    tunnel = (header(7, 0x0100, 1, 0, 0, 1) + dname("a" * 63 + ".b32data.t.example.net")
              + struct.pack(">HH", 16, 1) + b"\x00" + struct.pack(">HHIH", 41, 4096, 0, 0))
    loop = header(1, 0x0100, 1, 0) + b"\x01a\xc0\x0c" + struct.pack(">HH", 1, 1)
    tcp = b""
    for m in (q, resp):
        tcp += struct.pack(">H", len(m)) + m
    return {
        "query": b"\x00" + q,
        "response_cname_txt": b"\x00" + resp,
        "response_cut": b"\x00" + resp[:40],
        "tunnel_edns": b"\x00" + tunnel,
        "pointer_loop": b"\x00" + loop,
        "tcp_two_msgs": b"\x01" + tcp,
        "tcp_cut": b"\x01" + tcp[:30],
    }


def ext(etype, body):
    return struct.pack(">HH", etype, len(body)) + body


def client_hello(sni=None, alpn=(), pad=0, ech=False):
    exts = ext(0x0a0a, b"")
    if sni:
        s = sni.encode()
        exts += ext(0, struct.pack(">HBH", len(s) + 3, 0, len(s)) + s)
    if alpn:
        lst = b"".join(bytes([len(p)]) + p.encode() for p in alpn)
        exts += ext(16, struct.pack(">H", len(lst)) + lst)
    exts += ext(43, b"\x04\x03\x04\x03\x03")
    if ech:
        exts += ext(0xfe0d, b"\x00\x01\x02\x03")
    if pad:
        exts += ext(21, bytes(pad))
    body = (b"\x03\x03" + bytes([0xAB]) * 32 + b"\x20" + bytes([0xCD]) * 32
            + b"\x00\x04\x13\x01\x13\x02" + b"\x01\x00"
            + struct.pack(">H", len(exts)) + exts)
    hs = b"\x01" + struct.pack(">I", len(body))[1:] + body
    return hs


def records(hs, frag=None):
    frag = frag or len(hs)
    out = b""
    for i in range(0, len(hs), frag):
        chunk = hs[i:i + frag]
        out += b"\x16\x03\x01" + struct.pack(">H", len(chunk)) + chunk
    return out


def tls_seeds():
    return {
        "sni_alpn": b"\x80" + records(client_hello("api.example.com", ("h2", "http/1.1"))),
        "no_sni": b"\x40" + records(client_hello(None, ("http/1.1",))),
        "ech": b"\x10" + records(client_hello("public.example", (), 0, True)),
        "two_records": b"\x99" + records(client_hello("split.example.org", ("h2",), 300), 150),
        "padded_cut": b"\x33" + records(client_hello("long.example", ("h2",), 1200))[:700],
        "not_hello": b"\x20" + b"\x16\x03\x03\x00\x04\x02\x00\x00\x00",
    }


def http_seeds():
    return {
        "post_xfilename": (b"POST /v1/upload HTTP/1.1\r\nHost: models.litellm.cloud\r\n"
                           b"User-Agent: python-requests/2.31.0\r\nContent-Type: "
                           b"application/octet-stream\r\nContent-Length: 40960\r\n"
                           b"X-Filename: tpcp.tar.gz\r\n\r\nbody"),
        "get_lf_only": b"GET /index.html HTTP/1.0\nhost: Example.ORG:8080\n\n",
        "connect": b"CONNECT api.openai.com:443 HTTP/1.1\r\n\r\n",
        "cut_head": b"GET /a HTTP/1.1\r\nHost: exam",
        "bad_length": b"PUT / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n",
        "not_http": b"SSH-2.0-OpenSSH_9.2\r\n",
    }


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
    for target, seeds in (("dns", dns_seeds()), ("tls", tls_seeds()), ("http", http_seeds())):
        d = os.path.join(root, "fuzz", "corpus", target)
        os.makedirs(d, exist_ok=True)
        for name, data in sorted(seeds.items()):
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
