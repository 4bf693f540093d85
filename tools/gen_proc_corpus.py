#!/usr/bin/env python3
"""gen_proc_corpus.py [DIR] - writes the seed corpus of fuzz/fuzz_proc.c
(default fuzz/corpus/proc).  Byte 0 of each file selects the parser:
0 cgroup, 1 stat, 2 cmdline, 3 connector datagram, 4 sock_diag reply,
5 ledger.  Netlink is written in this machine's byte order."""
import os
import struct
import sys

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "fuzz", "corpus", "proc")
ID = "3f4e1b2a9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f"
POD = "1b2c3d4e_5f60_4718_9a0b_c1d2e3f4a5b6"


def w(name, sel, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(bytes([sel]) + data)


def nl(typ, payload, seq=1):
    return struct.pack("=IHHII", 16 + len(payload), typ, 0, seq, 0) + payload


def cn(event):
    return nl(3, struct.pack("=IIIIHH", 1, 1, 0, 0, len(event), 0) + event)


def main():
    os.makedirs(OUT, exist_ok=True)
    w("cgroup_docker", 0, ("0::/system.slice/docker-%s.scope\n" % ID).encode())
    w("cgroup_k8s", 0, ("0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod%s"
                        ".slice/cri-containerd-%s.scope\n" % (POD, ID)).encode())
    w("cgroup_v1", 0, ("12:memory:/docker/%s\n11:cpu:/\n0::/kubepods/besteffort/pod%s/%s\n"
                       % (ID, POD.replace("_", "-"), ID)).encode())
    w("stat", 1, b"4242 (evil) (name) S 17 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 "
                 b"20 0 1 0 987654 1000 100\n")
    w("cmdline", 2, b"python3\0-m\0litellm\0--port\x004000\0")
    w("cn_exec", 3, cn(struct.pack("=IIQII", 2, 0, 0, 777, 777)))
    w("cn_fork_twice", 3, cn(struct.pack("=IIQIIII", 1, 0, 0, 1, 1, 778, 778)) * 2)
    w("cn_comm", 3, cn(struct.pack("=IIQII16s", 0x200, 0, 0, 777, 777, b"xm-stealer")))
    w("cn_ack", 3, cn(struct.pack("=IIQI", 0, 0, 0, 0)))
    w("diag_enoent", 4, nl(2, struct.pack("=i", -2) + b"\0" * 16))
    msg = (struct.pack("=BBBB", 2, 1, 0, 0) + struct.pack(">HH", 40000, 443) +
           bytes([127, 0, 0, 1]) + b"\0" * 12 + bytes([10, 0, 0, 9]) + b"\0" * 12 +
           struct.pack("=IIIIIIII", 0, 0, 0, 0, 0, 0, 1000, 12345))
    w("diag_found", 4, nl(20, msg))
    l1 = ('{"ts_us":1700000000000000,"proto":6,"src_ip":"10.0.0.5","src_port":40000,'
          '"dest_ip":"203.0.113.9","dest_port":443,"attribution":"exact","process":'
          '{"pid":4321,"ppid":1,"name":"python3","exe":"/usr/bin/python3.11",'
          '"cmdline":"python3 -m litellm","user":"alice","uid":1000,'
          '"start_us":1699999990000000,"first_seen_us":1699999990500000,"ai":true,'
          '"ai_evidence":"cmdline:litellm","container":{"runtime":"docker","id":"%s"}}}\n'
          % ID).encode()
    w("ledger_ok", 5, l1 + b"\n" + l1.replace(b"40000", b"40001"))
    w("ledger_bad", 5, l1 + b'{"ts_us":1,"proto":6}\n')
    w("ledger_ipv6", 5, b'{"ts_us":5,"proto":17,"src_ip":"2001:db8::1","src_port":53,'
                        b'"dest_ip":"2001:db8::2","dest_port":5353,"attribution":"port_guess",'
                        b'"process":{"pid":9}}\n')


main()
