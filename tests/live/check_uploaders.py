#!/usr/bin/env python3
"""check_uploaders.py WORK FLOWS IPA IPB PORT NBYTES EXE CONTAINER MODE
- verdict for bpf_uploaders.sh.

WORK/uploaders lists "PID TAG" per uploader.  For each, the flow record
IPA -> IPB:PORT in WORK/FLOWS whose process.pid is PID counts as named
when its process.exe is EXE and its cmdline carries TAG.  Checked too:
the sink received NBYTES from the flow's source port; bytes_toserver
equals the IP-layer bytes of the pcap (WORK/cap.pcap) for that port;
with MODE bpf or replay, socket.bytes_sent == NBYTES and (when CONTAINER
is not "-") process.container.id == CONTAINER.  No record may name a
pid that is not the flow's uploader.

MODE bpf, replay: every uploader must be named (exit 1 otherwise).
MODE sock_diag: the unnamed ones are listed, not failed (that source is
known to lose short-lived processes); wrong names still fail.
Prints "named N/M".
"""
import json
import socket
import struct
import sys


def pcap_ip_bytes(path, ipa, ipb, dport):
    """{sport: IP-layer bytes} of IPv4 TCP packets ipa -> ipb:dport."""
    out = {}
    with open(path, "rb") as f:
        data = f.read()
    end = "<" if struct.unpack("<I", data[:4])[0] in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    off = 24
    a, b = socket.inet_aton(ipa), socket.inet_aton(ipb)
    while off + 16 <= len(data):
        incl = struct.unpack(end + "I", data[off + 8:off + 12])[0]
        pkt = data[off + 16:off + 16 + incl]
        off += 16 + incl
        if len(pkt) < 34 or pkt[12:14] != b"\x08\x00":
            continue
        ip = pkt[14:]
        ihl = (ip[0] & 15) * 4
        if ip[9] != 6 or ip[12:16] != a or ip[16:20] != b or len(ip) < ihl + 4:
            continue
        sp, dp = struct.unpack(">HH", ip[ihl:ihl + 4])
        if dp == dport:
            out[sp] = out.get(sp, 0) + struct.unpack(">H", ip[2:4])[0]
    return out


def main():
    work, flows_file, ipa, ipb, port, nbytes, exe, container, mode = sys.argv[1:10]
    port, nbytes = int(port), int(nbytes)
    ups = {}
    for line in open(work + "/uploaders"):
        pid, tag = line.split()
        ups[int(pid)] = tag
    sink = {}
    for line in open(work + "/sink.log"):
        parts = line.split()
        if len(parts) == 2:
            sink[int(parts[0])] = int(parts[1])
    recs = []
    for line in open(work + "/" + flows_file):
        r = json.loads(line)
        if r.get("event_type") == "flow" and r.get("src_ip") == ipa and r.get("dest_port") == port:
            recs.append(r)
    ipbytes = pcap_ip_bytes(work + "/cap.pcap", ipa, ipb, port)
    fails, named, unnamed = 0, 0, []

    def check(cond, what):
        nonlocal fails
        if not cond:
            print("FAIL: " + what)
            fails += 1
        return cond

    check(len(recs) == len(ups), "%d flow records to :%d for %d uploaders" % (len(recs), port, len(ups)))
    for r in recs:
        sp = r["src_port"]
        check(sink.get(sp) == nbytes, "sink got %s of %d bytes from :%d" % (sink.get(sp), nbytes, sp))
        check(r["flow"]["bytes_toserver"] == ipbytes.get(sp),
              ":%d bytes_toserver %s == pcap IP bytes %s" % (sp, r["flow"]["bytes_toserver"], ipbytes.get(sp)))
        pid = r.get("process", {}).get("pid")
        check(pid is None or pid in ups, ":%d names pid %s, not an uploader" % (sp, pid))
    for pid, tag in sorted(ups.items()):
        mine = [r for r in recs if r.get("process", {}).get("pid") == pid]
        if not mine:
            unnamed.append(pid)
            continue
        r = mine[0]
        p = r["process"]
        if mode == "sock_diag" and not p.get("exe") and not p.get("cmdline"):
            # sock_diag found the socket's pid, but the uploader had exited
            # before /proc/PID was read (a short-lived process on a loaded
            # machine): known pid, unknown program - not named, not wrong.
            unnamed.append(pid)
            continue
        ok = check(len(mine) == 1, "pid %d named on %d flows" % (pid, len(mine)))
        ok &= check(p.get("exe") == exe, "pid %d exe %r == %r" % (pid, p.get("exe"), exe))
        ok &= check(tag in p.get("cmdline", ""), "pid %d cmdline %r has %s" % (pid, p.get("cmdline"), tag))
        if mode != "sock_diag":
            sock = r.get("socket", {})
            ok &= check(sock.get("bytes_sent") == nbytes,
                        "pid %d socket.bytes_sent %s == %d" % (pid, sock.get("bytes_sent"), nbytes))
            ok &= check(r.get("attribution") == "bpf", "pid %d attribution %r" % (pid, r.get("attribution")))
            if container != "-":
                cid = p.get("container", {}).get("id")
                ok &= check(cid == container, "pid %d container.id %s" % (pid, cid))
        named += 1 if ok else 0
    print("%s: named %d/%d (pid, exe, cmdline%s)" % (
        mode, named, len(ups), "" if mode == "sock_diag" else ", socket bytes, container"))
    if unnamed:
        print("%s: not named: pids %s" % (mode, " ".join(map(str, unnamed))))
        if mode != "sock_diag":
            fails += 1
    print("PASS" if fails == 0 else "FAIL (%d)" % fails)
    return 1 if fails else 0


sys.exit(main())
