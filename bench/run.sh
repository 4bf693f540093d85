#!/bin/sh
# bench/run.sh [packets=10000000] [flows=100000] [snaplen=128]
#
# Builds a release tree (build-bench/), generates bench/out/bench_P_F_S.pcap
# once (deterministic; reused when present), then runs, 3 times each and
# alternating so drift hits every column alike:
#   readloop FILE                                   (the libpcap baseline)
#   exfilmon -r FILE -q --no-rules --alerts /dev/null          ("replay")
#   exfilmon ... --flows /dev/null                  ("flows": + EVE flow output)
#   exfilmon -r FILE -q --flows /dev/null --alerts /dev/null   ("rules": default pack)
# and prints median wall seconds (date +%s%N around the run), packets/s, ratio to readloop's median
# from the same run, peak RSS (/usr/bin/time -v) and bytes per flow =
# (peak RSS exfilmon - peak RSS readloop) / flows.
# A column whose command is missing or fails prints "n/a" (exfilmon is
# built by the lead; until then only readloop runs).
# Environment: BENCH_RUNS (default 3), EXFILMON (binary to use instead of
# build-bench/src/exfilmon).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
packets=${1:-10000000}
flows=${2:-100000}
snaplen=${3:-128}
runs=${BENCH_RUNS:-3}
bdir="$root/build-bench"
out="$here/out"
file="$out/bench_${packets}_${flows}_${snaplen}.pcap"

die() { echo "run.sh: $*" >&2; exit 1; }

if [ ! -x /usr/bin/time ]; then
    apt-get install -y time >/dev/null 2>&1 || die "/usr/bin/time missing (apt-get install time)"
fi
if [ ! -d "$bdir" ]; then
    meson setup "$bdir" "$root" --buildtype=release -Dwerror=false >/dev/null || die "meson setup failed"
fi
ninja -C "$bdir" bench/gen_bench bench/readloop >/dev/null || die "build of gen_bench/readloop failed"
mkdir -p "$out"
if [ ! -s "$file" ]; then
    "$bdir/bench/gen_bench" "$file.tmp" "$packets" "$flows" "$snaplen" >/dev/null \
        && mv "$file.tmp" "$file" || die "gen_bench failed"
fi
if [ -n "${EXFILMON:-}" ]; then
    exf=$EXFILMON
elif ninja -C "$bdir" src/exfilmon >"$bdir/bench-exfilmon-build.log" 2>&1; then
    exf=$bdir/src/exfilmon
else
    echo "run.sh: exfilmon does not build in $bdir (see $bdir/bench-exfilmon-build.log);" \
         "its columns print n/a" >&2
    exf=""
fi
[ -n "$exf" ] && [ ! -x "$exf" ] && exf=""

tmp=$(mktemp -d) || die "mktemp"
trap 'rm -rf "$tmp"' EXIT INT TERM

# measure NAME CMD... : one timed run; appends "secs rss_kb" to $tmp/NAME
# or "fail" when the command exits non-zero.
measure() {
    name=$1; shift
    t0=$(date +%s%N)
    if /usr/bin/time -v -o "$tmp/t" "$@" >/dev/null 2>"$tmp/err"; then
        t1=$(date +%s%N)
        awk -F': ' -v ns=$((t1 - t0)) '/Maximum resident set size/ { rss = $2 }
                    END { printf "%.3f %d\n", ns / 1e9, rss }' "$tmp/t" >> "$tmp/$name"
    else
        echo fail >> "$tmp/$name"
        sed -n '1,3p' "$tmp/err" | sed "s/^/  [$name] /" >&2
    fi
}

# Warm the page cache so the first readloop run is not penalised.
cat "$file" > /dev/null
i=0
while [ "$i" -lt "$runs" ]; do
    measure readloop "$bdir/bench/readloop" "$file"
    if [ -n "$exf" ]; then
        measure replay "$exf" -r "$file" -q --no-rules --alerts /dev/null
        measure flows "$exf" -r "$file" -q --no-rules --alerts /dev/null --flows /dev/null
        measure rules "$exf" -r "$file" -q --alerts /dev/null --flows /dev/null
    fi
    i=$((i + 1))
done

# median FILE -> "secs rss" (median secs, max rss) or "n/a"
median() {
    [ -f "$1" ] && ! grep -q fail "$1" || { echo "n/a n/a"; return; }
    sort -n "$1" | awk '{ s[NR] = $1; if ($2 > r) r = $2 }
        END { m = (NR % 2) ? s[(NR + 1) / 2] : (s[NR / 2] + s[NR / 2 + 1]) / 2;
              printf "%.3f %d\n", m, r }'
}

set -- $(median "$tmp/readloop")
base_s=$1; base_rss=$2
echo "file: $file ($(wc -c < "$file") bytes; $packets packets, $flows flows, snaplen $snaplen)"
echo "runs: $runs each, alternating; median wall time; peak RSS = max over runs"
printf '%-9s %9s %12s %8s %10s %10s\n' mode seconds packets/s ratio rss_kb bytes/flow
for m in readloop replay flows rules; do
    set -- $(median "$tmp/$m")
    if [ "$1" = n/a ] || [ "$base_s" = n/a ]; then
        printf '%-9s %9s %12s %8s %10s %10s\n' "$m" n/a n/a n/a n/a n/a
        continue
    fi
    awk -v m="$m" -v s="$1" -v r="$2" -v bs="$base_s" -v br="$base_rss" \
        -v p="$packets" -v f="$flows" 'BEGIN {
        pps = s > 0 ? p / s : 0; ratio = bs > 0 ? s / bs : 0
        bpf = m == "readloop" ? "-" : sprintf("%.0f", (r - br) * 1024 / f)
        printf "%-9s %9.3f %12.0f %8.2f %10d %10s\n", m, s, pps, ratio, r, bpf }'
done
