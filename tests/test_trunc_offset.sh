#!/bin/sh
# test_trunc_offset.sh EXFILMON - a capture cut short or corrupt is
# reported with the record (pcapng: block) number and the byte offset
# where the bad record STARTS, the same through a pipe as for a file;
# the packets before it are still processed and flushed, exit status 1.
#
# Captures are written here (python3): classic pcap cut inside a record's
# data, cut inside a record header, one whose earlier record is longer
# than the file's snaplen (libpcap clips it but consumes it whole, so the
# offset must count bytes consumed, not caplen), and a multi-link-type
# pcapng cut inside its last block and one with a bad block length.
# Exit 0 ok, 1 failure, 77 skip (no python3).
exf=${1:?usage: test_trunc_offset.sh EXFILMON}
command -v python3 >/dev/null 2>&1 || { echo "skip: no python3"; exit 77; }
exec python3 - "$exf" <<'PYEOF'
import os
import re
import struct
import subprocess
import sys
import tempfile

EXF = sys.argv[1]
FAILS = []
IP4 = bytes.fromhex('4500002800010000400600000a0000010808080804d201bb00000001000000005002ffff00000000')
ETH = bytes.fromhex('020000000001020000000002') + b'\x08\x00' + IP4


def pkt(extra):
    """An Ethernet/IPv4/TCP frame with `extra` payload bytes (IP length fixed up)."""
    ip = bytearray(IP4) + bytes(extra)
    ip[2:4] = struct.pack('>H', len(ip))
    return ETH[:14] + bytes(ip)


def pcap(frames, snaplen=65535, cut=0, caplens=None):
    """Classic pcap; returns (bytes, offsets of each record)."""
    b = struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, snaplen, 1)
    offs = []
    for i, f in enumerate(frames):
        offs.append(len(b))
        b += struct.pack('<IIII', 1700000000 + i, 0, len(f), len(f)) + f
    return (b[:len(b) - cut] if cut else b), offs


def png_blk(t, body):
    body += b'\0' * ((-len(body)) % 4)
    n = len(body) + 12
    return struct.pack('<II', t, n) + body + struct.pack('<I', n)


def pcapng(frames, bad_len_at=None, cut=0):
    """Two interfaces (Ethernet, raw IPv4); frames alternate between them."""
    b = png_blk(0x0A0D0D0A, struct.pack('<IHHq', 0x1A2B3C4D, 1, 0, -1))
    b += png_blk(1, struct.pack('<HHI', 1, 0, 0)) + png_blk(1, struct.pack('<HHI', 101, 0, 0))
    offs = []
    for i, f in enumerate(frames):
        d = f if i % 2 == 0 else f[14:]
        offs.append(len(b))
        blk = png_blk(6, struct.pack('<IIIII', i % 2, 0, 1700000000 + i, len(d), len(d)) + d)
        if bad_len_at == i:
            blk = blk[:4] + struct.pack('<I', 13) + blk[8:]
        b += blk
    return (b[:len(b) - cut] if cut else b), offs


def run(data, path, via_pipe):
    """Returns (exit status, stderr, number of flow records)."""
    with open(path, 'wb') as f:
        f.write(data)
    flows = path + '.flows'
    args = [EXF, '-q', '--no-rules', '--alerts', '/dev/null', '--flows', flows, '-r']
    if via_pipe:
        cat = subprocess.Popen(['cat', path], stdout=subprocess.PIPE)
        p = subprocess.run(args + ['-'], stdin=cat.stdout, capture_output=True, text=True)
        cat.wait()
    else:
        p = subprocess.run(args + [path], capture_output=True, text=True)
    with open(flows) as f:
        n = sum(1 for ln in f if '"event_type":"flow"' in ln)
    return p.returncode, p.stderr, n


def check(name, data, where, packets):
    """`where` is the regex the error must match after the file name."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, 'cap')
        for via_pipe in (False, True):
            label = '%s via %s' % (name, 'pipe' if via_pipe else 'file')
            rc, err, nflows = run(data, path, via_pipe)
            shown = '<stdin>' if via_pipe else path
            want = re.escape(shown) + ': ' + where
            ok = (rc == 1 and re.search(want, err) is not None and
                  ' %d packets read' % packets in err and nflows >= 1)
            print('%s %s: exit %d; %s' % ('ok  ' if ok else 'FAIL', label, rc,
                                          err.strip().splitlines()[0] if err else ''))
            if not ok:
                print('    wanted /%s/ and %d packets, exit 1, flows flushed' % (want, packets))
                FAILS.append(label)


frames = [pkt(10), pkt(200), pkt(33), pkt(64)]
data, offs = pcap(frames, cut=30)
check('pcap cut in record data', data,
      r'record 4 \(byte offset %d\): truncated dump file' % offs[3], 3)
data, offs = pcap(frames, cut=len(frames[3]) + 9)
check('pcap cut in record header', data,
      r'record 4 \(byte offset %d\): truncated dump file' % offs[3], 3)
data, offs = pcap([pkt(10), pkt(200), pkt(33)], snaplen=96, cut=5)
check('pcap record longer than snaplen', data,
      r'record 3 \(byte offset %d\): truncated dump file' % offs[2], 2)
data, offs = pcapng(frames, cut=7)
check('pcapng cut in last block', data,
      r'block 7 \(byte offset %d, after 3 packets\): truncated block' % offs[3], 3)
data, offs = pcapng(frames, bad_len_at=2)
check('pcapng bad block length', data,
      r'block 6 \(byte offset %d, after 2 packets\): bad block length 13' % offs[2], 2)
print('%d failed' % len(FAILS))
sys.exit(1 if FAILS else 0)
PYEOF
