#!/usr/bin/env bash
# Installs everything, builds, and runs every test: once in a normal build (gcc, warnings as
# errors, with the browser tests), once in the clang sanitizer build (AddressSanitizer +
# UndefinedBehaviorSanitizer, build/sanitize, LOA_SKIP_SANITIZERS=1 skips it); then runs every
# libFuzzer target, built by that same build, for LOA_FUZZ_SECONDS each (default 30; the
# JSON-RPC one twice that; LOA_SKIP_FUZZ=1 skips them). Idempotent; run as root on Debian 12.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

bash scripts/setup.sh

# A run writes several GiB (three builds and the tests' files); a full disk fails a compile
# with "No space left on device", so the free space is said first.
tmp=${TMPDIR:-/tmp}
echo "== disk: $(df -h --output=avail . | tail -1 | tr -d ' ') free here," \
    "$(df -h --output=avail "$tmp" | tail -1 | tr -d ' ') in $tmp"

echo "== format"
bash scripts/check-format.sh

echo "== build (RelWithDebInfo, -Werror)"
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLOA_WERROR=ON >/dev/null
cmake --build build/release -j "$jobs"
# clang-tidy reads the sources while the tests, which mostly wait on sockets, timers and real
# time, leave the cores idle: it runs beside them at the lowest priority, so that a test that
# needs a core gets it first.
echo "== clang-tidy (beside the tests, at the lowest priority)"
tidy_log=$(mktemp)
nice -n 19 bash scripts/tidy.sh build/release >"$tidy_log" 2>&1 &
tidy=$!
trap 'kill "$tidy" 2>/dev/null || true; rm -f "$tidy_log"' EXIT
echo "== tests"
ctest --test-dir build/release --output-on-failure -j "$jobs"
echo "== clang-tidy: waiting for it to finish"
if ! wait "$tidy"; then
    cat "$tidy_log"
    exit 1
fi

if [ "${LOA_SKIP_SANITIZERS:-0}" != 1 ]; then
    echo "== build (clang, AddressSanitizer + UndefinedBehaviorSanitizer, fuzz targets)"
    bash scripts/sanitize-build.sh
    echo "== tests under sanitizers"
    # GStreamer and GLib keep process-lifetime allocations (type system, registry) that
    # LeakSanitizer reports as leaks; leak checking is off, every other check is on.
    ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
        ctest --test-dir build/sanitize --output-on-failure -j "$jobs"
fi

if [ "${LOA_SKIP_FUZZ:-0}" != 1 ]; then
    echo "== fuzz"
    bash scripts/fuzz.sh "${LOA_FUZZ_SECONDS:-30}"
fi
