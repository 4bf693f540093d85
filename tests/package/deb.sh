#!/bin/bash
# tests/package/deb.sh - the Debian package, built, installed and run as a
# service on this machine (as root), then removed again.
# Usage: deb.sh SOURCE_ROOT
#
#   1. copies the tree and builds it with `dpkg-buildpackage -us -uc -b`;
#   2. checks the .deb: the files where Debian wants them, the conffiles,
#      no path of the build tree inside the installed binary;
#   3. installs it (apt-get install ./exfilmon_*.deb): the exfilmon user
#      exists (postinst);
#      `systemd-analyze verify` and `systemd-analyze security --offline=true`
#      with exposure <= 3.5 on the installed unit;
#   4. starts the service WITHOUT systemd through the installed helper
#      (exfilmon-run: the unit's user, ambient capabilities, directories)
#      inside network namespace A, with the shipped configuration
#      unchanged; uploads go over a veth pair to a sink in namespace B;
#   5. rotates with the shipped /etc/logrotate.d/exfilmon (`logrotate -f`)
#      twice on the same day: the records of each phase are in the file
#      of that phase, on both sides of each rotation;
#   6. replays the issue's failure: the log directory handed to root, a
#      rotation, so the reopen fails: /healthz says degraded with the
#      file and errno, /metrics counts it; the directory handed back: the
#      retry reopens, /healthz is ok again and records flow into the file;
#   7. stops the service, purges the package, removes the user it made.
# Exit 77 (skipped) only where the machine refuses: not root, no network
# namespaces or veth, a missing tool (tools/setup.sh deps installs them),
# or exfilmon already installed from elsewhere (not touched).
set -u
SRC=${1:?usage: deb.sh SOURCE_ROOT}
NSA=xmpA$$ NSB=xmpB$$
A=10.98.0.1 B=203.0.113.2 PORT=18080 HTTP=127.0.0.1:9464
WORK=$(mktemp -d /tmp/xm_pkg.XXXXXX)
FAILS=0 INSTALLED=no HAD_USER=no SINK= STARTED=no
HELPER=/usr/libexec/exfilmon/exfilmon-run
LOGS=/var/log/exfilmon

skip() { echo "SKIP: $*"; exit 77; }
# apt-get waits for the dpkg lock (other jobs may be installing packages).
apt_get() {
    DEBIAN_FRONTEND=noninteractive apt-get -y -q --no-install-recommends \
        -o DPkg::Lock::Timeout=900 "$@"
}
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
ok() { echo "ok: $*"; }

[ "$(id -u)" = 0 ] || skip "not root (installs a package)"
for tool in dpkg-buildpackage dh logrotate setpriv python3 curl ip systemd-analyze; do
    command -v "$tool" >/dev/null || skip "no $tool (bash tools/setup.sh deps installs it)"
done
if dpkg-query -W -f='${Status}' exfilmon 2>/dev/null | grep -q "ok installed"; then
    skip "exfilmon is already installed on this machine; not touching it"
fi
getent passwd exfilmon >/dev/null && HAD_USER=yes

cleanup() {
    [ $STARTED = yes ] && "$HELPER" --stop >/dev/null 2>&1
    [ -n "$SINK" ] && kill "$SINK" 2>/dev/null
    ip netns del "$NSA" 2>/dev/null
    ip netns del "$NSB" 2>/dev/null
    if [ $INSTALLED = yes ]; then
        apt_get purge exfilmon >"$WORK/purge.log" 2>&1 || { cat "$WORK/purge.log"; FAILS=$((FAILS + 1)); }
        [ -e "$LOGS" ] && { echo "FAIL: purge left $LOGS"; FAILS=$((FAILS + 1)); }
        if [ $HAD_USER = no ] && getent passwd exfilmon >/dev/null; then
            userdel exfilmon 2>/dev/null
            getent group exfilmon >/dev/null && groupdel exfilmon 2>/dev/null
        fi
    fi
    if [ "$FAILS" = 0 ]; then rm -rf "$WORK"; else echo "kept $WORK"; fi
}
trap cleanup EXIT

ip netns add "$NSA" 2>/dev/null && ip netns add "$NSB" 2>/dev/null || skip "cannot create network namespaces"
ip link add xmpa netns "$NSA" type veth peer name xmpb netns "$NSB" 2>/dev/null || skip "no veth"
ip -n "$NSA" addr add $A/24 dev xmpa
ip -n "$NSB" addr add $B/24 dev xmpb
for ns in "$NSA" "$NSB"; do ip -n "$ns" link set lo up; done
ip -n "$NSA" link set xmpa up
ip -n "$NSB" link set xmpb up
ip -n "$NSA" route add ${B%.*}.0/24 dev xmpa       # B is "external" for A
ip -n "$NSB" route add ${A%.*}.0/24 dev xmpb

# ---- 1. build ----------------------------------------------------------
VERSION=$(dpkg-parsechangelog -l "$SRC/debian/changelog" -S Version)
TREE=$WORK/exfilmon-$VERSION
mkdir -p "$TREE"
if git -C "$SRC" rev-parse --git-dir >/dev/null 2>&1; then
    git -C "$SRC" ls-files -z --cached --others --exclude-standard |
        (cd "$SRC" && tar --null -T - -cf -) | tar -C "$TREE" -xf -
else
    tar -C "$SRC" --exclude='./build*' --exclude=./.git -cf - . | tar -C "$TREE" -xf -
fi
echo "building the package in $TREE (log: $WORK/build.log)"
if ! (cd "$TREE" && DEB_BUILD_OPTIONS="nocheck parallel=2" dpkg-buildpackage -us -uc -b \
        >"$WORK/build.log" 2>&1); then
    tail -n 30 "$WORK/build.log"
    fail "dpkg-buildpackage failed"
    exit 1
fi
DEB=$WORK/exfilmon_${VERSION}_$(dpkg --print-architecture).deb
[ -f "$DEB" ] || { fail "no $DEB"; exit 1; }
ok "dpkg-buildpackage -us -uc -b: $(basename "$DEB") ($(stat -c %s "$DEB") bytes)"

# ---- 2. contents -------------------------------------------------------
dpkg-deb -c "$DEB" | awk '{print $6}' | sed 's|^\./|/|' > "$WORK/contents.txt"
for f in /usr/bin/exfilmon /usr/share/exfilmon/rules/default.rules \
         /usr/share/exfilmon/ioc/teampcp.list /usr/share/exfilmon/vendors.list \
         /etc/exfilmon/exfilmon.conf /etc/logrotate.d/exfilmon \
         /lib/systemd/system/exfilmon.service /usr/lib/sysusers.d/exfilmon.conf \
         $HELPER /usr/share/man/man8/exfilmon.8.gz /usr/share/man/man5/exfilmon.conf.5.gz \
         /usr/share/man/man7/exfilmon-rules.7.gz /usr/share/doc/exfilmon/copyright; do
    grep -qx "$f" "$WORK/contents.txt" || fail "the package lacks $f"
done
grep -q "exfilmon-uninstalled" "$WORK/contents.txt" && fail "the build-tree marker is packaged"
echo "package contents: $(grep -vc '/$' "$WORK/contents.txt") files:" \
     "$(grep -c '^/usr/share/exfilmon/.*[^/]$' "$WORK/contents.txt") under /usr/share/exfilmon," \
     "$(grep -c '^/usr/share/man/.*[^/]$' "$WORK/contents.txt") man pages"
dpkg-deb -e "$DEB" "$WORK/control"
for c in /etc/exfilmon/exfilmon.conf /etc/logrotate.d/exfilmon; do
    grep -qx "$c" "$WORK/control/conffiles" && ok "conffile $c" || fail "$c is not a conffile"
done
dpkg-deb -x "$DEB" "$WORK/root"
if grep -a -q -F -e "$TREE" -e "$SRC/" "$WORK/root/usr/bin/exfilmon"; then
    fail "the installed binary holds a build-tree path"
else
    ok "no build-tree path in /usr/bin/exfilmon"
fi
grep -q "^ExecStart=/usr/bin/exfilmon -c /etc/exfilmon/exfilmon.conf$" \
    "$WORK/root/lib/systemd/system/exfilmon.service" || fail "unit ExecStart paths"

# ---- 3. install (apt-get install ./x.deb, as a user would) ----------------
if ! apt_get install "$DEB" >"$WORK/install.log" 2>&1; then
    cat "$WORK/install.log"
    INSTALLED=yes
    fail "apt-get install $DEB failed"
    exit 1
fi
INSTALLED=yes
pw=$(getent passwd exfilmon) && ok "postinst made the user: $pw" || fail "no exfilmon user"
case $pw in *:/usr/sbin/nologin) ;; *) fail "exfilmon has a login shell" ;; esac
UNIT=/lib/systemd/system/exfilmon.service
if systemd-analyze verify "$UNIT" >"$WORK/verify.txt" 2>&1; then
    ok "systemd-analyze verify $UNIT"
else
    cat "$WORK/verify.txt"; fail "systemd-analyze verify"
fi
systemd-analyze security --offline=true --threshold=35 "$UNIT" >"$WORK/security.txt" 2>&1
rc=$?
exposure=$(sed -n 's/.*Overall exposure level for exfilmon.service: \([0-9.]*\).*/\1/p' \
           "$WORK/security.txt")
if [ $rc = 0 ] && [ -n "$exposure" ]; then
    ok "systemd-analyze security --offline=true: exposure $exposure (threshold 3.5)"
else
    grep "✗" "$WORK/security.txt"
    fail "exposure '${exposure}' over 3.5 (status $rc)"
fi

# ---- 4. start without systemd -------------------------------------------
[ -d /run/systemd/system ] && echo "note: systemd runs here; starting through $HELPER anyway"
if ! ip netns exec "$NSA" "$HELPER" --background >"$WORK/start.txt" 2>&1; then
    cat "$WORK/start.txt"; fail "$HELPER --background"; exit 1
fi
STARTED=yes
PID=$(cat /run/exfilmon.pid)
curl_a() { ip netns exec "$NSA" curl -s "$@"; }
for _ in $(seq 100); do
    curl_a -f "http://$HTTP/healthz" >/dev/null 2>&1 && break
    sleep 0.1
done
health=$(curl_a "http://$HTTP/healthz")
case $health in ok*) ok "service up (pid $PID): $health" ;; *) fail "healthz: $health" ;; esac
uids=$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$PID/status")
u=$(id -u exfilmon)
[ "$uids" = "$u $u $u $u" ] && ok "runs as exfilmon (uid $u)" || fail "uids $uids, not exfilmon's"
amb=$(sed -n 's/^CapAmb:\t//p' "/proc/$PID/status")
# CAP_NET_ADMIN (12) and CAP_NET_RAW (13) ambient, nothing else beyond
# CAP_DAC_READ_SEARCH (2), CAP_SYS_PTRACE (19), CAP_PERFMON (38) and CAP_BPF (39)
[ $(( 0x$amb & 0x3000 )) = $(( 0x3000 )) ] && [ $(( 0x$amb & ~0xc000083004 )) = 0 ] &&
    ok "ambient capabilities 0x$amb" || fail "ambient capabilities 0x$amb"
[ "$(stat -c %U:%G:%a $LOGS)" = exfilmon:exfilmon:750 ] && ok "$LOGS exfilmon:exfilmon 0750" ||
    fail "$LOGS is $(stat -c %U:%G:%a $LOGS)"

# ---- 5. traffic and rotations --------------------------------------------
cat > "$WORK/sink.py" <<'PY'
import socket, sys, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(64)
def drain(c):
    while c.recv(65536): pass
    c.close()
while True:
    c, _ = s.accept(); threading.Thread(target=drain, args=(c,), daemon=True).start()
PY
cat > "$WORK/upload.py" <<'PY'
import socket, sys
host, port, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
for i in range(n):
    c = socket.create_connection((host, port))
    c.sendall(b"x" * size); print(c.getsockname()[1])
    c.shutdown(socket.SHUT_WR); c.recv(1); c.close()
PY
ip netns exec "$NSB" python3 "$WORK/sink.py" $B $PORT & SINK=$!
sleep 0.5

# upload PHASE: 3 connections from A to B; their source ports in PHASE.ports
upload() {
    ip netns exec "$NSA" python3 "$WORK/upload.py" $B $PORT 3 20000 >"$WORK/$1.ports" ||
        fail "uploads of $1"
}
cat > "$WORK/ports.py" <<'PY'
# ports.py FILE SRC DST PORT: source ports of the flow records SRC -> DST:PORT
import gzip, json, sys
path, src, dst, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
try:
    f = gzip.open(path, "rt") if path.endswith(".gz") else open(path)
    for line in f:
        r = json.loads(line)
        if r.get("event_type") == "flow" and r.get("src_ip") == src and \
           r.get("dest_ip") == dst and r.get("dest_port") == port:
            print(r["src_port"])
except FileNotFoundError:
    pass
PY
# in FILE PHASE: how many connections of PHASE have a flow record in FILE
in_file() {
    python3 "$WORK/ports.py" "$1" $A $B $PORT | sort -u > "$WORK/seen.ports"
    sort -u "$WORK/$2.ports" | comm -12 - "$WORK/seen.ports" | wc -l
}
has() { [ "$(in_file "$1" "$2")" = 3 ]; }
lacks() { [ "$(in_file "$1" "$2")" = 0 ]; }
# wait_for FILE PHASE: flow records are written when the flow ends (TCP
# closed: 10 s in the shipped configuration); up to 40 s
wait_for() {
    for _ in $(seq 200); do has "$1" "$2" && return 0; sleep 0.2; done
    return 1
}
rotate() {
    logrotate -f -s "$WORK/logrotate.state" /etc/logrotate.d/exfilmon >"$WORK/logrotate.txt" 2>&1 ||
        { cat "$WORK/logrotate.txt"; fail "logrotate -f"; }
}

upload p1
wait_for $LOGS/flows.json p1 && ok "phase 1 recorded in flows.json" || fail "phase 1 not in flows.json"
rotate
[ -f $LOGS/flows.json.1 ] && has $LOGS/flows.json.1 p1 && ok "rotation 1: phase 1 in flows.json.1" ||
    fail "rotation 1: phase 1 not in flows.json.1"
upload p2
wait_for $LOGS/flows.json p2 && ok "after rotation 1: phase 2 in the new flows.json" ||
    fail "after rotation 1: phase 2 not in the new flows.json"
lacks $LOGS/flows.json.1 p2 || fail "phase 2 went into the rotated file"
rotate                                   # the same day: no dateext to block it
[ -f $LOGS/flows.json.2.gz ] && has $LOGS/flows.json.2.gz p1 && has $LOGS/flows.json.1 p2 &&
    ok "rotation 2 (same day): phase 1 in flows.json.2.gz, phase 2 in flows.json.1" ||
    fail "rotation 2: $(ls $LOGS | tr '\n' ' ')"
upload p3
wait_for $LOGS/flows.json p3 && lacks $LOGS/flows.json p2 &&
    ok "after rotation 2: phase 3 in the new flows.json" || fail "after rotation 2: phase 3"

# ---- 6. a reopen that fails, then recovers -------------------------------
chown root:root $LOGS
chmod 0755 $LOGS
mv $LOGS/flows.json $LOGS/flows.json.moved
kill -HUP "$PID"
for _ in $(seq 50); do
    case $(curl_a "http://$HTTP/healthz") in degraded*) break ;; esac
    sleep 0.1
done
health=$(curl_a -w ' HTTP %{http_code}' "http://$HTTP/healthz")
case $health in
    *"failing_outputs=1: $LOGS/flows.json: reopen failed: Permission denied"*"HTTP 503")
        ok "unwritable log directory: /healthz: $health" ;;
    *) fail "unwritable log directory: /healthz: $health" ;;
esac
metrics=$(curl_a "http://$HTTP/metrics")
echo "$metrics" | grep -q "^exfilmon_out_healthy{output=\"$LOGS/flows.json\",kind=\"file\"} 0$" &&
    echo "$metrics" | grep -Eq "^exfilmon_out_open_errors_total\{output=\"$LOGS/flows.json\",kind=\"file\"\} [1-9]" &&
    ok "/metrics: flows.json unhealthy, open errors counted" || fail "/metrics does not show the failure"
grep -q "$LOGS/flows.json: reopen failed: Permission denied" $LOGS/exfilmon.log &&
    ok "logged with file and errno" || fail "reopen failure not logged"
chown exfilmon:exfilmon $LOGS
chmod 0750 $LOGS
for _ in $(seq 50); do
    case $(curl_a "http://$HTTP/healthz") in ok*) break ;; esac
    sleep 0.1
done
health=$(curl_a "http://$HTTP/healthz")
case $health in ok*) ok "directory back: /healthz $health" ;; *) fail "no recovery: $health" ;; esac
upload p4
wait_for $LOGS/flows.json p4 && ok "records flow into the reopened flows.json" ||
    fail "no records after recovery"
[ "$(stat -c %U $LOGS/flows.json)" = exfilmon ] || fail "flows.json not owned by exfilmon"

# ---- 7. stop ----------------------------------------------------------
"$HELPER" --stop >"$WORK/stop.txt" 2>&1 && ! kill -0 "$PID" 2>/dev/null &&
    ok "$HELPER --stop" || { cat "$WORK/stop.txt"; fail "stop"; }
STARTED=no
[ ! -e /run/exfilmon.pid ] || fail "pid file left behind"

[ "$FAILS" = 0 ] && echo "all package checks passed" || echo "$FAILS package checks failed"
[ "$FAILS" = 0 ]
