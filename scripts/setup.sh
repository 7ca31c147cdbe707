#!/usr/bin/env bash
# Installs everything Loa's build, tests and benchmarks need on Debian 12, and builds libsrtp
# with OpenSSL from Debian's own source package (see DEVELOPERS.md for why). Idempotent.
set -euo pipefail

LIBSRTP_PREFIX=${LOA_LIBSRTP_PREFIX:-/opt/loa/libsrtp-openssl}
packages=(
    build-essential cmake ninja-build pkg-config git ca-certificates dpkg-dev
    clang-format clang-tidy
    clang libclang-rt-14-dev # scripts/sanitize-build.sh: the compiler and libFuzzer's runtime
    libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev gstreamer1.0-tools
    gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
    gstreamer1.0-libav gstreamer1.0-alsa gstreamer1.0-espeak espeak-ng
    gstreamer1.0-nice # ICE for webrtcbin: speaking live over WebRTC
    libboost1.81-dev libboost-json1.81-dev libspdlog-dev libsqlite3-dev libsodium-dev
    libical-dev libssl-dev libgtest-dev libgmock-dev libbenchmark-dev
    libxlsxwriter-dev python3-openpyxl # the indicators as .xlsx, and read back in tests
    iproute2 nftables procps python3 tzdata
    chromium fonts-dejavu-core # tests/e2e: the console in a real browser
)

log() { printf 'setup: %s\n' "$*"; }

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

ensure_deb_src() {
    local f=/etc/apt/sources.list.d/loa-deb-src.sources
    [ -f "$f" ] && return 0
    log "adding deb-src entry for Debian's source packages ($f)"
    cat >"$f" <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    apt_updated=0
}

apt_updated=0
apt_update() {
    if [ "$apt_updated" = 0 ]; then
        apt-get update -qq
        apt_updated=1
    fi
}

export DEBIAN_FRONTEND=noninteractive
if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    apt_update
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# libsrtp with OpenSSL: Debian's binary package is built with NSS, whose per-context cost
# collapses at thousands of sessions. Build the same source with --enable-openssl instead.
if [ ! -f "$LIBSRTP_PREFIX/.loa-built" ]; then
    ensure_deb_src
    apt_update
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    log "building libsrtp from Debian's source package with OpenSSL into $LIBSRTP_PREFIX"
    (cd "$work" && apt-get source -qq libsrtp2 >/dev/null 2>&1)
    src=$(find "$work" -maxdepth 1 -type d -name 'libsrtp2-*' | head -n 1)
    [ -n "$src" ] || { log "apt-get source libsrtp2 produced no source tree"; exit 1; }
    (cd "$src" && ./configure --quiet --prefix="$LIBSRTP_PREFIX" --enable-openssl \
        --disable-pcap CFLAGS="-O2 -fPIC" >/dev/null &&
        make -s -j"$(nproc)" libsrtp2.a >/dev/null && make -s install >/dev/null)
    touch "$LIBSRTP_PREFIX/.loa-built"
fi
# Node.js and npm build the web console (server/web) and drive Chromium in tests/e2e; the
# machine's own Node.js is used when there is one, Debian's otherwise.
if ! command -v npm >/dev/null; then
    log "installing nodejs npm"
    apt_update
    apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
root=$(cd "$(dirname "$0")/.." && pwd)
for dir in server/web tests/e2e; do
    # npm ci installs exactly the committed lockfile; skipped while node_modules matches it.
    if [ ! -f "$root/$dir/node_modules/.package-lock.json" ] ||
        [ "$root/$dir/package-lock.json" -nt "$root/$dir/node_modules/.package-lock.json" ]; then
        log "npm ci in $dir"
        (cd "$root/$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    fi
done
log "ready (libsrtp with OpenSSL in $LIBSRTP_PREFIX; npm packages of server/web and tests/e2e)"
