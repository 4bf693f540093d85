#!/usr/bin/env python3
"""pcapgen - deterministic pcap/pcapng writer and traffic synthesiser.

Python 3 standard library only.  Nothing here reads the wall clock: every
random choice comes from a random.Random(seed) the caller passes in, so the
same seed always yields the same bytes.

Conventions
-----------
* Time is an int in NANOSECONDS since the Unix epoch (helpers S, MS, US).
* A "packet" at the IP layer is a tuple (data, extra): `data` is the bytes
  we materialise, `extra` is a count of trailing payload bytes that exist on
  the wire but are not stored (they are taken to be zeros, so TCP/UDP
  checksums computed over `data` alone are still correct).  This is how big
  transfers stay cheap: short snaplen (IP total length 1500, headers only
  captured) and TSO/GRO super-segments (IP total length up to 65535).
* Writers take (ts_ns, frame, extra, hdr_only): the record's wire length is
  len(frame) + extra; the captured length is min(snaplen, wire length), the
  missing bytes being zeros, or, with hdr_only, min(snaplen, len(frame))
  (what a TSO host capture of headers-only looks like).
* Events from several sessions are merged by time with merge_events(); ties
  keep generation order, so timestamps never decrease in the file.

All multi-byte protocol fields are written in network byte order (struct
'!'), except pcap/pcapng headers (file byte order) and DLT_NULL's AF word
(host order of the capturing machine = the file's byte order here).
"""

import heapq
import ipaddress
import struct

S = 1_000_000_000
MS = 1_000_000
US = 1_000

# IP protocol numbers (IANA)
P_ICMP, P_TCP, P_UDP, P_ICMP6 = 1, 6, 17, 58
# IPv6 extension headers (RFC 8200)
NH_HOPOPT, NH_ROUTING, NH_FRAGMENT, NH_DSTOPTS, NH_NONE = 0, 43, 44, 60, 59
# TCP flags (RFC 9293)
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
# Link types (pcap LINKTYPE_ values)
DLT_NULL, DLT_EN10MB, DLT_RAW, DLT_LOOP = 0, 1, 101, 108
DLT_LINUX_SLL, DLT_IPV4, DLT_IPV6, DLT_LINUX_SLL2 = 113, 228, 229, 276
ETH_IP4, ETH_IP6, ETH_ARP, ETH_8021Q, ETH_8021AD = 0x0800, 0x86DD, 0x0806, 0x8100, 0x88A8


# --------------------------------------------------------------- writers
class PcapWriter:
    """Classic libpcap file (v2.4).  big_endian selects the file byte
    order, nano selects nanosecond timestamps (magic 0xa1b23c4d)."""

    def __init__(self, f, linktype, snaplen=65535, big_endian=False, nano=False):
        self.f, self.snaplen, self.nano = f, snaplen, nano
        self.bo = '>' if big_endian else '<'
        magic = 0xA1B23C4D if nano else 0xA1B2C3D4
        self._rec = struct.Struct(self.bo + 'IIII')
        self._buf = []
        f.write(struct.pack(self.bo + 'IHHiIII', magic, 2, 4, 0, 0, snaplen, linktype))

    def write(self, ts, frame, extra=0, hdr_only=False):
        wire = len(frame) + extra
        cap = min(self.snaplen, len(frame) if hdr_only else wire)
        body = frame[:cap] if cap <= len(frame) else frame + bytes(cap - len(frame))
        sec, frac = divmod(ts, S)
        if not self.nano:
            frac //= US
        self._buf.append(self._rec.pack(sec, frac, cap, wire))
        self._buf.append(body)
        if len(self._buf) > 8192:
            self.flush()

    def write_raw(self, data):
        """Appends arbitrary bytes (used to make deliberately broken files)."""
        self.flush()
        self.f.write(data)

    def flush(self):
        self.f.write(b''.join(self._buf))
        self._buf = []

    def close(self):
        self.flush()


class PcapngWriter:
    """pcapng: one Section Header Block, one Interface Description Block per
    add_interface(), Enhanced Packet Blocks.  tsresol is 6 (us) or 9 (ns)."""

    def __init__(self, f, linktype, snaplen=65535, big_endian=False, tsresol=6):
        self.f, self.bo = f, ('>' if big_endian else '<')
        self.snaplen, self.res, self.ifaces = snaplen, 10 ** tsresol, 0
        self._block(0x0A0D0D0A, struct.pack(self.bo + 'IHHq', 0x1A2B3C4D, 1, 0, -1)
                    + self._opt(4, b'exfilmon pcapgen') + self._opt(0, b''))
        self.add_interface(linktype, snaplen, tsresol)

    def _opt(self, code, val):
        pad = (-len(val)) % 4
        return struct.pack(self.bo + 'HH', code, len(val)) + val + bytes(pad)

    def _block(self, btype, body):
        total = 12 + len(body)
        self.f.write(struct.pack(self.bo + 'II', btype, total) + body
                     + struct.pack(self.bo + 'I', total))

    def add_interface(self, linktype, snaplen, tsresol=6):
        opts = self._opt(9, bytes([tsresol])) + self._opt(0, b'')
        self._block(1, struct.pack(self.bo + 'HHI', linktype, 0, snaplen) + opts)
        self.ifaces += 1
        return self.ifaces - 1

    def write(self, ts, frame, extra=0, hdr_only=False, iface=0):
        wire = len(frame) + extra
        cap = min(self.snaplen, len(frame) if hdr_only else wire)
        body = frame[:cap] if cap <= len(frame) else frame + bytes(cap - len(frame))
        t = ts * self.res // S
        hdr = struct.pack(self.bo + 'IIIII', iface, t >> 32, t & 0xFFFFFFFF, cap, wire)
        self._block(6, hdr + body + bytes((-cap) % 4))

    def close(self):
        pass


# ------------------------------------------------------------- checksums
def csum_add(data, acc=0):
    """Adds data (any length, zero-padded to even) to a one's complement
    accumulator (RFC 1071); fold with csum_fold()."""
    if len(data) & 1:
        data += b'\0'
    return acc + sum(struct.unpack('!%dH' % (len(data) // 2), data))


def csum_fold(acc):
    while acc >> 16:
        acc = (acc & 0xFFFF) + (acc >> 16)
    return (~acc) & 0xFFFF


def inet_csum(data):
    return csum_fold(csum_add(data))


def pseudo_sum(src, dst, proto, length):
    """Pseudo-header sum for TCP/UDP/ICMPv6 (RFC 9293 s3.1, RFC 8200 s8.1).
    src/dst are packed addresses (4 or 16 bytes)."""
    if len(src) == 4:
        return csum_add(src + dst + struct.pack('!BBH', 0, proto, length))
    return csum_add(src + dst + struct.pack('!IxxxB', length, proto))


def ip(a):
    """'10.0.0.1' / '2001:db8::1' -> packed bytes."""
    return ipaddress.ip_address(a).packed


# --------------------------------------------------------------- layer 4
def tcp(src, dst, sport, dport, seq, ack, flags, payload=b'', extra=0,
        win=64240, opts=b''):
    """TCP segment (RFC 9293).  src/dst packed; opts must be padded to a
    multiple of 4.  Returns (bytes, extra)."""
    off = (20 + len(opts)) // 4
    hdr = struct.pack('!HHIIBBHHH', sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                      off << 4, flags, win, 0, 0) + opts
    seg = hdr + payload
    c = csum_fold(pseudo_sum(src, dst, P_TCP, len(seg) + extra) + csum_add(seg))
    return seg[:16] + struct.pack('!H', c) + seg[18:], extra


def udp(src, dst, sport, dport, payload=b'', extra=0):
    ln = 8 + len(payload) + extra
    seg = struct.pack('!HHHH', sport, dport, ln & 0xFFFF, 0) + payload
    c = csum_fold(pseudo_sum(src, dst, P_UDP, ln) + csum_add(seg)) or 0xFFFF
    return seg[:6] + struct.pack('!H', c) + seg[8:], extra


def icmp_echo(ident, seq, payload=b'', reply=False):
    """ICMPv4 echo (RFC 792)."""
    body = struct.pack('!BBHHH', 0 if reply else 8, 0, 0, ident, seq) + payload
    c = inet_csum(body)
    return body[:2] + struct.pack('!H', c) + body[4:], 0


def icmp6_echo(src, dst, ident, seq, payload=b'', reply=False):
    """ICMPv6 echo (RFC 4443), checksum over the pseudo-header."""
    body = struct.pack('!BBHHH', 129 if reply else 128, 0, 0, ident, seq) + payload
    c = csum_fold(pseudo_sum(src, dst, P_ICMP6, len(body)) + csum_add(body))
    return body[:2] + struct.pack('!H', c) + body[4:], 0


# --------------------------------------------------------------- layer 3
def ipv4(src, dst, proto, l4, ident=0, ttl=64, df=True, mf=False, frag_off=0,
         options=b'', tos=0, total_len=None):
    """IPv4 header (RFC 791) + payload.  l4 is (bytes, extra); options are
    padded to 4 bytes here.  frag_off in BYTES (multiple of 8).
    total_len overrides the computed length (0 = TSO-style)."""
    data, extra = l4
    options += bytes((-len(options)) % 4)
    ihl = 5 + len(options) // 4
    tl = ihl * 4 + len(data) + extra if total_len is None else total_len
    ff = (0x4000 if df else 0) | (0x2000 if mf else 0) | (frag_off >> 3)
    hdr = struct.pack('!BBHHHBBH4s4s', 0x40 | ihl, tos, tl & 0xFFFF, ident & 0xFFFF, ff,
                      ttl, proto, 0, src, dst) + options
    c = inet_csum(hdr)
    return hdr[:10] + struct.pack('!H', c) + hdr[12:] + data, extra


def ipv6(src, dst, nh, l4, hlim=64, flow=0, ext=(), plen=None):
    """IPv6 header (RFC 8200) + extension headers + payload.  ext is a list
    of (type, body) where body excludes the 2-byte next/len prefix and is
    padded to make the header a multiple of 8 (fragment headers: body is
    the 6 bytes after next/reserved)."""
    data, extra = l4
    chain = b''
    types = [t for t, _ in ext] + [nh]
    for i, (t, body) in enumerate(ext):
        if t == NH_FRAGMENT:
            chain += struct.pack('!BB', types[i + 1], 0) + body
        else:
            body += bytes((-(len(body) + 2)) % 8)
            chain += struct.pack('!BB', types[i + 1], (len(body) + 2) // 8 - 1) + body
    first = types[0]
    pl = len(chain) + len(data) + extra if plen is None else plen
    hdr = struct.pack('!IHBB16s16s', 0x60000000 | flow, pl & 0xFFFF, first, hlim, src, dst)
    return hdr + chain + data, extra


def ip_pkt(src, dst, proto, l4, **kw):
    """IPv4 or IPv6 by address length."""
    if len(src) == 4:
        return ipv4(src, dst, proto, l4, **kw)
    return ipv6(src, dst, proto, l4, **kw)


def ipv4_fragments(src, dst, proto, l4bytes, mtu=576, ident=1, ttl=64, order=None):
    """Splits a complete L4 PDU into IPv4 fragments (RFC 791) of at most
    mtu bytes.  order: list of fragment indices to reorder (default in
    order).  Returns a list of (bytes, 0)."""
    step = (mtu - 20) // 8 * 8
    frags = []
    for off in range(0, len(l4bytes), step):
        chunk = l4bytes[off:off + step]
        more = off + step < len(l4bytes)
        frags.append(ipv4(src, dst, proto, (chunk, 0), ident=ident, ttl=ttl,
                          df=False, mf=more, frag_off=off))
    return [frags[i] for i in order] if order else frags


def ipv6_fragments(src, dst, proto, l4bytes, mtu=1280, ident=1, order=None, ext=()):
    """Splits a complete L4 PDU into IPv6 fragments (RFC 8200 s4.5)."""
    step = (mtu - 40 - 8) // 8 * 8
    frags = []
    for off in range(0, len(l4bytes), step):
        chunk = l4bytes[off:off + step]
        more = 1 if off + step < len(l4bytes) else 0
        fh = struct.pack('!HI', off | more, ident)
        frags.append(ipv6(src, dst, proto, (chunk, 0), ext=list(ext) + [(NH_FRAGMENT, fh)]))
    return [frags[i] for i in order] if order else frags


# --------------------------------------------------------------- layer 2
def mac(i):
    """Deterministic locally administered MAC from an int."""
    return bytes([0x02, 0x00]) + struct.pack('!I', i & 0xFFFFFFFF)


class Link:
    """Wraps IP packets for one link type.  vlans: list of (tpid, vid)
    outermost first (Ethernet only).  For SLL/SLL2 `outgoing` picks the
    packet type (4 = outgoing, 0 = to us)."""

    def __init__(self, dlt, vlans=(), src_mac=mac(1), dst_mac=mac(2),
                 null_bo='<', af6=30):
        self.dlt, self.vlans = dlt, list(vlans)
        self.src_mac, self.dst_mac, self.null_bo, self.af6 = src_mac, dst_mac, null_bo, af6

    def header(self, ver, outgoing=True):
        et = ETH_IP4 if ver == 4 else ETH_IP6
        if self.dlt == DLT_EN10MB:
            s, d = (self.src_mac, self.dst_mac) if outgoing else (self.dst_mac, self.src_mac)
            tags = b''.join(struct.pack('!HH', tpid, vid) for tpid, vid in self.vlans)
            return d + s + tags + struct.pack('!H', et)
        if self.dlt == DLT_LINUX_SLL:
            return struct.pack('!HHH8sH', 4 if outgoing else 0, 1, 6,
                               self.src_mac if outgoing else self.dst_mac, et)
        if self.dlt == DLT_LINUX_SLL2:
            return struct.pack('!HHIHBB8s', et, 0, 2, 1, 4 if outgoing else 0, 6,
                               self.src_mac if outgoing else self.dst_mac)
        if self.dlt == DLT_NULL:
            return struct.pack(self.null_bo + 'I', 2 if ver == 4 else self.af6)
        if self.dlt == DLT_LOOP:
            return struct.pack('!I', 2 if ver == 4 else self.af6)
        return b''   # RAW, IPV4, IPV6

    def frame(self, pkt, outgoing=True):
        data, extra = pkt
        ver = data[0] >> 4
        return self.header(ver, outgoing) + data, extra


def eth_raw(dst, src, ethertype, payload, vlans=()):
    """Ethernet frame with arbitrary ethertype and VLAN stack (for hostile
    and non-IP frames)."""
    tags = b''.join(struct.pack('!HH', t, v) for t, v in vlans)
    return dst + src + tags + struct.pack('!H', ethertype) + payload


# ----------------------------------------------------------- app payloads
def dns_name(name, comp=None, base=0, out_len=0):
    """Encodes a name (RFC 1035 s4.1.4).  comp maps a suffix to its offset
    in the message; out_len is where this name starts relative to base."""
    labels = name.rstrip('.').split('.') if name else []
    out = b''
    for i in range(len(labels)):
        suffix = '.'.join(labels[i:]).lower()
        if comp is not None and suffix in comp:
            return out + struct.pack('!H', 0xC000 | comp[suffix])
        if comp is not None and out_len + len(out) < 0x3FFF:
            comp[suffix] = out_len + len(out)
        lab = labels[i].encode()
        out += bytes([len(lab)]) + lab
    return out + b'\0'


QTYPE = {'A': 1, 'CNAME': 5, 'AAAA': 28, 'TXT': 16}


def dns_query(qid, name, qtype='A'):
    comp = {}
    msg = struct.pack('!HHHHHH', qid, 0x0100, 1, 0, 0, 0)
    msg += dns_name(name, comp, 0, len(msg))
    return msg + struct.pack('!HH', QTYPE[qtype], 1)


def dns_response(qid, name, qtype, answers, ttl=300, rcode=0):
    """answers: list of (owner, type, value) with value an address string
    for A/AAAA, a name for CNAME, or text (str or bytes) for TXT.  Names
    are compressed."""
    comp = {}
    msg = struct.pack('!HHHHHH', qid, 0x8180 | rcode, 1, len(answers), 0, 0)
    msg += dns_name(name, comp, 0, len(msg)) + struct.pack('!HH', QTYPE[qtype], 1)
    for owner, typ, val in answers:
        msg += dns_name(owner, comp, 0, len(msg))
        if typ == 'CNAME':
            rd = dns_name(val, comp, 0, len(msg) + 10)
        elif typ == 'TXT':
            # RFC 1035 3.3.14: character-strings of at most 255 octets each.
            data = val.encode() if isinstance(val, str) else bytes(val)
            rd = b''.join(bytes([len(data[i:i + 255])]) + data[i:i + 255]
                          for i in range(0, len(data), 255)) or b'\x00'
        else:
            rd = ip(val)
        msg += struct.pack('!HHIH', QTYPE[typ], 1, ttl, len(rd)) + rd
    return msg


def _ext(etype, body):
    return struct.pack('!HH', etype, len(body)) + body


def tls_client_hello(sni, alpn=('h2', 'http/1.1'), rng=None):
    """TLS 1.3-style ClientHello record (RFC 8446) with server_name
    (RFC 6066) and ALPN (RFC 7301).  Returns the whole record."""
    rnd = bytes(rng.getrandbits(8) for _ in range(32 + 32 + 32)) if rng else bytes(96)
    host = sni.encode()
    exts = b''
    if sni:
        exts += _ext(0, struct.pack('!HBH', len(host) + 3, 0, len(host)) + host)
    exts += _ext(23, b'') + _ext(0xFF01, b'\0')
    exts += _ext(10, struct.pack('!HHHH', 6, 0x001D, 0x0017, 0x0018))
    exts += _ext(11, b'\x01\x00')
    if alpn:
        lst = b''.join(bytes([len(p)]) + p.encode() for p in alpn)
        exts += _ext(16, struct.pack('!H', len(lst)) + lst)
    exts += _ext(13, struct.pack('!H', 8) + struct.pack('!HHHH', 0x0403, 0x0804, 0x0401, 0x0503))
    exts += _ext(43, b'\x04\x03\x04\x03\x03')
    exts += _ext(51, struct.pack('!HHH', 36, 0x001D, 32) + rnd[64:96])
    suites = struct.pack('!9H', 0x1301, 0x1302, 0x1303, 0xC02B, 0xC02F, 0xC02C, 0xC030, 0xCCA9, 0xCCA8)
    body = (b'\x03\x03' + rnd[:32] + b'\x20' + rnd[32:64] + struct.pack('!H', len(suites))
            + suites + b'\x01\x00' + struct.pack('!H', len(exts)) + exts)
    hs = b'\x01' + struct.pack('!I', len(body))[1:] + body
    return b'\x16\x03\x01' + struct.pack('!H', len(hs)) + hs


def tls_server_hello(rng=None):
    """Minimal ServerHello + ChangeCipherSpec records (TLS 1.3 shape)."""
    rnd = bytes(rng.getrandbits(8) for _ in range(64)) if rng else bytes(64)
    exts = _ext(43, b'\x03\x04') + _ext(51, struct.pack('!HH', 0x001D, 32) + rnd[32:64])
    body = (b'\x03\x03' + rnd[:32] + b'\x00' + struct.pack('!HB', 0x1301, 0)
            + struct.pack('!H', len(exts)) + exts)
    hs = b'\x02' + struct.pack('!I', len(body))[1:] + body
    return b'\x16\x03\x03' + struct.pack('!H', len(hs)) + hs + b'\x14\x03\x03\x00\x01\x01'


def tls_app_header(length):
    """Header of an application_data record of `length` bytes."""
    return b'\x17\x03\x03' + struct.pack('!H', length)


def http_post(host, path, body_len, ctype='application/octet-stream',
              ua='python-requests/2.31.0', filename=None):
    """HTTP/1.1 POST request head (RFC 9112); the body follows separately."""
    lines = ['POST %s HTTP/1.1' % path, 'Host: %s' % host, 'User-Agent: %s' % ua,
             'Accept: */*', 'Content-Type: %s' % ctype, 'Content-Length: %d' % body_len]
    if filename:
        lines.append('X-Filename: %s' % filename)
    return ('\r\n'.join(lines) + '\r\n\r\n').encode()


def http_response(status=200, reason='OK', body=b''):
    return (('HTTP/1.1 %d %s\r\nContent-Length: %d\r\nContent-Type: text/plain\r\n\r\n'
             % (status, reason, len(body))).encode() + body)


# ---------------------------------------------------------- TCP sessions
# An event is (ts_ns, seq_no, ip_pkt, outgoing, hdr_only); seq_no breaks
# timestamp ties deterministically.  merge_events() sorts a list of event
# streams by (ts, seq_no).
_tie = [0]


def _ev(ts, pkt, outgoing, hdr_only=False):
    _tie[0] += 1
    return (ts, _tie[0], pkt, outgoing, hdr_only)


def tcp_opts_syn(mss=1460, wscale=7):
    """MSS, SACK-permitted, NOP, window scale (padded, 12 bytes)."""
    return struct.pack('!BBH', 2, 4, mss) + b'\x04\x02\x01\x03\x03' + bytes([wscale]) + b'\x01\x01'


def session(*args, **kw):
    """One TCP connection as a time-sorted list of events; see _session()."""
    return sorted(_session(*args, **kw))


def _session(cli, srv, sport, dport, start, bytes_up=0, bytes_down=0, duration=S,
            seg=1448, rtt=20 * MS, up_first=b'', down_first=b'', up_chunks=None,
            close='fin', ack_every=2, hdr_only=False, rng=None, ident0=None):
    """Events for one TCP connection (RFC 9293), in generation order;
    session() returns them sorted by time.

    cli/srv: packed addresses (both v4 or both v6).  start, duration, rtt in
    ns.  bytes_up / bytes_down: application bytes each way, INCLUDING
    up_first / down_first (real payload sent first, e.g. a ClientHello or
    an HTTP request with its body; split into `seg`-sized segments); the
    rest is virtual (zeros, not stored).  up_chunks: optional list of real
    byte strings sent as separate first client segments, before up_first
    (e.g. a ClientHello split over two segments).  seg: bytes per data segment
    (1448 = 1500 MTU with timestamps-less 20+20 headers ~ MSS; 65483 for a
    64 KiB super-segment).  Data segments are paced evenly over
    [start + rtt, start + duration - rtt]; the handshake takes one rtt and
    close ('fin', 'rst' or None for no close) ends at start + duration.
    A pure ACK is sent by the receiver every `ack_every` data segments it
    receives while it has nothing to send.  Sequence numbers wrap mod 2^32.
    """
    rng_isn = (rng.getrandbits(32), rng.getrandbits(32)) if rng else (1000, 5000)
    ident = [ident0 if ident0 is not None else (rng.getrandbits(16) if rng else 1),
             (rng.getrandbits(16) if rng else 1)]
    v4 = len(cli) == 4
    ends = ((cli, srv, sport, dport), (srv, cli, dport, sport))
    nxt = [rng_isn[0], rng_isn[1]]      # next seq to send per side
    t_end = start + duration

    def mk(side, flags, payload=b'', extra=0, opts=b''):
        s, d, sp, dp = ends[side]
        seg_ = tcp(s, d, sp, dp, nxt[side], nxt[1 - side] if flags & ACK else 0,
                   flags, payload, extra, win=64240 if flags & SYN else 502, opts=opts)
        if v4:
            ident[side] = (ident[side] + 1) & 0xFFFF
            pkt = ipv4(s, d, P_TCP, seg_, ident=ident[side], ttl=64 if side == 0 else 56)
        else:
            pkt = ipv6(s, d, P_TCP, seg_, hlim=64 if side == 0 else 56)
        nxt[side] = (nxt[side] + len(payload) + extra + (1 if flags & (SYN | FIN) else 0)) & 0xFFFFFFFF
        return pkt

    half = rtt // 2
    yield _ev(start, mk(0, SYN, opts=tcp_opts_syn()), True)
    yield _ev(start + half, mk(1, SYN | ACK, opts=tcp_opts_syn()), False)
    yield _ev(start + rtt, mk(0, ACK), True)

    plan = []   # (side, real_bytes, virtual_len)
    for side, total, first, chunks in ((0, bytes_up, up_first, up_chunks), (1, bytes_down, down_first, None)):
        reals = list(chunks or []) + ([first] if first else [])
        items = [(side, c[o:o + seg], 0) for c in reals for o in range(0, len(c), seg)]
        left = total - sum(len(c) for _, c, _ in items)
        while left > 0:
            n = min(seg, left)
            items.append((side, b'', n))
            left -= n
        plan.append(items)
    # Interleave: client's request first, then proportional pacing.
    sched = []
    data_lo, data_hi = start + rtt + 1 * MS, max(start + rtt + 2 * MS, t_end - rtt - 1 * MS)
    for side in (0, 1):
        n = len(plan[side])
        for i, it in enumerate(plan[side]):
            if side == 0:
                t = data_lo + (data_hi - data_lo) * i // max(n, 1)
            else:
                t = data_lo + half + (data_hi - data_lo) * i // max(n, 1)
            sched.append((min(t, data_hi), side, i, it))
    sched.sort(key=lambda x: (x[0], x[1], x[2]))
    unacked = [0, 0]
    for t, side, _, (_, real, virt) in sched:
        flags = ACK | (PSH if real else 0)
        yield _ev(t, mk(side, flags, real, virt), side == 0, hdr_only and virt > 0)
        unacked[side] += 1
        unacked[1 - side] = 0
        if unacked[side] >= ack_every:
            yield _ev(t + 50 * US, mk(1 - side, ACK), side == 1)
            unacked[side] = 0
    t_close = max(t_end - rtt, data_hi + 1 * MS)
    if close == 'fin':
        yield _ev(t_close, mk(0, FIN | ACK), True)
        yield _ev(t_close + half, mk(1, FIN | ACK), False)
        yield _ev(t_close + rtt, mk(0, ACK), True)
    elif close == 'rst':
        yield _ev(t_close, mk(0, RST | ACK), True)


def udp_exchange(cli, srv, sport, dport, t, req, resp, rtt=10 * MS):
    """One UDP request and its reply (e.g. DNS, NTP)."""
    evs = [_ev(t, ip_pkt(cli, srv, P_UDP, udp(cli, srv, sport, dport, req)), True)]
    if resp is not None:
        evs.append(_ev(t + rtt, ip_pkt(srv, cli, P_UDP, udp(srv, cli, dport, sport, resp)), False))
    return evs


def dns_lookup(cli, resolver, t, qid, name, qtype='A', answers=(), sport=None, rtt=8 * MS):
    """A DNS query and its response over UDP/53."""
    sport = sport or (20000 + qid % 40000)
    return udp_exchange(cli, resolver, sport, 53, t, dns_query(qid, name, qtype),
                        dns_response(qid, name, qtype, list(answers)), rtt)


def ping(cli, srv, t, ident, count=4, interval=S, rtt=15 * MS):
    """ICMP or ICMPv6 echo request/reply pairs."""
    evs = []
    pl = bytes(range(56))
    for i in range(count):
        ts = t + i * interval
        if len(cli) == 4:
            evs.append(_ev(ts, ipv4(cli, srv, P_ICMP, icmp_echo(ident, i + 1, pl), df=False), True))
            evs.append(_ev(ts + rtt, ipv4(srv, cli, P_ICMP, icmp_echo(ident, i + 1, pl, True), df=False), False))
        else:
            evs.append(_ev(ts, ipv6(cli, srv, P_ICMP6, icmp6_echo(cli, srv, ident, i + 1, pl)), True))
            evs.append(_ev(ts + rtt, ipv6(srv, cli, P_ICMP6, icmp6_echo(srv, cli, ident, i + 1, pl, True)), False))
    return evs


def merge_events(streams):
    """Merges event iterables (each time-sorted) into one time-sorted
    iterator; ties keep creation order.  Lists are sorted first."""
    its = [sorted(s) if isinstance(s, list) else s for s in streams]
    return heapq.merge(*its)


def write_events(writer, link, events):
    """Writes merged events through a Link.  Returns the packet count.
    Raises ValueError if timestamps would go backwards."""
    last, n = -1, 0
    for ts, _, pkt, outgoing, hdr_only in events:
        if ts < last:
            raise ValueError('timestamps went backwards')
        last = ts
        frame, extra = link.frame(pkt, outgoing)
        writer.write(ts, frame, extra, hdr_only)
        n += 1
    return n


def write_file(path, linktype, events, snaplen=65535, link=None, fmt='pcap', **kw):
    """Convenience: merge-sorted events -> file at path."""
    link = link or Link(linktype)
    with open(path, 'wb') as f:
        w = (PcapngWriter if fmt == 'pcapng' else PcapWriter)(f, linktype, snaplen, **kw)
        n = write_events(w, link, events)
        w.close()
    return n


# ------------------------------------------------- fast path for volume
# Header-only IPv4/TCP segments with incrementally computed checksums
# (RFC 1071: the one's complement sum is order independent, so the fixed
# words are summed once per direction).  Used by bulk_session().
_V4TCP = struct.Struct('!BBHHHBBH4s4sHHIIBBHHH')


def _fold(a):
    a = (a & 0xFFFF) + (a >> 16)
    a = (a & 0xFFFF) + (a >> 16)
    return ~a & 0xFFFF


class _FastV4:
    """Per-direction template: src/dst packed IPv4, ports, TTL."""

    def __init__(self, src, dst, sport, dport, ttl, ident):
        self.src, self.dst, self.sport, self.dport, self.ttl = src, dst, sport, dport, ttl
        self.ident = ident
        self.ipbase = csum_add(struct.pack('!BBHHHBBH4s4s', 0x45, 0, 0, 0, 0x4000, ttl,
                                           P_TCP, 0, src, dst))
        self.tbase = csum_add(src + dst) + P_TCP + sport + dport + 502

    def pkt(self, seq, ack, flags, plen):
        """A 40-byte header for a segment carrying plen virtual bytes;
        returns (bytes, plen)."""
        tl = 40 + plen
        self.ident = ident = (self.ident + 1) & 0xFFFF
        ipc = _fold(self.ipbase + tl + ident)
        tc = _fold(self.tbase + 20 + plen + (seq >> 16) + (seq & 0xFFFF) + (ack >> 16)
                   + (ack & 0xFFFF) + (0x5000 | flags))
        return _V4TCP.pack(0x45, 0, tl, ident, 0x4000, self.ttl, P_TCP, ipc, self.src,
                           self.dst, self.sport, self.dport, seq, ack, 0x50, flags,
                           502, tc, 0), plen


def bulk_session(cli, srv, sport, dport, start, bytes_up=0, bytes_down=0, duration=S,
                 seg=65495, rtt=20 * MS, up_first=b'', down_first=b'', ack_every=16,
                 rng=None):
    """Like session() but for big IPv4 transfers: a lazy generator, bulk
    data as header-only records (hdr_only) of `seg` virtual bytes each
    (65495 = IP total length 65535, a TSO/GRO super-segment; 1460 = a
    1500-byte packet as seen with a short snaplen).  The real first
    payloads (ClientHello, ServerHello) are stored whole.  Data is paced
    evenly over [start + rtt + 2 ms, start + duration - rtt - 1 ms]; close
    is FIN/FIN/ACK ending at start + duration.  bytes_* include the first
    payloads; pure ACKs every `ack_every` segments received."""
    isn = (rng.getrandbits(32), rng.getrandbits(32)) if rng else (1000, 5000)
    ids = (rng.getrandbits(16), rng.getrandbits(16)) if rng else (1, 1)
    fast = (_FastV4(cli, srv, sport, dport, 64, ids[0]), _FastV4(srv, cli, dport, sport, 56, ids[1]))
    nxt = [isn[0], isn[1]]
    half = rtt // 2

    def slow(side, flags, payload=b'', opts=b''):
        f = fast[side]
        sg = tcp(f.src, f.dst, f.sport, f.dport, nxt[side], nxt[1 - side] if flags & ACK else 0,
                 flags, payload, 0, win=64240 if flags & SYN else 502, opts=opts)
        f.ident = (f.ident + 1) & 0xFFFF
        nxt[side] = (nxt[side] + len(payload) + (1 if flags & (SYN | FIN) else 0)) & 0xFFFFFFFF
        return ipv4(f.src, f.dst, P_TCP, sg, ident=f.ident, ttl=f.ttl)

    def fastp(side, flags, plen):
        p = fast[side].pkt(nxt[side], nxt[1 - side], flags, plen)
        nxt[side] = (nxt[side] + plen) & 0xFFFFFFFF
        return p

    tie = _tie
    tie[0] += 3
    t0 = tie[0]
    yield (start, t0 - 2, slow(0, SYN, opts=tcp_opts_syn()), True, False)
    yield (start + half, t0 - 1, slow(1, SYN | ACK, opts=tcp_opts_syn()), False, False)
    yield (start + rtt, t0, slow(0, ACK), True, False)
    t = start + rtt + MS
    for side, first in ((0, up_first), (1, down_first)):
        if first:
            tie[0] += 1
            yield (t, tie[0], slow(side, ACK | PSH, first), side == 0, False)
            t += half
    lo, hi = t + MS, max(t + 2 * MS, start + duration - rtt - MS)
    left = [max(0, bytes_up - len(up_first)), max(0, bytes_down - len(down_first))]
    cnt = [-(-left[0] // seg), -(-left[1] // seg)]
    idx, rx = [0, 0], [0, 0]
    span = hi - lo
    while idx[0] < cnt[0] or idx[1] < cnt[1]:
        tt = [lo + span * idx[s] // cnt[s] if idx[s] < cnt[s] else None for s in (0, 1)]
        side = 0 if tt[1] is None or (tt[0] is not None and tt[0] <= tt[1]) else 1
        n = min(seg, left[side])
        left[side] -= n
        idx[side] += 1
        tie[0] += 1
        yield (tt[side], tie[0], fastp(side, ACK, n), side == 0, True)
        rx[1 - side] += 1
        rx[side] = 0
        if rx[1 - side] >= ack_every:
            rx[1 - side] = 0
            tie[0] += 1
            # ACK 50 us later, but never after the next data segment.
            nt = [lo + span * idx[s] // cnt[s] for s in (0, 1) if idx[s] < cnt[s]]
            ta = min([tt[side] + 50 * US] + nt)
            yield (ta, tie[0], fastp(1 - side, ACK, 0), side == 1, False)
    tc = max(start + duration - rtt, hi + MS)
    tie[0] += 3
    t0 = tie[0]
    yield (tc, t0 - 2, slow(0, FIN | ACK), True, False)
    yield (tc + half, t0 - 1, slow(1, FIN | ACK), False, False)
    yield (tc + rtt, t0, slow(0, ACK), True, False)
