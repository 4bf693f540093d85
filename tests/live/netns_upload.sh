#!/bin/bash
# netns_upload.sh - live end-to-end proof of per-process attribution.
#
# Usage: tests/live/netns_upload.sh EXFILMON [WORKDIR]
#
# Two network namespaces joined by a veth pair (addresses only inside
# them).  exfilmon runs live on the uploader side's veth end, in the
# uploaders' namespace (sock_diag only sees its own namespace).  A python3
# uploader (exits right after sending) and curl each send a known number
# of bytes to sinks in the other namespace.  After SIGTERM the flow
# records must name each uploader's pid, command and executable, and
# bytes_toserver must equal the IP-layer bytes in a dumpcap capture of the
# same traffic.  Then the capture is replayed with the ledger exfilmon
# wrote (--record-processes / --processes): the same processes must be
# named without asking the kernel.  Exit 0 pass, 1 fail, 77 skip (not root, tools missing,
# live mode not available).
set -u
EXFILMON=${1:?usage: netns_upload.sh EXFILMON [WORKDIR]}
WORK=${2:-$(mktemp -d /tmp/xm_netns.XXXXXX)}
mkdir -p "$WORK" || exit 1
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
TAG=xm$$
NSA=${TAG}a NSB=${TAG}b
VA=${TAG}va VB=${TAG}vb
NET=10.254.$(($$ % 200 + 1))
IPA=$NET.1 IPB=$NET.2
PY_BYTES=1000000 CURL_BYTES=300000

. "$HERE/lib.sh"
live_require curl dumpcap "$PY" "$EXFILMON"

PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    live_unpair "$NSA" "$NSB"
}
trap cleanup EXIT

live_pair "$NSA" "$NSB" "$VA" "$VB" "$IPA" "$IPB"

# Sinks in B: 9000 raw socket sink, 9001 minimal HTTP PUT/POST sink.
ip netns exec "$NSB" "$PY" "$HERE/sink.py" "$IPB" 9000 9001 "$WORK/sink.log" &
PIDS+=($!)

ip netns exec "$NSA" dumpcap -q -P -i "$VA" -w "$WORK/cap.pcap" 2>/dev/null &
PIDS+=($!)
ip netns exec "$NSA" "$EXFILMON" -q -i "$VA" --home-net "$IPA/32" \
    --flows "$WORK/flows.json" --alerts "$WORK/alerts.json" \
    --record-processes "$WORK/ledger.jsonl" 2>"$WORK/exfilmon.err" &
XM=$!
for _ in $(seq 100); do           # wait for the sink, dumpcap, exfilmon
    [ -s "$WORK/sink.log" ] && [ -s "$WORK/cap.pcap" ] && [ -e "$WORK/flows.json" ] && break
    sleep 0.1
done
sleep 1                           # exfilmon: outputs open, loop starting
if ! kill -0 "$XM" 2>/dev/null; then
    grep -q "not wired" "$WORK/exfilmon.err" && skip "live mode not wired yet"
    echo "FAIL: exfilmon exited early:"; cat "$WORK/exfilmon.err"; exit 1
fi

# The python uploader exits half a second after its bytes are sent, its
# socket open until exit (a socket must outlive the capture's delivery
# latency, ~100 ms with the default pcap timeout: docs/processes.md).
ip netns exec "$NSA" "$PY" -c '
import socket, sys, time
s = socket.create_connection((sys.argv[1], 9000))
s.sendall(b"S" * int(sys.argv[2]))
time.sleep(0.5)' "$IPB" "$PY_BYTES" &
PYPID=$!
wait $PYPID
head -c "$CURL_BYTES" /dev/zero > "$WORK/upload.bin"
ip netns exec "$NSA" curl -s -o /dev/null --limit-rate 500K -T "$WORK/upload.bin" \
    "http://$IPB:9001/up" &
CURLPID=$!
wait $CURLPID
sleep 1
kill -TERM "$XM"
wait "$XM"
XM_RC=$?
for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
wait 2>/dev/null
PIDS=()
[ "$XM_RC" = 0 ] || { echo "FAIL: exfilmon exit status $XM_RC"; cat "$WORK/exfilmon.err"; exit 1; }

SPECS=("9000:$PYPID:python3:$(readlink -f "$PY"):$PY_BYTES"
       "9001:$CURLPID:curl:$(readlink -f "$(command -v curl)"):$CURL_BYTES")
echo "== live"
"$PY" "$HERE/check_upload.py" "$WORK" "$IPA" "$IPB" "${SPECS[@]}" || exit $?
# Replay the capture with the ledger: the same processes, no kernel.
echo "== replay --processes"
"$EXFILMON" -q -r "$WORK/cap.pcap" --processes "$WORK/ledger.jsonl" \
    --home-net "$IPA/32" --flows "$WORK/replay.json" --alerts /dev/null || exit 1
XM_FLOWS=replay.json "$PY" "$HERE/check_upload.py" "$WORK" "$IPA" "$IPB" "${SPECS[@]}"
