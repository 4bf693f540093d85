# tests/live/lib.sh - sourced by the live tests (bash): verdict helpers,
# the "can this machine do it" checks, and a veth pair between two fresh
# network namespaces.  Nothing runs when sourced.  The caller owns the
# names it passes and removes its namespaces with live_unpair (usually
# from its EXIT trap).  A refusal of the machine (not root, no netns, no
# veth) is a skip, exit 77 with the reason printed.

FAILS=${FAILS:-0}
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
ok() { echo "ok: $*"; }

# live_require TOOL...: root, `ip netns`, and every TOOL on PATH (or an
# executable path), else skip naming what is missing.
live_require() {
    [ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
    command -v ip >/dev/null && ip netns list >/dev/null 2>&1 || skip "no ip netns"
    local t
    for t in "$@"; do
        command -v "$t" >/dev/null 2>&1 || skip "$t not found"
    done
}

# live_pair NSA NSB VA VB IPA IPB: namespaces NSA and NSB joined by the
# veth pair VA (in NSA, address IPA/24) - VB (in NSB, IPB/24), loopbacks
# up, and no TSO/GSO on VA so a capture there sees wire-sized segments.
live_pair() {
    local nsa=$1 nsb=$2 va=$3 vb=$4 ipa=$5 ipb=$6 ns
    ip netns add "$nsa" && ip netns add "$nsb" || skip "cannot create namespaces"
    ip link add "$va" netns "$nsa" type veth peer name "$vb" netns "$nsb" ||
        skip "cannot create a veth pair"
    ip -n "$nsa" addr add "$ipa/24" dev "$va"
    ip -n "$nsb" addr add "$ipb/24" dev "$vb"
    for ns in "$nsa" "$nsb"; do ip -n "$ns" link set lo up; done
    ip -n "$nsa" link set "$va" up
    ip -n "$nsb" link set "$vb" up
    ip netns exec "$nsa" ethtool -K "$va" tso off gso off >/dev/null 2>&1
    return 0
}

# live_unpair NS...: deletes the namespaces (their veth ends go with them).
live_unpair() {
    local ns
    for ns in "$@"; do ip netns del "$ns" 2>/dev/null; done
    return 0
}

# live_wait_http NS URL PID: polls URL from inside NS for up to 5 s while
# PID lives; true when it answered.
live_wait_http() {
    local i
    for i in $(seq 50); do
        ip netns exec "$1" curl -sf "$2" >/dev/null 2>&1 && return 0
        kill -0 "$3" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# live_cleanup: the EXIT trap of the scripts that keep their daemon in
# XPID, their sink in SPID, their namespaces in NSA/NSB and their files
# in DIR: kills both, removes the namespaces, and keeps DIR only when a
# check failed (FAILS > 0), saying where.
live_cleanup() {
    [ -n "${XPID:-}" ] && kill -KILL "$XPID" 2>/dev/null
    [ -n "${SPID:-}" ] && kill -KILL "$SPID" 2>/dev/null
    live_unpair "$NSA" "$NSB"
    if [ "$FAILS" = 0 ]; then rm -rf "$DIR"; else echo "kept $DIR"; fi
    return 0
}
