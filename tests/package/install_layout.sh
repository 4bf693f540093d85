#!/bin/bash
# tests/package/install_layout.sh - `meson install` for both usual prefixes,
# into a DESTDIR (no root needed).  Usage: install_layout.sh SOURCE_ROOT
#
# For --prefix=/usr and --prefix=/usr/local:
#   - the binary, rules, data, unit, sysusers.d entry, helper, man pages
#     and the configuration land where that prefix puts them; logrotate's
#     file always in /etc/logrotate.d (logrotate reads no other place);
#   - the unit, the logrotate file and the helper name this prefix's
#     binary and configuration (no hard-coded /usr/local);
#   - the build-tree marker is not installed, and the installed binary,
#     run from the DESTDIR, does not fall back to the source tree: it
#     looks for its data under the prefix only;
#   - installing again keeps an edited configuration.
set -u
SRC=${1:?usage: install_layout.sh SOURCE_ROOT}
WORK=$(mktemp -d /tmp/xm_layout.XXXXXX)
FAILS=0

fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
ok() { echo "ok: $*"; }
trap '[ "$FAILS" = 0 ] && rm -rf "$WORK" || echo "kept $WORK"' EXIT

command -v meson >/dev/null || { echo "SKIP: no meson"; exit 77; }

# has FILE REGEX: a line of FILE matches
has() { grep -Eq "$2" "$1" || fail "$1 lacks /$2/"; }

check_prefix() {
    local prefix=$1 etc=$2 unitdir=$3 d=$WORK/dest${1//\//_} b=$WORK/build${1//\//_}
    if ! meson setup "$b" "$SRC" --prefix="$prefix" -Dtests=false >"$b.log" 2>&1 ||
       ! meson compile -C "$b" >>"$b.log" 2>&1 ||
       ! DESTDIR=$d meson install -C "$b" >>"$b.log" 2>&1; then
        tail -n 20 "$b.log"; fail "$prefix: build or install"; return
    fi
    local f
    for f in "$prefix/bin/exfilmon" "$prefix/share/exfilmon/rules/default.rules" \
             "$prefix/share/exfilmon/ai/llm_endpoints.list" "$etc/exfilmon/exfilmon.conf" \
             "$unitdir/exfilmon.service" "$prefix/lib/sysusers.d/exfilmon.conf" \
             "$prefix/libexec/exfilmon/exfilmon-run" "/etc/logrotate.d/exfilmon" \
             "$prefix/share/man/man8/exfilmon.8" "$prefix/share/doc/exfilmon/examples/exfilmon.conf"; do
        [ -f "$d$f" ] || fail "$prefix: $f not installed"
    done
    [ -e "$d$prefix/etc/logrotate.d" ] && [ "$prefix" != /usr ] &&
        fail "$prefix: a logrotate.d under the prefix"
    find "$d" -name exfilmon-uninstalled | grep -q . && fail "$prefix: the build-tree marker is installed"
    has "$d$unitdir/exfilmon.service" "^ExecStart=$prefix/bin/exfilmon -c $etc/exfilmon/exfilmon.conf\$"
    has "$d$unitdir/exfilmon.service" "^ExecStartPre=$prefix/bin/exfilmon --check -c $etc/exfilmon/exfilmon.conf\$"
    has "$d/etc/logrotate.d/exfilmon" "\"$prefix/bin/exfilmon\"\\|"
    has "$d$prefix/libexec/exfilmon/exfilmon-run" "^UNIT=$unitdir/exfilmon.service\$"
    has "$d$prefix/libexec/exfilmon/exfilmon-run" "^BIN=$prefix/bin/exfilmon\$"
    grep -rq "@[A-Z]*@" "$d$unitdir/exfilmon.service" "$d/etc/logrotate.d/exfilmon" \
        "$d$prefix/libexec/exfilmon/exfilmon-run" && fail "$prefix: an unsubstituted @VAR@"
    # No fallback to the tree it was built from: the data is looked for
    # under the prefix only (and is not there: this is a DESTDIR).
    local out
    out=$("$d$prefix/bin/exfilmon" --check 2>&1)
    case $out in
        *"not found under $prefix/share/exfilmon"*) ;;
        *) echo "$out" | tail -n 3; fail "$prefix: the DESTDIR binary found data elsewhere" ;;
    esac
    case $out in *"$SRC"*|*"$b"*) fail "$prefix: the binary names its build tree" ;; esac
    strip -o "$WORK/stripped" "$d$prefix/bin/exfilmon"
    grep -a -q -F -e "$SRC/" -e "$b" "$WORK/stripped" && fail "$prefix: build-tree path in the binary"
    # an edited configuration survives another install
    echo "# edited" >> "$d$etc/exfilmon/exfilmon.conf"
    DESTDIR=$d meson install -C "$b" >>"$b.log" 2>&1 || fail "$prefix: second install"
    tail -n 1 "$d$etc/exfilmon/exfilmon.conf" | grep -qx "# edited" ||
        fail "$prefix: the second install overwrote the configuration"
    [ "$FAILS" = 0 ] && ok "prefix $prefix: layout, paths, no build-tree fallback"
}

unit_usr=/usr/lib/systemd/system
pc=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null) && [ -n "$pc" ] && unit_usr=$pc
check_prefix /usr /etc "$unit_usr"
check_prefix /usr/local /usr/local/etc /usr/local/lib/systemd/system
[ "$FAILS" = 0 ]
