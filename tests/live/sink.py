#!/usr/bin/env python3
"""sink.py ADDR RAWPORT HTTPPORT LOG - receivers for the live tests (tests/live/*.sh).

RAWPORT reads each connection to EOF; HTTPPORT answers one PUT/POST per
connection with 200 after reading Content-Length bytes (curl -T sends
"Expect: 100-continue" first, which gets "100 Continue").  Each finished
transfer appends "PORT BYTES" to LOG; "ready" is written first.
"""
import socket
import sys
import threading

ADDR, RAW, HTTP, LOG = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
lock = threading.Lock()


def log(line):
    with lock, open(LOG, "a") as f:
        f.write(line + "\n")


def raw_conn(c):
    n = 0
    while True:
        b = c.recv(65536)
        if not b:
            break
        n += len(b)
    c.close()
    log("%d %d" % (RAW, n))


def http_conn(c):
    data = b""
    while b"\r\n\r\n" not in data:
        b = c.recv(65536)
        if not b:
            c.close()
            return
        data += b
    head, body = data.split(b"\r\n\r\n", 1)
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v.strip())
        if k.strip().lower() == b"expect":
            c.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
    n = len(body)
    while n < length:
        b = c.recv(65536)
        if not b:
            break
        n += len(b)
    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    c.close()
    log("%d %d" % (HTTP, n))


def listener(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((ADDR, port))
    s.listen(16)
    return s


def serve(s, handler):
    while True:
        c, _ = s.accept()
        threading.Thread(target=handler, args=(c,), daemon=True).start()


threading.Thread(target=serve, args=(listener(RAW), raw_conn), daemon=True).start()
threading.Thread(target=serve, args=(listener(HTTP), http_conn), daemon=True).start()
log("ready")
threading.Event().wait()
