#!/bin/bash
# tests/live/signals.sh - the live daemon under signals, as root, across a
# veth pair between two network namespaces (addresses exist only inside
# them).  Usage: signals.sh EXFILMON PROM_CHECK
#
#   1. exfilmon -c test.conf -i xmva runs in namespace xmA; a TCP sink
#      listens in xmB; five uploads of known size go from A to B;
#   2. SIGHUP with a broken rule file: the daemon keeps running, the error
#      names rules file:line:col; SIGHUP with a broken config file: same,
#      naming the config file;
#   3. logrotate: flows.json is renamed, SIGHUP, three more uploads: they
#      land in the new flows.json;
#   4. /metrics (curl) parses as Prometheus text;
#   5. SIGTERM: exit status 0, and every connection made appears in the
#      flow files with bytes_toserver = payload + IP/TCP headers exactly.
# Further arguments go to exfilmon (e.g. --threads 0).
# Exit 77 (skipped) when not root, without `ip netns`, or when this build
# has no live mode yet.
set -u
EXFILMON=${1:?usage: signals.sh EXFILMON PROM_CHECK}
PROM_CHECK=${2:?usage: signals.sh EXFILMON PROM_CHECK}
shift 2
NSA=xmA$$ NSB=xmB$$
PORT=18080 HTTP=127.0.0.1:19464
DIR=$(mktemp -d /tmp/xm_live_signals.XXXXXX)
HERE=$(cd "$(dirname "$0")" && pwd)
XPID= SPID=
FAILS=0
. "$HERE/lib.sh"

live_require curl python3

trap live_cleanup EXIT

live_pair "$NSA" "$NSB" xmva xmvb 10.99.0.1 10.99.0.2
# --- the uploader: N connections of SIZE bytes; prints "sport size" ------
cat > "$DIR/upload.py" <<'PY'
import socket, sys
n, size, port = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
for i in range(n):
    c = socket.create_connection(("10.99.0.2", port))
    c.sendall(b"x" * (size + i)); print(c.getsockname()[1], size + i)
    c.shutdown(socket.SHUT_WR); c.recv(1); c.close()
PY
ip netns exec "$NSB" python3 "$HERE/sink.py" 10.99.0.2 $PORT $((PORT + 100)) "$DIR/sink.log" &
SPID=$!; disown $SPID

cat > "$DIR/good.rules" <<'R'
rule 900001 "Test: one flow uploaded over 10 KB" {
    scope     flow
    when      flow.bytes_out > 10KB
    severity  low
}
R
cp "$DIR/good.rules" "$DIR/test.rules"
cat > "$DIR/test.conf" <<C
home_net = 10.99.0.1/32
outputs { alerts = "alerts.json"; alert_mode = alerts; flows = "flows.json" }
rules = "test.rules"
timeouts { tcp_closed = 1s; tcp_new = 5s }
http = "$HTTP"
C
cp "$DIR/test.conf" "$DIR/good.conf"

ip netns exec "$NSA" "$EXFILMON" -q -c "$DIR/test.conf" -i xmva "$@" 2>"$DIR/err.txt" & XPID=$!
live_wait_http "$NSA" "http://$HTTP/healthz" $XPID
if ! kill -0 $XPID 2>/dev/null; then
    grep -Eq "not wired yet|not supported yet" "$DIR/err.txt" &&
        skip "this build has no live mode or config file support yet"
    cat "$DIR/err.txt"; fail "exfilmon did not start"; exit 1
fi
ok "daemon up"

# 1. five uploads
ip netns exec "$NSA" python3 "$DIR/upload.py" 5 20000 $PORT > "$DIR/phase1.txt" || fail "uploads 1"
sleep 0.5

# 2. SIGHUP with a broken rule file, then with a broken config file
printf 'rule 900001 "broken" {\n    scope flow\n    when flow.bytes_out > \n}\n' > "$DIR/test.rules"
kill -HUP $XPID; sleep 1
kill -0 $XPID 2>/dev/null && ok "alive after a broken rule file" || fail "died on a broken rule file"
grep -Eq "test\.rules:[0-9]+:[0-9]+" "$DIR/err.txt" \
    && ok "rule error names file:line:col" || fail "no file:line:col for the broken rule file"
cp "$DIR/good.rules" "$DIR/test.rules"
echo 'limits { max_flows = 5 }' >> "$DIR/test.conf"
kill -HUP $XPID; sleep 1
kill -0 $XPID 2>/dev/null && ok "alive after a broken config" || fail "died on a broken config"
grep -Fq "test.conf:6:22: error: max_flows must be a whole number" "$DIR/err.txt" \
    && ok "config error names file:line:col" || fail "no file:line:col for the broken config"
cp "$DIR/good.conf" "$DIR/test.conf"

# 3. logrotate, SIGHUP, three more uploads
sleep 1.5                                   # phase-1 flows closed (tcp_closed 1 s)
mv "$DIR/flows.json" "$DIR/flows.json.1"
kill -HUP $XPID; sleep 1
ip netns exec "$NSA" python3 "$DIR/upload.py" 3 30000 $PORT > "$DIR/phase2.txt" || fail "uploads 2"

# 4. /metrics
ip netns exec "$NSA" curl -sf "http://$HTTP/metrics" > "$DIR/metrics.txt" || fail "GET /metrics"
if "$PROM_CHECK" < "$DIR/metrics.txt"; then ok "/metrics parses"; else fail "/metrics is not valid Prometheus text"; fi
grep -q '^exfilmon_capture_kernel_drops_total ' "$DIR/metrics.txt" || fail "no capture drop counter"
ip netns exec "$NSA" curl -sf "http://$HTTP/alerts" > "$DIR/recent.json" || fail "GET /alerts"

# 5. SIGTERM: exit 0, no flow lost
kill -TERM $XPID; wait $XPID; rc=$?; XPID=
[ $rc = 0 ] && ok "exit 0 on SIGTERM" || fail "exit status $rc on SIGTERM"

python3 - "$DIR" <<'PY' || FAILS=$((FAILS + 1))
import json, sys, os
d = sys.argv[1]
def flows(name):
    out = {}
    p = os.path.join(d, name)
    for line in open(p) if os.path.exists(p) else []:
        r = json.loads(line)
        if r.get("event_type") == "flow" and r.get("dest_port") == 18080:
            out.setdefault(r["src_port"], []).append(r)
    return out
old, new = flows("flows.json.1"), flows("flows.json")
def sent(name):
    return [tuple(map(int, l.split())) for l in open(os.path.join(d, name))]
bad = 0
for phase, where in (("phase1.txt", None), ("phase2.txt", new)):
    for sport, size in sent(phase):
        recs = (where if where is not None else {**old, **new}).get(sport, [])
        final = [r for r in recs if not r["flow"].get("interim")]
        if len(final) != 1:
            print("FAIL: connection from port %d: %d final records in %s" %
                  (sport, len(final), "flows.json" if where is not None else "either file"))
            bad += 1; continue
        f = final[0]["flow"]
        # SYN: 20 IP + 40 TCP; every later packet: 20 IP + 32 TCP (timestamps)
        want = size + 60 + 52 * (f["pkts_toserver"] - 1)
        if f["bytes_toserver"] != want:
            print("FAIL: port %d: bytes_toserver %d, expected %d" % (sport, f["bytes_toserver"], want))
            bad += 1
# /alerts (fetched before SIGTERM): the phase-1 uploads alerted, and every
# alert it lists is also in alerts.json
recent = json.load(open(os.path.join(d, "recent.json")))
written = [json.loads(l) for l in open(os.path.join(d, "alerts.json"))]
ids = {(a["flow_id"], a["alert"]["signature_id"]) for a in written}
if len(recent) < 5 or any(a["alert"]["signature_id"] != 900001 for a in recent):
    print("FAIL: /alerts lists %d alerts, expected >= 5 of rule 900001" % len(recent)); bad += 1
if any((a["flow_id"], a["alert"]["signature_id"]) not in ids for a in recent):
    print("FAIL: /alerts lists an alert missing from alerts.json"); bad += 1
print("ok: every connection has its flow record, bytes exact; /alerts consistent" if not bad else "")
sys.exit(1 if bad else 0)
PY
[ "$FAILS" = 0 ] || { echo "--- exfilmon stderr:"; cat "$DIR/err.txt"; }
echo "$FAILS failures"
[ "$FAILS" = 0 ]
