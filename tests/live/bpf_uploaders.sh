#!/bin/bash
# bpf_uploaders.sh - live proof of exact per-process accounting (issue 15).
#
# Usage: tests/live/bpf_uploaders.sh EXFILMON [WORKDIR]
#
# Two network namespaces joined by a veth pair; exfilmon runs live in
# the uploaders' namespace A.  20 uploaders (python3: connect, send
# 5 MB, exit at once), started five at a time, run in namespace A and in
# a container-like cgroup v2 child (named docker-<64 hex>.scope, created
# under the cgroup2 mount when it is writable).  Three phases:
#   bpf       - the eBPF source: all 20 named (pid, exe, cmdline,
#               container id), socket.bytes_sent == 5000000 and
#               bytes_toserver == IP bytes in a dumpcap capture;
#   sock_diag - the same with --no-ebpf: reports which it could not name
#               (not a failure), but a wrong name fails;
#   replay    - the bpf phase's capture replayed with its ledger
#               (--processes): the same 20 named, same bytes.
# Exit 0 pass, 1 fail, 77 skip (not root, tools missing, BPF refused:
# the reason exfilmon printed is shown).
set -u
EXFILMON=${1:?usage: bpf_uploaders.sh EXFILMON [WORKDIR]}
WORK=${2:-$(mktemp -d /tmp/xm_bpfup.XXXXXX)}
mkdir -p "$WORK" || exit 1
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
TAG=xb$$
NSA=${TAG}a NSB=${TAG}b
VA=${TAG}va VB=${TAG}vb
NET=10.253.$(($$ % 200 + 1))
IPA=$NET.1 IPB=$NET.2
PORT=9000 BYTES=5000000 N=20 BATCH=5
# Short on purpose: the tag must sit in the first 255 bytes of argv.
UPLOAD='import socket,sys;s=socket.create_connection((sys.argv[1],int(sys.argv[2])));s.sendall(b"U"*int(sys.argv[3]))'

. "$HERE/lib.sh"
live_require dumpcap sha256sum "$PY" "$EXFILMON"

PIDS=()
CGROOT=""
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    live_unpair "$NSA" "$NSB"
    if [ -n "$CGROOT" ]; then
        rmdir "$CGROOT"/*.scope "$CGROOT" 2>/dev/null
    fi
}
trap cleanup EXIT

live_pair "$NSA" "$NSB" "$VA" "$VB" "$IPA" "$IPB"

# A container-like cgroup: docker-<id>.scope under a cgroup v2 child.
CID=-
CGDIR=""
CG2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
if [ -n "$CG2" ] && mkdir "$CG2/xmtest$$" 2>/dev/null; then
    CGROOT=$CG2/xmtest$$
    CID=$(printf '%s' "$TAG" | sha256sum | cut -c1-64)
    CGDIR=$CGROOT/docker-$CID.scope
    mkdir "$CGDIR" || { echo "FAIL: cannot create $CGDIR"; exit 1; }
    echo "cgroup: uploaders run in $CGDIR"
else
    echo "note: no writable cgroup v2 mount: uploaders stay in this cgroup (container not checked)"
fi

# run_phase NAME EXTRA-FLAGS...: sink, capture, exfilmon, 20 uploaders.
run_phase() {
    local name=$1 w=$WORK/$1
    shift
    mkdir -p "$w"
    : > "$w/uploaders"
    ip netns exec "$NSB" "$PY" "$HERE/conn_sink.py" "$IPB" "$PORT" "$w/sink.log" &
    PIDS+=($!)
    ip netns exec "$NSA" dumpcap -q -P -B 256 -i "$VA" -w "$w/cap.pcap" 2>/dev/null &
    PIDS+=($!)
    ip netns exec "$NSA" "$EXFILMON" -q -i "$VA" --home-net "$IPA/32" "$@" \
        --flows "$w/flows.json" --alerts /dev/null \
        --record-processes "$w/ledger.jsonl" 2>"$w/exfilmon.err" &
    local xm=$!
    for _ in $(seq 100); do
        [ -s "$w/sink.log" ] && [ -s "$w/cap.pcap" ] && [ -e "$w/flows.json" ] && break
        sleep 0.1
    done
    sleep 1
    if ! kill -0 "$xm" 2>/dev/null; then
        echo "FAIL: exfilmon exited early:"; cat "$w/exfilmon.err"; exit 1
    fi
    grep "process attribution" "$w/exfilmon.err"
    if [ "$name" = bpf ] && ! grep -q "process attribution: ebpf" "$w/exfilmon.err"; then
        kill "$xm"
        skip "the eBPF source is not available here: $(grep 'process attribution' "$w/exfilmon.err")"
    fi
    local n=0
    while [ $n -lt $N ]; do
        local batch=()
        for _ in $(seq $BATCH); do
            local tag=xmup-$name-$n
            sh -c 'if [ -n "$1" ]; then echo $$ > "$1/cgroup.procs" || exit 9; fi
                   shift; exec ip netns exec "$@"' sh "$CGDIR" "$NSA" \
                "$PY" -c "$UPLOAD" "$IPB" "$PORT" "$BYTES" "$tag" &
            echo "$! $tag" >> "$w/uploaders"
            batch+=($!)
            n=$((n + 1))
        done
        wait "${batch[@]}"
    done
    sleep 1
    kill -TERM "$xm"
    wait "$xm"
    local rc=$?
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    PIDS=()
    [ "$rc" = 0 ] || { echo "FAIL: exfilmon exit status $rc"; cat "$w/exfilmon.err"; exit 1; }
}

EXE=$(readlink -f "$PY")
fails=0
echo "== bpf: $N uploaders, $BATCH at a time, eBPF source"
run_phase bpf
"$PY" "$HERE/check_uploaders.py" "$WORK/bpf" flows.json "$IPA" "$IPB" "$PORT" "$BYTES" \
    "$EXE" "$CID" bpf || fails=$((fails + 1))
echo "== replay: the bpf capture with its ledger (--processes)"
"$EXFILMON" -q -r "$WORK/bpf/cap.pcap" --processes "$WORK/bpf/ledger.jsonl" \
    --home-net "$IPA/32" --flows "$WORK/bpf/replay.json" --alerts /dev/null || exit 1
"$PY" "$HERE/check_uploaders.py" "$WORK/bpf" replay.json "$IPA" "$IPB" "$PORT" "$BYTES" \
    "$EXE" "$CID" replay || fails=$((fails + 1))
echo "== sock_diag: the same with --no-ebpf"
run_phase sock_diag --no-ebpf
"$PY" "$HERE/check_uploaders.py" "$WORK/sock_diag" flows.json "$IPA" "$IPB" "$PORT" "$BYTES" \
    "$EXE" "$CID" sock_diag || fails=$((fails + 1))
[ $fails = 0 ] && echo "PASS" || { echo "FAIL ($fails phases)"; exit 1; }
