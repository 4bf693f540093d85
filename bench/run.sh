#!/bin/sh
# bench/run.sh [-q] [WORKLOAD...]      WORKLOAD: mix gateway small flood (default: all)
#
# One command, one run: for each workload, builds a release tree
# (build-bench/), generates bench/out/WORKLOAD_PACKETS_FLOWS_128.pcap once
# with gen_bench (deterministic; reused when present), warms the page
# cache, then runs on that same cached file, BENCH_RUNS times each and
# alternating so machine drift hits every column alike:
#   readloop   bench/readloop FILE (pcap_dispatch, 1 MiB stdio buffer): the baseline
#   no-rules   exfilmon -r FILE -q --no-rules --alerts /dev/null --flows /dev/null
#   rules      exfilmon -r FILE -q --alerts /dev/null --flows /dev/null (default pack)
#   no-rules-1t, rules-1t   the same with --threads 0 (no reader thread:
#              read, decode and the pipeline on one thread)
#   softflowd, nfpcapd, argus: each only when installed (else "not installed")
# and prints median wall seconds, packets/s, ratio = readloop seconds /
# tool seconds (1.00 = as fast as the read loop; higher is better), peak
# RSS (/usr/bin/time -v, max over runs) and bytes per flow = (peak RSS -
# readloop's peak RSS) / flows.
#
# Sizes (packets, flows):          full            -q (quick; 2 shared cores)
#   mix      100k-flow mix         4M, 100k        1M, 100k
#   gateway  20k hosts, 2 ext/flow 8M, 1M          2M, 250k
#            20% refused TCP
#   small    minimum-size packets  4M, 100k        1M, 100k
#   flood    SYNs + random DNS     15M             1.5M   (flows = packets)
# Environment: BENCH_RUNS (default 3, 1 with -q), EXFILMON (binary to use
# instead of build-bench/src/exfilmon), EXFILMON_BASE (a second binary,
# e.g. a build of main, measured in the same rounds as base-no-rules and
# base-rules: before/after ratios from one run).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
quick=0
if [ "${1:-}" = -q ]; then quick=1; shift; fi
workloads=${*:-mix gateway small flood}
if [ "$quick" = 1 ]; then runs=${BENCH_RUNS:-1}; else runs=${BENCH_RUNS:-3}; fi
bdir="$root/build-bench"
out="$here/out"
snaplen=128

die() { echo "run.sh: $*" >&2; exit 1; }

# sizes WORKLOAD -> "packets flows"
sizes() {
    case "$1:$quick" in
    mix:0|small:0) echo 4000000 100000 ;;
    mix:1|small:1) echo 1000000 100000 ;;
    gateway:0) echo 8000000 1000000 ;;
    gateway:1) echo 2000000 250000 ;;
    flood:0) echo 15000000 15000000 ;;
    flood:1) echo 1500000 1500000 ;;
    *) die "unknown workload '$1' (mix gateway small flood)" ;;
    esac
}

if [ ! -x /usr/bin/time ]; then
    apt-get install -y time >/dev/null 2>&1 || die "/usr/bin/time missing (apt-get install time)"
fi
if [ ! -d "$bdir" ]; then
    meson setup "$bdir" "$root" --buildtype=release -Dwerror=false >/dev/null || die "meson setup failed"
fi
ninja -C "$bdir" bench/gen_bench bench/readloop src/exfilmon >"$bdir/bench-build.log" 2>&1 \
    || die "build failed (see $bdir/bench-build.log)"
exf=${EXFILMON:-$bdir/src/exfilmon}
[ -x "$exf" ] || die "no exfilmon at $exf"
base=${EXFILMON_BASE:-}
[ -z "$base" ] || [ -x "$base" ] || die "no exfilmon at $base (EXFILMON_BASE)"
mkdir -p "$out"
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

# median FILE -> "secs rss" (median secs, max rss) or "n/a n/a"
median() {
    [ -f "$1" ] && ! grep -q fail "$1" || { echo "n/a n/a"; return; }
    sort -n "$1" | awk '{ s[NR] = $1; if ($2 > r) r = $2 }
        END { m = (NR % 2) ? s[(NR + 1) / 2] : (s[NR / 2] + s[NR / 2 + 1]) / 2;
              printf "%.3f %d\n", m, r }'
}

have() { command -v "$1" >/dev/null 2>&1; }

run_workload() {
    wl=$1
    set -- $(sizes "$wl")
    packets=$1; flows=$2
    file="$out/${wl}_${packets}_${flows}_${snaplen}.pcap"
    if [ ! -s "$file" ]; then
        "$bdir/bench/gen_bench" -w "$wl" "$file.tmp" "$packets" "$flows" "$snaplen" >/dev/null \
            && mv "$file.tmp" "$file" || die "gen_bench failed"
    fi
    rm -f "$tmp"/m_*
    cat "$file" > /dev/null
    i=0
    while [ "$i" -lt "$runs" ]; do
        measure m_readloop "$bdir/bench/readloop" "$file"
        measure m_no-rules "$exf" -r "$file" -q --no-rules --alerts /dev/null --flows /dev/null
        measure m_rules "$exf" -r "$file" -q --alerts /dev/null --flows /dev/null
        measure m_no-rules-1t "$exf" -r "$file" -q --threads 0 --no-rules --alerts /dev/null \
            --flows /dev/null
        measure m_rules-1t "$exf" -r "$file" -q --threads 0 --alerts /dev/null --flows /dev/null
        if [ -n "$base" ]; then
            measure m_base-no-rules "$base" -r "$file" -q --no-rules --alerts /dev/null --flows /dev/null
            measure m_base-rules "$base" -r "$file" -q --alerts /dev/null --flows /dev/null
        fi
        have softflowd && measure m_softflowd softflowd -d -r "$file" -n 127.0.0.1:9
        if have nfpcapd; then
            rm -rf "$tmp/nf" && mkdir -p "$tmp/nf"
            measure m_nfpcapd nfpcapd -r "$file" -w "$tmp/nf"
        fi
        have argus && measure m_argus argus -r "$file" -w /dev/null
        i=$((i + 1))
    done
    set -- $(median "$tmp/m_readloop")
    base_s=$1; base_rss=$2
    echo
    echo "== $wl: $file ($(wc -c < "$file") bytes; $packets packets, $flows flows)"
    printf '%-14s %9s %12s %8s %10s %10s\n' tool seconds packets/s ratio rss_kb bytes/flow
    for m in readloop no-rules no-rules-1t rules rules-1t ${base:+base-no-rules base-rules} softflowd nfpcapd argus; do
        if [ ! -f "$tmp/m_$m" ]; then
            printf '%-14s %s\n' "$m" "not installed"
            continue
        fi
        set -- $(median "$tmp/m_$m")
        if [ "$1" = n/a ] || [ "$base_s" = n/a ]; then
            printf '%-14s %9s %12s %8s %10s %10s\n' "$m" n/a n/a n/a n/a n/a
            continue
        fi
        awk -v m="$m" -v s="$1" -v r="$2" -v bs="$base_s" -v br="$base_rss" \
            -v p="$packets" -v f="$flows" 'BEGIN {
            pps = s > 0 ? p / s : 0; ratio = s > 0 ? bs / s : 0
            bpf = m == "readloop" ? "-" : sprintf("%.0f", (r - br) * 1024 / f)
            printf "%-14s %9.3f %12.0f %8.3f %10d %10s\n", m, s, pps, ratio, r, bpf }'
    done
}

echo "exfilmon: $exf${base:+; base-*: $base}; runs: $runs each, alternating; median wall time; peak RSS = max over runs"
echo "ratio = readloop seconds / tool seconds (higher is better)"
for wl in $workloads; do
    sizes "$wl" >/dev/null || exit 1
    run_workload "$wl"
done
