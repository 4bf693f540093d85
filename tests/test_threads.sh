#!/bin/bash
# tests/test_threads.sh - replay output does not depend on the reader
# thread: every capture of pcaps/ (plus merged files, standard input,
# --count, and a generated 30,000-packet capture that fills many ring
# batches) replayed with --threads 0 and --threads 1 gives byte-identical
# flow and alert records, the same log lines (time stamp and pid cut) and
# the same exit status.  The truncated capture must still name the file,
# record and byte offset and flush what came before.
# Usage: test_threads.sh SOURCE_ROOT EXFILMON [GEN_BENCH]
set -u
ROOT=${1:?usage: test_threads.sh SOURCE_ROOT EXFILMON [GEN_BENCH]}
EXFILMON=${2:?usage: test_threads.sh SOURCE_ROOT EXFILMON [GEN_BENCH]}
GEN=${3:-}
DIR=$(mktemp -d /tmp/xm_threads.XXXXXX)
FAILS=0
trap 'if [ $FAILS = 0 ]; then rm -rf "$DIR"; else echo "kept $DIR"; fi' EXIT

fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }

# run NAME THREADS ARGS... : one replay; outputs under $DIR/NAME.THREADS.*
run() {
    local name=$1 t=$2
    shift 2
    "$EXFILMON" -q --threads "$t" --sensor s --alert-mode both \
        --flows "$DIR/$name.$t.flows" --alerts "$DIR/$name.$t.alerts" "$@" \
        < "${STDIN:-/dev/null}" 2> "$DIR/$name.$t.err"
    echo "exit $?" >> "$DIR/$name.$t.err"
    sed -i -E 's/^[0-9T:.-]+Z exfilmon\[[0-9]+\]: //' "$DIR/$name.$t.err"
}

# same NAME ARGS... : both ways, then compare
same() {
    local name=$1
    shift
    run "$name" 0 "$@"
    run "$name" 1 "$@"
    for k in flows alerts err; do
        cmp -s "$DIR/$name.0.$k" "$DIR/$name.1.$k" ||
            fail "$name: $k differ between --threads 0 and 1"
    done
}

for f in "$ROOT"/pcaps/*.pcap "$ROOT"/pcaps/*.pcapng; do
    same "$(basename "$f")" -r "$f"
done
same merged -r "$ROOT/pcaps/office_gateway.pcap" -r "$ROOT/pcaps/stealer.pcap" \
    -r "$ROOT/pcaps/eth.pcapng"
same count -r "$ROOT/pcaps/office_gateway.pcap" --count 1000
STDIN=$ROOT/pcaps/truncated_file.pcap same stdin_trunc -r -
same trunc_then_more -r "$ROOT/pcaps/truncated_file.pcap" -r "$ROOT/pcaps/stealer.pcap"

grep -q 'truncated_file.pcap: record 36 (byte offset 15323): truncated dump file' \
    "$DIR/truncated_file.pcap.1.err" || fail "threaded: truncation not named by record and offset"
grep -q '<stdin>: record 36 (byte offset 15323)' "$DIR/stdin_trunc.1.err" ||
    fail "threaded: truncation on standard input not named"
[ -s "$DIR/office_gateway.pcap.1.flows" ] || fail "office_gateway: no flow records"
grep -q '^exit 1$' "$DIR/truncated_file.pcap.1.err" || fail "threaded: truncated file not exit 1"
grep -q 'info: 35 packets read' "$DIR/truncated_file.pcap.1.err" ||
    fail "threaded: the 35 packets before the cut were not all processed"

if [ -n "$GEN" ] && [ -x "$GEN" ]; then
    "$GEN" "$DIR/mix.pcap" 30000 3000 1514 >/dev/null 2>&1 || fail "gen_bench"
    same mix -r "$DIR/mix.pcap" --max-flows 2048
fi
[ $FAILS = 0 ] && echo "ok: every replay identical with and without the reader thread"
exit $((FAILS > 0))
