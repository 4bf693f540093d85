#!/bin/sh
# crosscheck_tshark.sh BUILD_DIR [FILE...]
#
# Compares exfilmon's per-5-tuple IP-layer byte totals with tshark's.
# For every capture (default: each file in pcaps/, then each file listed in
# ../shared/corpus/MANIFEST.tsv when that corpus exists):
#   tshark side: for each frame, the OUTER IP header's length (IPv4 total
#     length, IPv6 40 + payload length) keyed by the canonical
#     bidirectional 5-tuple; IP reassembly off (-o ip.defragment:FALSE,
#     ipv6 too), TSO length-0 correction on.  Non-first fragments take the
#     ports of their first fragment (same src, dst, proto, id); orphans
#     whose first fragment is absent are reported, not compared.  Frames
#     whose link/IP/TCP/UDP/SCTP headers tshark finds broken (malformed in
#     those layers, or an error-level "bogus length/version" expert item)
#     are left out (exfilmon rejects them as truncated/invalid) and
#     counted; app-layer complaints do not matter.  Ports: TCP, UDP, SCTP.
#     IPv6 jumbograms (RFC 2675) count 40 + the Jumbo Payload Length.
#   exfilmon side: BUILD_DIR/src/exfilmon -r F --flows - -q --alerts
#     /dev/null --no-rules (accounting only); the sum of
#     flow.bytes_toserver + bytes_toclient of every final (non-interim)
#     flow record per 5-tuple.
# Bundled pcaps (and FILEs given on the command line): any mismatch fails
# (exit 1).  malformed.pcap must yield no flow at all (every frame is
# hostile).  Corpus: a summary of files matched / mismatched with reasons;
# it never fails the test.
# Exit 0 ok, 1 mismatch, 77 skip (no tshark/python3/exfilmon).
build=${1:?usage: crosscheck_tshark.sh BUILD_DIR [FILE...]}
shift
root=$(cd "$(dirname "$0")/.." && pwd)
exf="$build/src/exfilmon"
command -v tshark >/dev/null 2>&1 || { echo "skip: no tshark"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "skip: no python3"; exit 77; }
[ -x "$exf" ] || { echo "skip: $exf not built"; exit 77; }
exec python3 - "$exf" "$root" "$@" <<'PYEOF'
import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

EXF, ROOT, FILES = sys.argv[1], sys.argv[2], sys.argv[3:]
FIELDS = ['frame.number', 'frame.protocols', 'ip.src', 'ip.dst', 'ip.len', 'ip.proto',
          'ip.id', 'ip.flags.mf', 'ip.frag_offset', 'ipv6.src', 'ipv6.dst', 'ipv6.plen',
          'ipv6.nxt', 'ipv6.hopopts.nxt', 'ipv6.dstopts.nxt', 'ipv6.routing.nxt',
          'ipv6.fraghdr.nxt', 'ipv6.fraghdr.offset', 'ipv6.fraghdr.more',
          'ipv6.fraghdr.ident', 'ipv6.opt.jumbo', 'tcp.srcport', 'tcp.dstport', 'udp.srcport',
          'udp.dstport', 'sctp.srcport', 'sctp.dstport', '_ws.malformed', '_ws.expert.severity', '_ws.expert.message']
IX = {f: i for i, f in enumerate(FIELDS)}
EXPERT_ERROR = 0x00800000          # PI_ERROR in epan/proto.h
EXT = {'ipv6.hopopts': 'ipv6.hopopts.nxt', 'ipv6.dstopts': 'ipv6.dstopts.nxt',
       'ipv6.routing': 'ipv6.routing.nxt', 'ipv6.fraghdr': 'ipv6.fraghdr.nxt'}
L3L4 = {'eth', 'ethertype', 'vlan', 'ieee8021ad', 'sll', 'null', 'loop', 'raw', 'ip',
        'ipv6', 'ipv6.hopopts', 'ipv6.dstopts', 'ipv6.routing', 'ipv6.fraghdr', 'tcp',
        'udp', 'sctp'}   # ICMP bodies (MLD, errors) are not needed by exfilmon
BAD_MSG = re.compile(r'(?i)bogus (ip|ipv4|ipv6|tcp)|bad udp length|ipv6 header|'
                     r'ip length|header length|total length exceeds packet length')
PROTO_NAMES = {'TCP': 6, 'UDP': 17, 'ICMP': 1, 'IPV6-ICMP': 58, 'ICMPV6': 58,
               'SCTP': 132, 'GRE': 47, 'ESP': 50, 'AH': 51, 'IGMP': 2, 'IPV6': 41,
               'IPIP': 4, 'IPV4': 4}


def key(a, ap, b, bp, proto):
    lo, hi = sorted([(a, ap), (b, bp)])
    return (lo[0], lo[1], hi[0], hi[1], proto)


def vals(row, f):
    v = row[IX[f]]
    return v.split(',') if v else []


def first(row, f, conv=str, default=None):
    v = vals(row, f)
    try:
        return conv(v[0]) if v else default
    except ValueError:
        return default


def ip6_proto(row, toks, start):
    """Final next-header after the outer IPv6 header's extension chain."""
    proto = first(row, 'ipv6.nxt', int)
    seen = {}
    for t in toks[start + 1:]:
        if t not in EXT:
            break
        n = seen.get(t, 0)
        v = vals(row, EXT[t])
        if n < len(v):
            proto = int(v[n])
        seen[t] = n + 1
    return proto


def l3l4_bad(row, toks):
    """Whether tshark found the link, IP or TCP/UDP/ICMP headers broken
    (exfilmon rejects such frames as truncated/invalid).  App-layer
    complaints (TLS, DNS...) do not count.  Expert messages are one field
    with ',' inside, so match on the joined text."""
    if row[IX['_ws.malformed']] and toks[-1] in L3L4:
        return True
    sev = [int(s, 0) for s in vals(row, '_ws.expert.severity') if s]
    return any(s >= EXPERT_ERROR for s in sev) and \
        BAD_MSG.search(row[IX['_ws.expert.message']]) is not None


def tshark_rows(path):
    cmd = ['tshark', '-n', '-r', path, '-o', 'ip.defragment:FALSE', '-o',
           'ipv6.defragment:FALSE', '-o', 'ip.tso_support:TRUE', '-T', 'fields',
           '-E', 'occurrence=a', '-E', 'separator=/t']
    for f in FIELDS:
        cmd += ['-e', f]
    p = subprocess.run(cmd, capture_output=True, text=True)
    rows = [ln.split('\t') for ln in p.stdout.splitlines()]
    return [r + [''] * (len(FIELDS) - len(r)) for r in rows], p.returncode, p.stderr


def tshark_totals(path):
    """Returns (totals, notes) or (None, reason) when tshark cannot read."""
    rows, rc, err = tshark_rows(path)
    if rc != 0 and not rows:
        return None, 'tshark cannot read: ' + (err.strip().splitlines() or ['?'])[-1][:80]
    tot, frags, firsts, notes = {}, {}, {}, {'skipped_bad': 0, 'orphan_frag_bytes': 0}
    for r in rows:
        toks = r[IX['frame.protocols']].split(':')
        i4 = toks.index('ip') if 'ip' in toks else 99
        i6 = toks.index('ipv6') if 'ipv6' in toks else 99
        if i4 == 99 and i6 == 99:
            continue
        if l3l4_bad(r, toks):
            notes['skipped_bad'] += 1
            continue
        if i4 < i6:
            src, dst = first(r, 'ip.src'), first(r, 'ip.dst')
            n, proto = first(r, 'ip.len', int, 0), first(r, 'ip.proto', int)
            off = first(r, 'ip.frag_offset', int, 0)
            mf = first(r, 'ip.flags.mf', lambda x: x in ('1', 'True'), False)
            fid = first(r, 'ip.id', lambda x: int(x, 0))
            frag = off > 0 or mf
        else:
            src, dst = first(r, 'ipv6.src'), first(r, 'ipv6.dst')
            n, proto = 40 + first(r, 'ipv6.plen', int, 0), ip6_proto(r, toks, i6)
            if n == 40 and vals(r, 'ipv6.opt.jumbo'):   # RFC 2675 jumbogram
                n = 40 + first(r, 'ipv6.opt.jumbo', int, 0)
            fh = 'ipv6.fraghdr' in toks[i6:]
            off = first(r, 'ipv6.fraghdr.offset', int, 0) if fh else 0
            fid = first(r, 'ipv6.fraghdr.ident', lambda x: int(x, 0)) if fh else None
            frag = fh
        if src is None or dst is None or proto is None:
            notes['no_ip_fields'] = notes.get('no_ip_fields', 0) + 1
            continue
        sp = dp = 0
        if proto in (6, 17, 132) and off == 0:
            pre = {6: 'tcp', 17: 'udp', 132: 'sctp'}[proto]
            sp, dp = first(r, pre + '.srcport', int, 0), first(r, pre + '.dstport', int, 0)
        if frag:
            g = (src, dst, proto, fid)
            if off == 0:
                firsts[g] = (sp, dp)
            frags.setdefault(g, []).append(n)
            continue
        k = key(src, sp, dst, dp, proto)
        tot[k] = tot.get(k, 0) + n
    for g, ns in frags.items():
        if g not in firsts:
            notes['orphan_frag_bytes'] += sum(ns)
            continue
        k = key(g[0], firsts[g][0], g[1], firsts[g][1], g[2])
        tot[k] = tot.get(k, 0) + sum(ns)
    return tot, notes


def proto_num(p):
    if isinstance(p, int):
        return p
    s = str(p).upper()
    return PROTO_NAMES[s] if s in PROTO_NAMES else int(s) if s.isdigit() else s


def exfilmon_totals(path):
    p = subprocess.run([EXF, '-r', path, '--flows', '-', '-q', '--alerts', '/dev/null',
                        '--no-rules'],
                       capture_output=True, text=True)
    tot = {}
    for ln in p.stdout.splitlines():
        try:
            e = json.loads(ln)
        except ValueError:
            continue
        if e.get('event_type') != 'flow' or e.get('flow', {}).get('interim'):
            continue
        f = e['flow']
        k = key(str(e.get('src_ip')), e.get('src_port', 0), str(e.get('dest_ip')),
                e.get('dest_port', 0), proto_num(e.get('proto')))
        tot[k] = tot.get(k, 0) + f.get('bytes_toserver', 0) + f.get('bytes_toclient', 0)
    return tot, p.returncode, p.stderr.strip().splitlines()[-1:] if p.stderr else []


def compare(path, strict):
    """Returns (ok, reason, report text); ok None = skipped."""
    try:
        return compare1(path, strict)
    except Exception as e:   # report, do not abort the whole run
        return False, 'crosscheck error: %s' % type(e).__name__, [
            'FAIL %s: crosscheck error %r' % (os.path.basename(path), e)]


def compare1(path, strict):
    out = []
    say = out.append    # the report is printed by main(), in file order
    name = os.path.basename(path)
    ex, rc, err = exfilmon_totals(path)
    if name == 'malformed.pcap' and strict:
        ok = not ex
        say('%s %s: exfilmon reports %d flows (expected none)' %
              ('ok  ' if ok else 'FAIL', name, len(ex)))
        return ok, 'hostile', out
    ts, notes = tshark_totals(path)
    if ts is None:
        say('skip %s: %s' % (name, notes))
        return None, notes, out
    bad = []
    for k in sorted(set(ts) | set(ex), key=str):
        a, b = ts.get(k, 0), ex.get(k, 0)
        if a != b:
            bad.append('    %s %s:%s <-> %s:%s  tshark %d  exfilmon %d  (diff %+d)'
                       % (k[4], k[0], k[1], k[2], k[3], a, b, b - a))
    extra = ''.join(', %s %d' % (k, v) for k, v in notes.items() if v)
    if bad:
        say('FAIL %s: %d of %d tuples differ%s%s' % (name, len(bad), len(set(ts) | set(ex)),
                                                        extra, '; exfilmon rc %d' % rc if rc else ''))
        say('\n'.join(bad[:15] + (['    ... %d more' % (len(bad) - 15)] if len(bad) > 15 else [])))
        return False, classify(rc, err, ts, ex), out
    say('ok   %s: %d tuples, %d bytes%s' % (name, len(ts), sum(ts.values()), extra))
    return True, '', out


def classify(rc, err, ts, ex):
    """One-line reason for a mismatch, from exfilmon's exit status and its
    end-of-run statistics line on stderr."""
    if rc:
        return 'exfilmon exit %d: %s' % (rc, ' '.join(err)[:80])
    st = dict((m.group(2), int(m.group(1))) for m in
              re.finditer(r'(\d+) (unsupported link type|truncated|invalid|not IP)', ' '.join(err)))
    if st.get('unsupported link type'):
        return 'link type not decoded by exfilmon'
    diff = [k for k in set(ts) | set(ex) if ts.get(k, 0) != ex.get(k, 0)]
    if st.get('truncated') or st.get('invalid'):
        return 'exfilmon rejected frames as truncated/invalid that tshark counted'
    if all(k not in ex for k in diff):
        return 'tuples missing in exfilmon'
    if all(k not in ts for k in diff):
        return 'tuples only in exfilmon'
    return 'byte totals differ'


def corpus_files():
    base = os.path.join(ROOT, '..', 'shared', 'corpus')
    man = os.path.join(base, 'MANIFEST.tsv')
    if not os.path.isfile(man):
        return []
    out = []
    with open(man) as f:
        for ln in f.read().splitlines()[1:]:
            p = os.path.join(base, ln.split('\t')[0])
            if ln and os.path.isfile(p):
                out.append(p)
    return out


def main():
    if FILES:
        bundled, corpus = FILES, []
    else:
        d = os.path.join(ROOT, 'pcaps')
        bundled = sorted(os.path.join(d, f) for f in os.listdir(d)
                         if f.endswith(('.pcap', '.pcapng')))
        corpus = corpus_files()
    fails = 0
    pool = ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1))
    for ok, _, out in pool.map(lambda p: compare(p, True), bundled):
        print('\n'.join(out), flush=True)
        fails += ok is False
    if corpus:
        print('--- corpus (%d files, informational) ---' % len(corpus))
        res = {'match': 0, 'mismatch': 0, 'skip': 0}
        why = {}
        for p, (ok, reason, out) in zip(corpus, pool.map(lambda p: compare(p, False), corpus)):
            print('\n'.join(out), flush=True)
            res['skip' if ok is None else 'match' if ok else 'mismatch'] += 1
            if ok is False:
                why.setdefault(reason, []).append(os.path.basename(p))
        print('corpus summary: %(match)d matched, %(mismatch)d mismatched, %(skip)d skipped' % res)
        for r, fs in sorted(why.items()):
            print('  %s: %d (%s%s)' % (r, len(fs), ', '.join(fs[:5]), ', ...' if len(fs) > 5 else ''))
    print('bundled: %d files, %d failed' % (len(bundled), fails))
    return 1 if fails else 0


sys.exit(main())
PYEOF
