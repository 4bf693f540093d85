#!/bin/sh
# test_corpus_quic.sh BUILD_DIR
#
# Every SNI that tshark decrypts from a QUIC Initial in ../shared/corpus
# must appear in exfilmon's flow record of that flow.
#   tshark side: every capture listed in MANIFEST.tsv (all directories:
#     quic/, linktypes/, pcapng/, ...), frames with
#     quic && tls.handshake.extensions_server_name: (client port, server
#     port, QUIC version, SNI).
#   exfilmon side: BUILD_DIR/src/exfilmon -r F --flows - --no-rules; the
#     final record of the UDP flow with those ports must carry the SNI in
#     quic.sni (and quic.version must be the same version).
# Prints one line per SNI and a summary per version; exit 1 on any miss,
# 77 (skip) without ../shared/corpus, tshark or python3.
build=${1:?usage: test_corpus_quic.sh BUILD_DIR}
root=$(cd "$(dirname "$0")/.." && pwd)
corpus="$root/../shared/corpus"
exf="$build/src/exfilmon"
[ -f "$corpus/MANIFEST.tsv" ] || { echo "skip: $corpus absent (no ../shared)"; exit 77; }
command -v tshark >/dev/null 2>&1 || { echo "skip: no tshark"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "skip: no python3"; exit 77; }
[ -x "$exf" ] || { echo "skip: $exf not built"; exit 77; }
exec python3 - "$exf" "$corpus" <<'PYEOF'
import json, subprocess, sys
from concurrent.futures import ThreadPoolExecutor

exf, corpus = sys.argv[1], sys.argv[2]

def vname(v):
    v = int(v, 16)
    if v == 1: return "1"
    if v == 0x6b3343cf: return "2"
    if v >> 8 == 0xff0000: return "draft-%d" % (v & 0xff)
    if v >> 24 in (ord('T'), ord('Q')): return v.to_bytes(4, 'big').decode()
    return "%08x" % v

def tshark(path):
    out = subprocess.run(["tshark", "-n", "-r", path, "-Y",
                          "quic && tls.handshake.extensions_server_name",
                          "-T", "fields", "-E", "separator=|", "-e", "udp.srcport",
                          "-e", "udp.dstport", "-e", "quic.version",
                          "-e", "tls.handshake.extensions_server_name"],
                         capture_output=True, text=True).stdout
    want = set()
    for line in out.splitlines():
        sp, dp, ver, sni = line.split("|")
        for s in sni.split(","):
            want.add((int(sp), int(dp), vname(ver.split(",")[0]), s.lower()))
    return want

def ours(path):
    out = subprocess.run([exf, "-r", path, "--flows", "-", "-q", "--alerts", "/dev/null",
                          "--no-rules"], capture_output=True, text=True).stdout
    flows = {}
    for line in out.splitlines():
        r = json.loads(line)
        if r.get("proto") != "UDP" or r["flow"].get("interim"):
            continue
        flows[(r["src_port"], r["dest_port"])] = r
    return flows

files = []
for line in open(corpus + "/MANIFEST.tsv"):
    f = line.split("\t")[0]
    if f != "file":
        files.append(f)
files.sort()
with ThreadPoolExecutor(max_workers=2) as pool:      # 2 cores shared: tshark dominates
    wanted = list(pool.map(lambda f: tshark(corpus + "/" + f), files))
found = matched = 0
per_ver = {}
misses = []
for f, want in zip(files, wanted):
    if not want:
        continue
    flows = ours(corpus + "/" + f)
    for sp, dp, ver, sni in sorted(want):
        found += 1
        st = per_ver.setdefault(ver, [0, 0])
        st[0] += 1
        r = flows.get((sp, dp)) or flows.get((dp, sp)) or {}
        q = r.get("quic", {})
        ok = q.get("sni", "").lower() == sni and q.get("version") == ver
        dn = r.get("dest_name", {})
        label = dn.get("name") and "named %s" % dn.get("source") or "unnamed (%s)" % dn.get("reason")
        print("%-4s %-52s %5d>%-5d v%-8s %-32s %s" % ("ok" if ok else "MISS", f, sp, dp, ver,
                                                    sni, label))
        if ok:
            matched += 1
            st[1] += 1
        else:
            misses.append((f, sni, q))
print("QUIC SNIs: tshark %d, exfilmon %d; per version: %s" % (
    found, matched, ", ".join("v%s %d/%d" % (v, s[1], s[0]) for v, s in sorted(per_ver.items()))))
for m in misses:
    print("missed:", m)
sys.exit(1 if misses or found == 0 else 0)
PYEOF
