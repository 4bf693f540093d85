#!/usr/bin/env python3
"""test_sink_kafka_broker.py SOURCE_ROOT EXFILMON

The --kafka sink against a real Kafka broker: a replay of
pcaps/office_gateway.pcap and pcaps/stealer.pcap with --flows, --alerts
and --kafka BROKERS/TOPIC (a fresh topic, auto-created), read back with
kcat: the same lines as the files, every key the record's local host
(egress.local_ip, else src_ip), one partition per key, and per key the
records in file order.

The broker: XM_KAFKA_BROKERS=host:port when set; else one this test
starts (KRaft, one node, free loopback ports, temp dir) when Apache
Kafka's kafka-server-start.sh and kafka-storage.sh are on the PATH.
Skips (77) with the reason otherwise (Debian 12 packages no Kafka
server), when kcat is missing, or when exfilmon was built without
librdkafka.  librdkafka's mock cluster covers the same ground in every
build with librdkafka (tests/test_sink_kafka.c); `test_sink_kafka --serve`
prints a mock cluster's bootstrap list for XM_KAFKA_BROKERS, to try this
test without a Kafka installation.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, proc, secs=90):
    for _ in range(secs * 10):
        if proc.poll() is not None:
            return False
        try:
            socket.create_connection(('127.0.0.1', port), timeout=0.5).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


class Broker:
    """A one-node KRaft broker in work, or None when Kafka is not installed."""

    def __init__(self, work):
        self.proc, self.work = None, work

    def start(self):
        start = shutil.which('kafka-server-start.sh')
        storage = shutil.which('kafka-storage.sh')
        if not start or not storage:
            return None
        port, cport = free_port(), free_port()
        props = os.path.join(self.work, 'server.properties')
        with open(props, 'w') as f:
            f.write('\n'.join([
                'process.roles=broker,controller', 'node.id=1',
                'controller.quorum.voters=1@127.0.0.1:%d' % cport,
                'listeners=PLAINTEXT://127.0.0.1:%d,CONTROLLER://127.0.0.1:%d' % (port, cport),
                'advertised.listeners=PLAINTEXT://127.0.0.1:%d' % port,
                'controller.listener.names=CONTROLLER',
                'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
                'log.dirs=' + os.path.join(self.work, 'logs'), 'num.partitions=4',
                'offsets.topic.replication.factor=1',
                'transaction.state.log.replication.factor=1',
                'transaction.state.log.min.isr=1', 'auto.create.topics.enable=true', '']))
        uuid = subprocess.run([storage, 'random-uuid'], capture_output=True, text=True,
                              check=True).stdout.strip()
        subprocess.run([storage, 'format', '-t', uuid, '-c', props], check=True,
                       stdout=subprocess.DEVNULL)
        log = open(os.path.join(self.work, 'kafka.log'), 'w')
        self.proc = subprocess.Popen([start, props], stdout=log, stderr=subprocess.STDOUT)
        if not wait_port(port, self.proc):
            raise RuntimeError('kafka-server-start.sh did not listen on %d' % port)
        return '127.0.0.1:%d' % port

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def want_key(r):
    return (r.get('egress') or {}).get('local_ip') or r.get('src_ip') or ''


def lines(path):
    return [l.rstrip('\n') for l in open(path) if l.strip()]


def consume(brokers, topic, want):
    """(partition, key, value) of every message, kcat's order (per partition)."""
    got = []
    for _ in range(30):
        out = subprocess.run(['kcat', '-C', '-b', brokers, '-t', topic, '-o', 'beginning',
                              '-e', '-q', '-f', '%p\t%k\t%s\n'],
                             capture_output=True, text=True, timeout=120).stdout
        got = [tuple(l.split('\t', 2)) for l in out.splitlines() if l.count('\t') >= 2]
        if len(got) >= want:
            break
        time.sleep(1)
    return got


def check(root, exe, brokers, work):
    topic = 'exfilmon-test-%d-%d' % (os.getpid(), int(time.time()))
    fl, al = os.path.join(work, 'f.json'), os.path.join(work, 'a.json')
    p = subprocess.run([exe, '-q', '--alert-mode', 'both',
                        '-r', os.path.join(root, 'pcaps', 'office_gateway.pcap'),
                        '-r', os.path.join(root, 'pcaps', 'stealer.pcap'),
                        '--flows', fl, '--alerts', al, '--kafka', brokers + '/' + topic],
                       capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        return ['exfilmon exit %d: %s' % (p.returncode, p.stderr[-400:])]
    flows, alerts = lines(fl), lines(al)
    got = consume(brokers, topic, len(flows) + len(alerts))
    bad = []
    if sorted(v for _, _, v in got) != sorted(flows + alerts):
        bad.append('%d messages, %d file lines, or they differ' % (len(got), len(flows) + len(alerts)))
    part = {}
    for pn, k, v in got:
        if k != want_key(json.loads(v)):
            bad.append('key %r for a record of %r' % (k, want_key(json.loads(v))))
        if part.setdefault(k, pn) != pn:
            bad.append('key %s in partitions %s and %s' % (k, part[k], pn))
    for k in part:
        for name, src in (('flow', flows), ('alert/incident', alerts)):
            mine = [v for _, kk, v in got if kk == k and
                    (json.loads(v)['event_type'] == 'flow') == (name == 'flow')]
            if mine != [v for v in src if want_key(json.loads(v)) == k]:
                bad.append('%s records of %s out of file order' % (name, k))
    print('%d flow + %d alert/incident lines in files, %d messages in %s, %d keys' %
          (len(flows), len(alerts), len(got), topic, len(part)))
    return bad


def main():
    root, exe = sys.argv[1], sys.argv[2]
    ver = subprocess.run([exe, '--version'], capture_output=True, text=True).stdout
    if 'librdkafka' not in ver:
        print('SKIP: exfilmon built without librdkafka (-Dkafka)')
        return 77
    if not shutil.which('kcat'):
        print('SKIP: kcat not installed (tools/setup.sh)')
        return 77
    work = tempfile.mkdtemp(prefix='xm-kafka-')
    broker = Broker(work)
    try:
        brokers = os.environ.get('XM_KAFKA_BROKERS') or broker.start()
        if not brokers:
            print('SKIP: no Kafka broker: XM_KAFKA_BROKERS unset and kafka-server-start.sh '
                  'not on the PATH (Debian 12 packages no Kafka server; the mock-cluster '
                  'test sink_kafka covers the sink)')
            return 77
        bad = check(root, exe, brokers, work)
    finally:
        broker.stop()
        shutil.rmtree(work, ignore_errors=True)
    for b in bad[:20]:
        print('FAIL', b)
    print('ok' if not bad else '%d problems' % len(bad))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
