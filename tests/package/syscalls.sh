#!/bin/bash
# tests/package/syscalls.sh - the unit's SystemCallFilter= against what the
# daemon really calls (systemd is not needed: the filter is checked, not
# enforced).  Usage: syscalls.sh EXFILMON UNIT_TEMPLATE
#
# Runs EXFILMON live as an unprivileged user with the unit's ambient
# capabilities (setpriv), under strace -f, in a network namespace: capture
# on "any", process attribution, HTTP (/metrics, /healthz), uploads over a
# veth pair, SIGHUP (reload and reopen after a rename), SIGUSR1, SIGTERM.
# Every system call made after exec'ing exfilmon must be in the unit's
# allowed groups (SystemCallFilter=@...) and in none of its denied ones
# (SystemCallFilter=~@...), as systemd-analyze syscall-filter expands them.
# Exit 77 when not root, without strace, systemd-analyze, setpriv or netns.
set -u
EXFILMON=${1:?usage: syscalls.sh EXFILMON UNIT_TEMPLATE}
UNIT=${2:?usage: syscalls.sh EXFILMON UNIT_TEMPLATE}
NSA=xmsA$$ NSB=xmsB$$ PORT=18080 HTTP=127.0.0.1:19465
DIR=$(mktemp -d /tmp/xm_syscalls.XXXXXX)
FAILS=0 XPID= SPID=

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
ok() { echo "ok: $*"; }

[ "$(id -u)" = 0 ] || skip "not root"
for t in strace systemd-analyze setpriv python3 curl ip; do
    command -v $t >/dev/null || skip "no $t (bash tools/setup.sh deps installs it)"
done
cleanup() {
    [ -n "$XPID" ] && kill -KILL "$XPID" 2>/dev/null
    [ -n "$SPID" ] && kill -KILL "$SPID" 2>/dev/null
    ip netns del "$NSA" 2>/dev/null
    ip netns del "$NSB" 2>/dev/null
    if [ "$FAILS" = 0 ]; then rm -rf "$DIR"; else echo "kept $DIR"; fi
}
trap cleanup EXIT
ip netns add "$NSA" 2>/dev/null && ip netns add "$NSB" 2>/dev/null || skip "cannot create namespaces"
ip link add xmsa netns "$NSA" type veth peer name xmsb netns "$NSB" 2>/dev/null || skip "no veth"
ip -n "$NSA" addr add 10.96.0.1/24 dev xmsa
ip -n "$NSB" addr add 10.96.0.2/24 dev xmsb
for ns in "$NSA" "$NSB"; do ip -n "$ns" link set lo up; done
ip -n "$NSA" link set xmsa up
ip -n "$NSB" link set xmsb up

# ---- the filter of the unit ------------------------------------------------
# expand GROUP|CALL: the system calls of a group (nested groups expanded),
# or the one call named
expand() {
    case $1 in @*) ;; *) echo "$1"; return ;; esac   # a single system call
    systemd-analyze syscall-filter "$1" | tail -n +2 |
        sed -n 's/^    \([@a-z0-9_-]*\)$/\1/p' | while read -r x; do
            case $x in @*) expand "$x" ;; *) echo "$x" ;; esac
        done
}
: > "$DIR/allowed" ; : > "$DIR/denied"
# In order, as systemd applies them: an allow line adds its calls, a deny
# line (~) removes its calls from what was allowed (a later allow line may
# add a call back, e.g. bpf after ~@privileged); "denied" is what some
# deny line named and no later allow line gave back.
while IFS= read -r line; do
    v=${line#SystemCallFilter=}
    : > "$DIR/these"
    case $v in
        "~"*) for g in ${v#\~}; do expand "$g" >> "$DIR/these"; done
              sort -u -o "$DIR/these" "$DIR/these"
              comm -23 "$DIR/allowed" "$DIR/these" > "$DIR/tmp"; mv "$DIR/tmp" "$DIR/allowed"
              sort -u "$DIR/denied" "$DIR/these" -o "$DIR/denied" ;;
        *) for g in $v; do expand "$g" >> "$DIR/these"; done
           sort -u "$DIR/allowed" "$DIR/these" -o "$DIR/allowed"
           sort -u -o "$DIR/these" "$DIR/these"
           comm -23 "$DIR/denied" "$DIR/these" > "$DIR/tmp"; mv "$DIR/tmp" "$DIR/denied" ;;
    esac
done < <(grep '^SystemCallFilter=' "$UNIT")
sort -u -o "$DIR/allowed" "$DIR/allowed"
sort -u -o "$DIR/denied" "$DIR/denied"
[ -s "$DIR/allowed" ] && [ -s "$DIR/denied" ] || { fail "no SystemCallFilter= in $UNIT"; exit 1; }
caps=$(sed -n 's/^AmbientCapabilities=//p' "$UNIT" | tr 'A-Z ' 'a-z\n' | sed -n 's/^cap_\(.*\)/+\1/p' |
       paste -sd, -)

# ---- the run ------------------------------------------------------------
chmod 0755 "$DIR"
mkdir -m 0777 "$DIR/out"
cat > "$DIR/test.conf" <<C
home_net = 10.96.0.1/32, 127.0.0.0/8
outputs { alerts = "$DIR/out/alerts.json"; flows = "$DIR/out/flows.json" }
capture { interface = any }
process { attribution = yes }
timeouts { tcp_closed = 1s }
http = "$HTTP"
C
cat > "$DIR/sink.py" <<'PY'
import socket, sys, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.96.0.2", int(sys.argv[1]))); s.listen(64)
def drain(c):
    while c.recv(65536): pass
    c.close()
while True:
    c, _ = s.accept(); threading.Thread(target=drain, args=(c,), daemon=True).start()
PY
ip netns exec "$NSB" python3 "$DIR/sink.py" $PORT & SPID=$!
# LeakSanitizer cannot run under ptrace (sanitizer builds)
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
ip netns exec "$NSA" strace -f -qq -o "$DIR/trace.txt" \
    setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps="$caps" \
            --ambient-caps="$caps" --bounding-set="-all,$caps" --no-new-privs -- \
    "$EXFILMON" -q -c "$DIR/test.conf" 2>"$DIR/err.txt" & XPID=$!
for _ in $(seq 100); do
    ip netns exec "$NSA" curl -sf "http://$HTTP/healthz" >/dev/null 2>&1 && break
    sleep 0.1
done
ip netns exec "$NSA" curl -sf "http://$HTTP/healthz" >/dev/null || { cat "$DIR/err.txt"; fail "no start"; exit 1; }
# the daemon's pid: the one strace saw exec exfilmon
dpid=$(sed -n "s|^\([0-9]*\) \+execve(\"$EXFILMON\".*= 0$|\1|p" "$DIR/trace.txt" | head -n 1)
[ -n "$dpid" ] || { fail "no execve of $EXFILMON in the trace"; exit 1; }
ip netns exec "$NSA" python3 - <<'PY'
import socket
for i in range(3):
    c = socket.create_connection(("10.96.0.2", 18080)); c.sendall(b"x" * 50000)
    c.shutdown(socket.SHUT_WR); c.recv(1); c.close()
PY
ip netns exec "$NSA" curl -s "http://$HTTP/metrics" >/dev/null
mv "$DIR/out/flows.json" "$DIR/out/flows.json.1"
kill -HUP "$dpid"; sleep 1.5
kill -USR1 "$dpid"; sleep 0.5
kill -TERM "$dpid"
wait "$XPID"; rc=$?
XPID=
[ $rc = 0 ] && ok "the daemon ran and stopped (status 0)" || fail "exit status $rc"
[ -s "$DIR/out/flows.json" ] || fail "no flow records after the reopen"

# system calls of the daemon after its execve (setpriv's own are not the
# service's: systemd does that part itself)
awk -v p="$dpid" -v exe="$EXFILMON" '
    $1 == p && index($0, "execve(\"" exe "\"") { on = 1; next }
    on && $1 ~ /^[0-9]+$/ { print }' "$DIR/trace.txt" |
    sed -n 's/^[0-9]\+ \+\([a-z0-9_]\+\)(.*/\1/p' | sort -u > "$DIR/used"
n=$(wc -l < "$DIR/used")
[ "$n" -gt 20 ] || fail "only $n system calls seen"
bad=$(comm -12 "$DIR/used" "$DIR/denied" | paste -sd' ' -)
[ -z "$bad" ] && ok "none of the $n system calls is denied by the unit" ||
    fail "denied by the unit's SystemCallFilter=~: $bad"
bad=$(comm -23 "$DIR/used" "$DIR/allowed" | paste -sd' ' -)
[ -z "$bad" ] && ok "all $n system calls are in the unit's allowed groups" ||
    fail "outside the unit's SystemCallFilter=: $bad"
[ "$FAILS" = 0 ]
