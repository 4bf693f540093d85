#!/bin/bash
# tests/live/suppress_reload.sh - the suppression list in the live daemon,
# as root, across a veth pair between two network namespaces.
# Usage: suppress_reload.sh EXFILMON
#
#   1. a rule fires on every upload; suppress.conf holds it back for the
#      sink's address: no alert is written, /metrics counts every hit
#      (exfilmon_alerts_suppressed_total and the entry's line);
#   2. SIGHUP with a broken suppress.conf: the daemon keeps the old list,
#      stderr names suppress.conf:line:col and shows the line;
#   3. SIGHUP with an entry that expired (packet time): the uploads alert;
#   4. SIGTERM: the summary line counts the suppressed alerts.
# Exit 77 (skipped) when not root or without `ip netns`.
set -u
EXFILMON=${1:?usage: suppress_reload.sh EXFILMON}
NSA=xmSA$$ NSB=xmSB$$
PORT=18081 HTTP=127.0.0.1:19465
DIR=$(mktemp -d /tmp/xm_live_suppress.XXXXXX)
HERE=$(cd "$(dirname "$0")" && pwd)
XPID= SPID=
FAILS=0
. "$HERE/lib.sh"

live_require curl python3

trap live_cleanup EXIT

live_pair "$NSA" "$NSB" xmsa xmsb 10.98.0.1 10.98.0.2
cat > "$DIR/upload.py" <<'PY'
import socket, sys
n, port = int(sys.argv[1]), int(sys.argv[2])
for i in range(n):
    c = socket.create_connection(("10.98.0.2", port))
    c.sendall(b"x" * 20000); c.shutdown(socket.SHUT_WR); c.recv(1); c.close()
PY
ip netns exec "$NSB" python3 "$HERE/sink.py" 10.98.0.2 $PORT $((PORT + 100)) "$DIR/sink.log" &
SPID=$!; disown $SPID

cat > "$DIR/test.rules" <<'R'
rule 900101 "Test: one flow uploaded over 10 KB" {
    scope     flow
    when      flow.bytes_out > 10KB
    severity  low
}
R
printf '# test list\nsuppress sig 900101 dst 10.98.0.0/24\n' > "$DIR/suppress.conf"
cat > "$DIR/test.conf" <<C
home_net = 10.98.0.1/32
outputs { alerts = "alerts.json"; alert_mode = alerts }
rules = "test.rules"
suppress = "suppress.conf"
timeouts { tcp_closed = 1s; tcp_new = 5s }
http = "$HTTP"
C
metric() {   # metric NAME_WITH_LABELS -> value
    ip netns exec "$NSA" curl -sf "http://$HTTP/metrics" | awk -v m="$1" '$1 == m {print $2}'
}

"$EXFILMON" --check -c "$DIR/test.conf" > "$DIR/check.txt" 2>&1 \
    && grep -q "suppression list .*suppress.conf: 1 entries" "$DIR/check.txt" \
    && ok "--check loads the list" || { cat "$DIR/check.txt"; fail "--check"; }

ip netns exec "$NSA" "$EXFILMON" -c "$DIR/test.conf" -i xmsa 2>"$DIR/err.txt" & XPID=$!
live_wait_http "$NSA" "http://$HTTP/healthz" $XPID
kill -0 $XPID 2>/dev/null || { cat "$DIR/err.txt"; fail "exfilmon did not start"; exit 1; }

# 1. suppressed, but counted
ip netns exec "$NSA" python3 "$DIR/upload.py" 4 $PORT || fail "uploads 1"
sleep 2.5
n=$(metric exfilmon_alerts_suppressed_total)
[ "$n" = 4 ] && ok "4 alerts suppressed, counted" || fail "alerts_suppressed_total = '$n', expected 4"
n=$(metric 'exfilmon_suppress_hits_total{line="2"}')
[ "$n" = 4 ] && ok "entry on line 2 has 4 hits" || fail "suppress_hits_total{line=2} = '$n'"
[ ! -s "$DIR/alerts.json" ] && ok "no alert written" || fail "alerts written despite the list"

# 2. a broken list on SIGHUP: old list kept, error names file:line:col
printf 'suppress sig 900101\nsuppress dst 10.98.0.0/99\n' > "$DIR/suppress.conf"
kill -HUP $XPID; sleep 1
kill -0 $XPID 2>/dev/null && ok "alive after a broken list" || fail "died on a broken list"
grep -Fq "suppress.conf:2:24: error: prefix length out of range" "$DIR/err.txt" &&
    grep -Fq "    suppress dst 10.98.0.0/99" "$DIR/err.txt" \
    && ok "list error names file:line:col and shows the line" || fail "no file:line:col"
ip netns exec "$NSA" python3 "$DIR/upload.py" 1 $PORT || fail "uploads 2"
sleep 2.5
n=$(metric exfilmon_alerts_suppressed_total)
[ "$n" = 5 ] && ok "old list still applied" || fail "suppressed = '$n', expected 5"

# 3. the entry expired (packet time is now, 2020 is past): alerts flow
printf 'suppress sig 900101 expires 2020-01-01\n' > "$DIR/suppress.conf"
kill -HUP $XPID; sleep 1
ip netns exec "$NSA" python3 "$DIR/upload.py" 2 $PORT || fail "uploads 3"
sleep 2.5
n=$(grep -c '"signature_id":900101' "$DIR/alerts.json" 2>/dev/null)
[ "$n" = 2 ] && ok "expired entry: 2 alerts written" || fail "$n alerts after expiry, expected 2"
n=$(metric 'exfilmon_suppress_hits_total{line="1"}')
[ "$n" = 0 ] && ok "reloaded list's hits start at 0" || fail "hits of the new entry = '$n'"

# 4. SIGTERM: summary counts the suppressed alerts
kill -TERM $XPID; wait $XPID; rc=$?; XPID=
[ $rc = 0 ] || fail "exit status $rc"
grep -Eq "; 2 alerts \(5 more suppressed by .*suppress.conf\)" "$DIR/err.txt" \
    && ok "summary counts 5 suppressed" || fail "summary without the suppressed count"
[ "$FAILS" = 0 ] || { echo "--- exfilmon stderr:"; cat "$DIR/err.txt"; }
echo "$FAILS failures"
[ "$FAILS" = 0 ]
