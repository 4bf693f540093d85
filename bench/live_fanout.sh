#!/bin/bash
# bench/live_fanout.sh [PACKETS] [WORKERS...] - kernel drops live with
# --workers 1 and N on a veth pair between two network namespaces (root).
#
# For each worker count W (default: 1 2), exfilmon captures on the veth
# end in namespace A (-B 1024: a 1 MiB kernel buffer per handle, so a
# burst shows drops quickly, BENCH_BUF_KIB to change; --no-rules and the
# default rules), while
# bench/blast in namespace B sends PACKETS (default 2,000,000) 64-byte UDP
# datagrams over 256 flows as fast as it can.  After SIGTERM it prints
# exfilmon's capture line: packets received and dropped by the kernel,
# summed over the W handles.  Uses build-bench/ (release) like run.sh.
# A measurement, never a test: figures depend on the machine and its load.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
bdir="$root/build-bench"
PKTS=${1:-2000000}
shift || true
WORKERS=${*:-1 2}
. "$root/tests/live/lib.sh"
live_require
[ -d "$bdir" ] || meson setup "$bdir" "$root" --buildtype=release -Dwerror=false >/dev/null
ninja -C "$bdir" bench/blast src/exfilmon >/dev/null || { echo "build failed"; exit 1; }
NSA=xmbA$$ NSB=xmbB$$
tmp=$(mktemp -d)
trap 'live_unpair "$NSA" "$NSB"; rm -rf "$tmp"' EXIT
live_pair "$NSA" "$NSB" xmba xmbb 10.97.0.1 10.97.0.2
echo "packets sent: $PKTS x 64-byte UDP over 256 flows; kernel buffer ${BENCH_BUF_KIB:-1024} KiB per handle"
for rules in --no-rules ""; do
    for w in $WORKERS; do
        ip netns exec "$NSA" "$bdir/src/exfilmon" -i xmba -B "${BENCH_BUF_KIB:-1024}" --workers "$w" $rules \
            --no-process --home-net 10.97.0.1/32 --alerts /dev/null 2> "$tmp/err" &
        pid=$!
        sleep 1.5
        sent=$(ip netns exec "$NSB" "$bdir/bench/blast" 10.97.0.1 9999 "$PKTS" 64 256)
        sleep 2
        kill -TERM $pid; wait $pid
        printf '%-10s workers %s: %s; %s\n' "${rules:-rules}" "$w" "$sent" \
            "$(grep -o 'capture: .*' "$tmp/err" | tail -1)"
    done
done
