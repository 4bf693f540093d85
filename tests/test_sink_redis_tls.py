#!/usr/bin/env python3
"""test_sink_redis_tls.py SOURCE_ROOT EXFILMON

--redis rediss://... (lib/rconn.c: RESP over OpenSSL) against a
redis-server this test starts with a TLS port only, its certificate
signed by a throw-away CA that `openssl` makes in a temp dir (EC P-256,
subjectAltName IP:127.0.0.1):
  1. a replay with --redis rediss://127.0.0.1:PORT/0?cacert=CA delivers
     exactly the records the file sinks write (XRANGE over redis-cli
     --tls equals the --flows/--alerts lines of each type, in order);
  2. the same replay with cacert= naming another CA: nothing delivered,
     one error line naming the rediss:// URL and the failed
     verification, every record counted as dropped in the summary;
  3. --site-redis rediss://...: the exchange reaches Redis (the clock
     hash names the sensor); with the other CA one warning names the
     URL's host and the failed verification;
  4. --check: cacert= unreadable, and cacert= without TLS, are refused.
Skips (77) when redis-server, redis-cli or openssl is missing, or when
this redis-server was built without TLS.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_sink_redis import Redis, expected, replay  # noqa: E402


def openssl(work, *args):
    subprocess.run(['openssl'] + list(args), cwd=work, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def make_ca(work, name):
    openssl(work, 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
            '-nodes', '-keyout', name + '.key', '-out', name + '.crt', '-days', '2', '-subj',
            '/CN=exfilmon test ' + name)


def make_server_cert(work):
    make_ca(work, 'ca')
    make_ca(work, 'other')
    openssl(work, 'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
            '-keyout', 'srv.key', '-out', 'srv.csr', '-subj', '/CN=127.0.0.1')
    with open(os.path.join(work, 'ext'), 'w') as f:
        f.write('subjectAltName=IP:127.0.0.1\n')
    openssl(work, 'x509', '-req', '-in', 'srv.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key',
            '-CAcreateserial', '-out', 'srv.crt', '-days', '2', '-extfile', 'ext')


class TlsRedis(Redis):
    def start(self):
        w = self.dir
        r = subprocess.run(['redis-server', '--port', '0', '--tls-port', str(self.port),
                            '--bind', '127.0.0.1', '--tls-cert-file', os.path.join(w, 'srv.crt'),
                            '--tls-key-file', os.path.join(w, 'srv.key'),
                            '--tls-ca-cert-file', os.path.join(w, 'ca.crt'),
                            '--tls-auth-clients', 'no', '--save', '', '--appendonly', 'no',
                            '--dir', w, '--daemonize', 'yes',
                            '--logfile', os.path.join(w, 'r.log'),
                            '--pidfile', os.path.join(w, 'r.pid')])
        if r.returncode != 0:
            return False
        for _ in range(100):
            if self.cli('PING').strip() == 'PONG':
                return True
            time.sleep(0.05)
        return False

    def cli(self, *args):
        return subprocess.run(['redis-cli', '--tls', '--cacert', os.path.join(self.dir, 'ca.crt'),
                               '-p', str(self.port)] + list(args),
                              capture_output=True, text=True).stdout

    def stream(self, name):
        out = self.cli('--no-raw', 'XRANGE', name, '-', '+')
        import json
        vals, lines = [], out.splitlines()
        for i, l in enumerate(lines):
            if l.strip().endswith('"eve"') and i + 1 < len(lines):
                vals.append(json.loads(json.loads(lines[i + 1].split(') ', 1)[1])))
        return vals


def check(exe, url):
    r = subprocess.run([exe, '--check', '--alerts', '-', '--redis', url], capture_output=True,
                       text=True)
    return r.returncode, r.stderr


def main():
    root, exe = sys.argv[1], sys.argv[2]
    for tool in ('redis-server', 'redis-cli', 'openssl'):
        if not shutil.which(tool):
            print('SKIP: %s not installed (tools/setup.sh)' % tool)
            return 77
    work = tempfile.mkdtemp(prefix='xm-rediss-')
    fails = 0
    rd = TlsRedis(work)
    try:
        make_server_cert(work)
        if not rd.start():
            print('SKIP: redis-server did not start with --tls-port (built without TLS?)')
            return 77
        subprocess.run([sys.executable, os.path.join(root, 'tools', 'gen_incident_scenarios.py'),
                        work, '--only', 'dns_tunnel'], check=True, stdout=subprocess.DEVNULL)
        pcap = os.path.join(work, 'incident_dns_tunnel.pcap')
        url = 'rediss://127.0.0.1:%d/0?maxlen=10000000&cacert=%s' % (rd.port,
                                                                     os.path.join(work, 'ca.crt'))
        p = replay(exe, pcap, work, url)
        _, err = p.communicate()
        exp, bad = expected(work), []
        for t, recs in sorted(exp.items()):
            got = rd.stream('exfilmon:' + t)
            if got != recs:
                bad.append('%s: %d in redis, %d in files' % (t, len(got), len(recs)))
        counts = ', '.join('%s %d' % (t, len(r)) for t, r in sorted(exp.items()))
        ok = p.returncode == 0 and not bad
        print('%s rediss:// with cacert=: records equal the files\' (%s)%s' %
              ('ok  ' if ok else 'FAIL', counts, '' if ok else ': ' + '; '.join(bad) + err[-300:]))
        fails += not ok

        for t in exp:
            rd.cli('DEL', 'exfilmon:' + t)
        wrong = url.replace('ca.crt', 'other.crt')
        p = replay(exe, pcap, work, wrong)
        _, err = p.communicate()
        total = sum(len(v) for v in exp.values())
        got = sum(int(rd.cli('XLEN', 'exfilmon:' + t).strip() or 0) for t in exp)
        line = [l for l in err.splitlines() if 'write failed' in l]
        summ = re.findall(r': (\d+) records, (\d+) delivered, (\d+) dropped', err)
        ok = (got == 0 and len(line) == 1 and
              'rediss://127.0.0.1:%d/0: write failed: TLS: certificate verify failed' % rd.port
              in line[0] and summ and int(summ[-1][2]) == total)
        print('%s wrong CA: %d delivered, summary %s, error line: %s' %
              ('ok  ' if ok else 'FAIL', got, summ[-1] if summ else None,
               line[0].split('error: ', 1)[-1] if line else err[-300:]))
        fails += not ok

        # --site-redis over TLS: the exchange reaches Redis (the clock hash
        # names this sensor) and no outage is logged
        surl = 'rediss://127.0.0.1:%d/0?prefix=tls&cacert=%s' % (rd.port,
                                                                 os.path.join(work, 'ca.crt'))
        r = subprocess.run([exe, '-q', '--home-net', '10.0.0.0/8', '-r', pcap, '--alerts',
                            os.path.join(work, 'sa.json'), '--sensor', 'tls1', '--site-redis',
                            surl], capture_output=True, text=True)
        clocks = rd.cli('HGETALL', 'tls:clock')
        ok = r.returncode == 0 and 'tls1' in clocks and 'working on local state' not in r.stderr
        print('%s --site-redis rediss://: clock hash %s, outage lines %d' %
              ('ok  ' if ok else 'FAIL', clocks.split(), r.stderr.count('working on local')))
        fails += not ok
        r = subprocess.run([exe, '-q', '--home-net', '10.0.0.0/8', '-r', pcap, '--alerts',
                            os.path.join(work, 'sa.json'), '--sensor', 'tls2', '--site-redis',
                            surl.replace('ca.crt', 'other.crt')], capture_output=True, text=True)
        ok = r.returncode == 0 and ('--site-redis rediss://127.0.0.1:%d: TLS: certificate verify '
                                    'failed' % rd.port) in r.stderr
        print('%s --site-redis, wrong CA: %s' % ('ok  ' if ok else 'FAIL',
              [l.split('warning: ', 1)[-1] for l in r.stderr.splitlines() if 'TLS' in l][:1]))
        fails += not ok

        rc1, e1 = check(exe, 'rediss://127.0.0.1:1?cacert=%s/nonexistent.pem' % work)
        rc2, e2 = check(exe, 'redis://127.0.0.1:1?cacert=%s' % os.path.join(work, 'ca.crt'))
        rc3, _ = check(exe, url)
        ok = (rc1 == 2 and 'nonexistent.pem: No such file' in e1 and rc2 == 2 and
              'need rediss:// or tls=1' in e2 and rc3 == 0)
        print('%s --check: unreadable cacert (exit %d), cacert without TLS (exit %d), good '
              'rediss:// URL (exit %d)' % ('ok  ' if ok else 'FAIL', rc1, rc2, rc3))
        fails += not ok
    finally:
        rd.cli('SHUTDOWN', 'NOSAVE')
        shutil.rmtree(work, ignore_errors=True)
    return 1 if fails else 0


if __name__ == '__main__':
    sys.exit(main())
