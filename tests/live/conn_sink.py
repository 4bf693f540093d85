#!/usr/bin/env python3
"""conn_sink.py ADDR PORT LOG - receiver for bpf_uploaders.sh.

Reads every connection to EOF and appends "PEER_PORT BYTES" to LOG per
finished connection; "ready" is written first.
"""
import socket
import sys
import threading

ADDR, PORT, LOG = sys.argv[1], int(sys.argv[2]), sys.argv[3]
lock = threading.Lock()


def log(line):
    with lock, open(LOG, "a") as f:
        f.write(line + "\n")


def conn(c, peer):
    n = 0
    while True:
        b = c.recv(65536)
        if not b:
            break
        n += len(b)
    c.close()
    log("%d %d" % (peer[1], n))


srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((ADDR, PORT))
srv.listen(64)
log("ready")
while True:
    c, peer = srv.accept()
    threading.Thread(target=conn, args=(c, peer), daemon=True).start()
