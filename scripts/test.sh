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

echo "== format"
bash scripts/check-format.sh

echo "== build (RelWithDebInfo, -Werror)"
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLOA_WERROR=ON >/dev/null
cmake --build build/release -j "$jobs"
echo "== clang-tidy"
bash scripts/tidy.sh build/release
echo "== tests"
ctest --test-dir build/release --output-on-failure -j "$jobs"

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
