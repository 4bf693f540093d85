#!/usr/bin/env bash
# setup.sh - the two entry points of the README on a fresh Debian 12 box.
#
#   sudo bash tools/setup.sh demo   install dependencies, build, replay the
#                                   bundled pcaps and print the incidents
#   sudo bash tools/setup.sh test   install dependencies, build, run every
#                                   test, then again under ASan + UBSan
#   sudo bash tools/setup.sh bench  install dependencies and the peer flow
#                                   exporters (softflowd, nfdump's nfpcapd,
#                                   argus), then bench/run.sh -q (extra
#                                   arguments go to run.sh)
#
# Environment: XM_SKIP_APT=1 skips the package step (already installed);
# XM_NO_SANITIZE=1 skips the sanitizer pass of `test`; XM_NO_RELEASE=1
# skips its release + LTO compile check.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

packages=(
  build-essential meson ninja-build pkg-config git
  libpcap-dev libjansson-dev libevent-dev libmaxminddb-dev libpsl-dev libcap-dev libssl-dev
  libhiredis-dev redis-server redis-tools
  librdkafka-dev kcat
  publicsuffix tor-geoipdb libmaxmind-db-writer-perl mmdb-bin
  tshark python3 iproute2 curl time clang libclang-rt-14-dev jq
  debhelper dpkg-dev fakeroot logrotate systemd util-linux adduser strace
  chromium
  libbpf-dev bpftool
)

# Only for `bench`: the tools issue 12 compares exfilmon with.  nfdump's
# package enables an nfcapd collector service on a systemd machine; the
# bench only runs nfpcapd on a file, so that service is stopped again.
bench_packages=(softflowd nfdump argus-server)

install_deps() {
  [ "${XM_SKIP_APT:-0}" = 1 ] && return 0
  local missing=()
  for p in "${packages[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "setup: installing ${missing[*]}" >&2
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -qq
  # tshark asks whether non-root users may capture; answer no, quietly.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | $sudo debconf-set-selections
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

build() {   # build DIR [meson options...]
  local dir=$1; shift
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" "$@" >/dev/null
  fi
  ninja -C "$dir" >/dev/null
}

# Prints the plain closing line from meson's test log and returns its
# verdict: 0 when nothing failed.
summarise() {
  python3 - "$@" <<'EOF'
import json, sys
passed = failed = skipped = 0
for path in sys.argv[1:]:
    try:
        lines = open(path).read().splitlines()
    except OSError:
        continue
    for line in lines:
        r = json.loads(line).get("result")
        if r in ("OK", "EXPECTEDFAIL"): passed += 1
        elif r == "SKIP": skipped += 1
        else: failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed or passed == 0 else 0)
EOF
}

demo() {
  build build
  local out=build/demo
  mkdir -p "$out"
  rm -f "$out"/*.json
  echo "== exfilmon: replaying the bundled captures (incident records on standard output) ==" >&2
  for f in pcaps/stealer.pcap pcaps/office_gateway.pcap; do
    [ -f "$f" ] || continue
    echo "== $f" >&2
    ./build/src/exfilmon -q -r "$f" --flows "$out/flows.json" |
      tee -a "$out/incidents.json" || true
  done
  echo "== summary (exfilmon report; HTML in $out/report.html) ==" >&2
  ./build/src/exfilmon report -o "$out/report.html" "$out/incidents.json" "$out/flows.json" || true
}

# The release configuration with link-time optimisation, compiled only
# (no tests): -O3 and LTO see warnings (-Wmaybe-uninitialized, ...) the
# debug build cannot, and -Werror is on, so a regression fails here.
release_check() {
  [ "${XM_NO_RELEASE:-0}" = 1 ] && return 0
  echo "== release + LTO build, compile only (build-release-lto) ==" >&2
  local log=build/release-lto.log     # build/ exists: run_tests built it
  if [ ! -f build-release-lto/build.ninja ]; then
    meson setup build-release-lto --buildtype=release -Db_lto=true -Dtests=false >"$log" 2>&1 ||
      { cat "$log" >&2; return 1; }
  fi
  ninja -C build-release-lto >>"$log" 2>&1 || { grep -E 'error|warning' "$log" >&2; return 1; }
}

run_tests() {
  build build
  local rc=0
  meson test -C build --num-processes 2 --timeout-multiplier 2 --print-errorlogs || rc=1
  local logs=(build/meson-logs/testlog.json)
  release_check || rc=1
  if [ "${XM_NO_SANITIZE:-0}" != 1 ]; then
    echo "== the same tests under AddressSanitizer + UndefinedBehaviorSanitizer ==" >&2
    build build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
      meson test -C build-asan --num-processes 2 --timeout-multiplier 4 --print-errorlogs --no-suite crosscheck --no-suite gen --no-suite package || rc=1
    logs+=(build-asan/meson-logs/testlog.json)
  fi
  summarise "${logs[@]}" || rc=1
  return $rc
}

case "${1:-}" in
  demo) install_deps; demo ;;
  test) install_deps; run_tests ;;
  deps) install_deps ;;
  bench)
    shift
    install_deps "${bench_packages[@]}"
    if [ -d /run/systemd/system ]; then systemctl disable --now nfdump.service >/dev/null 2>&1 || true; fi
    exec bench/run.sh -q "$@" ;;
  *) echo "usage: $0 demo|test|deps|bench [workload...]" >&2; exit 2 ;;
esac
