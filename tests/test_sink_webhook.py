#!/usr/bin/env python3
"""test_sink_webhook.py SOURCE_ROOT EXFILMON

The --webhook sink against a receiver this test starts (a python3
http.server subclass on a free loopback port):
  1. receiver down when the replay starts, started once exfilmon logged
     the failed post: exfilmon retries (with backoff) and the receiver gets every
     incident record of --alerts exactly once, in order, as the JSON body;
  2. receiver answering 503 to its first three posts: retried, each
     incident once;
  3. --webhook-format slack: one {"text": ...} body per incident naming
     its id and state;
  4. --alert-mode both: the webhook gets incidents only, no alert records.
"""
import http.server
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Receiver(http.server.ThreadingHTTPServer):
    def __init__(self, port, fail_first=0):
        self.bodies, self.fail_left, self.posts = [], fail_first, 0
        super().__init__(('127.0.0.1', port), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get('Content-Length', 0))
        body = self.rfile.read(n)
        srv = self.server
        srv.posts += 1
        if srv.fail_left > 0:
            srv.fail_left -= 1
            self.send_response(503)
        else:
            srv.bodies.append(json.loads(body))
            self.send_response(200)
        self.send_header('Content-Length', '0')
        self.end_headers()

    def log_message(self, *a):
        pass


def run(exe, pcap, work, port, mode='incidents', extra=()):
    alerts = os.path.join(work, 'a.json')
    if os.path.exists(alerts):
        os.unlink(alerts)
    args = [exe, '-q', '--home-net', '10.0.0.0/8', '--alert-mode', mode, '-r', pcap,
            '--alerts', alerts, '--webhook', 'http://127.0.0.1:%d/hook' % port,
            '--webhook-rate', '6000'] + list(extra)
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def incidents(work):
    recs = [json.loads(l) for l in open(os.path.join(work, 'a.json')) if l.strip()]
    return [r for r in recs if r.get('event_type') == 'incident']


def case_down_first(exe, pcap, work):
    port = free_port()
    p = run(exe, pcap, work, port)
    err = ''
    while 'write failed' not in err:     # the first post failed: start the receiver
        line = p.stderr.readline()
        if not line:
            break
        err += line
    srv = Receiver(port)
    _, rest = p.communicate()
    srv.shutdown()
    exp = incidents(work)
    failed = 'write failed' in err
    ok = p.returncode == 0 and srv.bodies == exp and len(exp) > 0 and failed
    return ok, 'receiver down at start: %d incidents in --alerts, %d received after ' \
               'a failed post (%s) and retries' % (len(exp), len(srv.bodies), failed)


def case_503(exe, pcap, work):
    port = free_port()
    srv = Receiver(port, fail_first=3)
    p = run(exe, pcap, work, port)
    p.communicate()
    srv.shutdown()
    exp = incidents(work)
    ok = p.returncode == 0 and srv.bodies == exp and srv.posts == len(exp) + 3
    return ok, 'three 503 answers: %d incidents, %d received, %d posts' % (
        len(exp), len(srv.bodies), srv.posts)


def case_slack(exe, pcap, work):
    port = free_port()
    srv = Receiver(port)
    p = run(exe, pcap, work, port, extra=['--webhook-format', 'slack'])
    p.communicate()
    srv.shutdown()
    exp = incidents(work)
    want = ['exfilmon incident #%d %s' % (r['incident']['id'], r['incident']['state'])
            for r in exp]
    got = [b.get('text', '') for b in srv.bodies]
    ok = len(got) == len(want) and all(g.startswith(w) for g, w in zip(got, want)) and \
        all(list(b) == ['text'] for b in srv.bodies)
    return ok, 'slack: %d incidents, %d {"text"} bodies, first %r' % (
        len(exp), len(got), got[0] if got else None)


def case_both(exe, pcap, work):
    port = free_port()
    srv = Receiver(port)
    p = run(exe, pcap, work, port, mode='both')
    p.communicate()
    srv.shutdown()
    exp = incidents(work)
    ok = srv.bodies == exp
    return ok, '--alert-mode both: %d incidents, %d received (alerts not posted)' % (
        len(exp), len(srv.bodies))


def main():
    root, exe = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix='xm-hook-')
    subprocess.run([sys.executable, os.path.join(root, 'tools', 'gen_incident_scenarios.py'),
                    work, '--only', 'dns_tunnel'], check=True,
                   stdout=subprocess.DEVNULL)
    pcap = os.path.join(work, 'incident_dns_tunnel.pcap')
    fails = 0
    for case in (case_down_first, case_503, case_slack, case_both):
        ok, msg = case(exe, pcap, work)
        print(('ok   ' if ok else 'FAIL ') + msg)
        fails += not ok
    subprocess.run(['rm', '-rf', work])
    return 1 if fails else 0


if __name__ == '__main__':
    sys.exit(main())
