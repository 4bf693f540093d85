#!/bin/bash
# tests/live/fanout.sh - `--workers 2` live: two capture handles in one
# PACKET_FANOUT group on a veth pair between two network namespaces.
#
#   four local hosts (10.98.0.1-4 in namespace A) each send UDP datagrams
#   of known sizes over 40 flows to a sink in namespace B; after SIGTERM,
#   every host's IP-layer bytes and packets out in the flow records equal
#   what was sent (sizes + 28 per datagram), both handles received
#   packets (the fanout really split the traffic), and the run reports
#   its kernel drops.  No timing is checked.
# Usage: fanout.sh EXFILMON [more exfilmon flags].  Exit 77 (skipped) when
# not root or without `ip netns` / veth.
set -u
EXFILMON=${1:?usage: fanout.sh EXFILMON [flags]}
shift
NSA=xmfA$$ NSB=xmfB$$
DIR=$(mktemp -d /tmp/xm_live_fanout.XXXXXX)
HERE=$(cd "$(dirname "$0")" && pwd)
XPID= SPID=
FAILS=0
. "$HERE/lib.sh"

live_require python3

trap live_cleanup EXIT

live_pair "$NSA" "$NSB" xmfa xmfb 10.98.0.1 10.98.0.100
for h in 2 3 4; do ip -n "$NSA" addr add 10.98.0.$h/24 dev xmfa; done

cat > "$DIR/sink.py" <<'PY'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.98.0.100", 9999))
while True:
    s.recv(65536)
PY
# 4 hosts x 10 flows x 60 datagrams, sizes 1..1400 from a fixed formula;
# prints "host bytes packets" (IP layer: payload + 8 UDP + 20 IPv4).
cat > "$DIR/gen.py" <<'PY'
import socket, time
tot = {}
for h in range(1, 5):
    for j in range(10):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("10.98.0.%d" % h, 0))
        for k in range(60):
            n = 1 + (h * 7919 + j * 104729 + k * 1299709) % 1400
            s.sendto(b"x" * n, ("10.98.0.100", 9999))
            b, p = tot.get(h, (0, 0))
            tot[h] = (b + n + 28, p + 1)
            if k % 20 == 19:
                time.sleep(0.002)       # a kernel-buffer-friendly pace
        s.close()
for h, (b, p) in sorted(tot.items()):
    print("10.98.0.%d %d %d" % (h, b, p))
PY
ip netns exec "$NSB" python3 "$DIR/sink.py" & SPID=$!; disown $SPID

ip netns exec "$NSA" "$EXFILMON" -q -i xmfa --workers "${WORKERS:-2}" --no-rules --no-process \
    --home-net 10.98.0.0/29 --flows "$DIR/flows.json" --alerts /dev/null "$@" \
    2> "$DIR/err.txt" & XPID=$!
sleep 1.5
kill -0 $XPID 2>/dev/null || { cat "$DIR/err.txt"; fail "exfilmon did not start"; exit 1; }
ok "daemon up with --workers 2"

ip netns exec "$NSA" python3 "$DIR/gen.py" > "$DIR/truth.txt" || fail "generator"
sleep 1
kill -TERM $XPID; wait $XPID; rc=$?; XPID=
[ $rc = 0 ] && ok "exit 0 on SIGTERM" || fail "exit status $rc on SIGTERM"

python3 - "$DIR" <<'PY' || FAILS=$((FAILS + 1))
import json, sys, os
d = sys.argv[1]
got = {}
for line in open(os.path.join(d, "flows.json")):
    r = json.loads(line)
    if r.get("event_type") != "flow" or r.get("dest_port") != 9999:
        continue
    f = r["flow"]
    b, p = got.get(r["src_ip"], (0, 0))
    got[r["src_ip"]] = (b + f["bytes_toserver"], p + f["pkts_toserver"])
bad = 0
for line in open(os.path.join(d, "truth.txt")):
    host, b, p = line.split()
    if got.get(host) != (int(b), int(p)):
        print("FAIL: %s: records say %s (bytes, packets), sent %s %s" % (host, got.get(host), b, p))
        bad += 1
if not bad:
    print("ok: per-host bytes and packets out exact for 4 hosts")
sys.exit(1 if bad else 0)
PY
line=$(grep -o 'capture: [0-9]* received.*' "$DIR/err.txt" | tail -1)
echo "$line"
case "$line" in
*"per handle: 0,"*|*", 0)"*) fail "one handle received nothing: the fanout did not split" ;;
*"per handle: "*) ok "both handles received packets" ;;
*) fail "no per-handle capture line" ;;
esac
echo "$line" | grep -Eq 'received.*, [0-9]+ dropped by the kernel' && ok "kernel drops reported" ||
    fail "no kernel drop figure"
[ "$FAILS" = 0 ] || { echo "--- exfilmon stderr:"; cat "$DIR/err.txt"; }
echo "$FAILS failures"
[ "$FAILS" = 0 ]
