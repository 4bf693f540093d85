#!/usr/bin/env python3
"""check_alerts.py ALERTS SID PORT:PID:NAME:EXE... [--absent PORT...] -
verdict for netns_alerts.sh.

For each uploader (identified by its server port) exactly one alert of
rule SID to that port must exist, and its `process` object must carry the
given pid, name and exe, with attribution exact, cached_inode or bpf (live) or
exact (replay reports the ledger's).  Ports after --absent must have no
alert of rule SID.  Prints one line per check; exit 0 pass, 1 fail.
"""
import json
import sys


def main():
    path, sid = sys.argv[1], int(sys.argv[2])
    args = sys.argv[3:]
    absent = []
    if '--absent' in args:
        i = args.index('--absent')
        absent = [int(x) for x in args[i + 1:]]
        args = args[:i]
    alerts = []
    with open(path) as f:
        for line in f:
            if line.strip():
                a = json.loads(line)
                if a.get('alert', {}).get('signature_id') == sid:
                    alerts.append(a)
    fails = 0

    def check(cond, what):
        nonlocal fails
        print('%s: %s' % ('ok' if cond else 'FAIL', what))
        fails += 0 if cond else 1

    for spec in args:
        port, pid, name, exe = spec.split(':', 3)
        port, pid = int(port), int(pid)
        got = [a for a in alerts if a.get('dest_port') == port]
        check(len(got) == 1, 'one alert %d to :%d (got %d)' % (sid, port, len(got)))
        if not got:
            continue
        p = got[0].get('process', {})
        check(p.get('pid') == pid, ':%d process.pid %s == %d' % (port, p.get('pid'), pid))
        check(p.get('name') == name, ':%d process.name %r == %r' % (port, p.get('name'), name))
        check(p.get('exe') == exe, ':%d process.exe %r == %r' % (port, p.get('exe'), exe))
        check(got[0].get('attribution') in ('exact', 'cached_inode', 'bpf'),
              ':%d attribution %r' % (port, got[0].get('attribution')))
    for port in absent:
        got = [a for a in alerts if a.get('dest_port') == port]
        check(not got, 'no alert %d to :%d (got %d)' % (sid, port, len(got)))
    print('PASS' if fails == 0 else 'FAIL (%d)' % fails)
    return 1 if fails else 0


sys.exit(main())
