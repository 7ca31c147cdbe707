#!/usr/bin/env bash
# Installs everything, builds, and runs every test: once in a normal build (gcc, warnings as
# errors, with the browser tests), once in the clang sanitizer build (AddressSanitizer +
# UndefinedBehaviorSanitizer, build/sanitize, LOA_SKIP_SANITIZERS=1 skips it); then runs every
# libFuzzer target, built by that same build, for LOA_FUZZ_SECONDS each (default 30; the
# JSON-RPC one twice that; LOA_SKIP_FUZZ=1 skips them). Idempotent; run as root on Debian 12.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
# Each step is announced with the time of day, so that a slow run shows where its time went.
step() { echo "== $(date +%T) $*"; }

bash scripts/setup.sh

# A run writes several GiB (three builds and the tests' files); a full disk fails a compile
# with "No space left on device", so the free space is said first.
tmp=${TMPDIR:-/tmp}
step "disk: $(df -h --output=avail . | tail -1 | tr -d ' ') free here," \
    "$(df -h --output=avail "$tmp" | tail -1 | tr -d ' ') in $tmp"

step "format"
bash scripts/check-format.sh

step "build (RelWithDebInfo, -Werror)"
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLOA_WERROR=ON >/dev/null
cmake --build build/release -j "$jobs"

# The tests mostly wait on sockets, timers and real time and leave the cores idle: clang-tidy
# and the sanitizer build run beside them at the lowest CPU and disk priority, so that a test
# that needs a core or the disk gets it first. Each writes to a log of its own, shown if it
# fails, and runs in a session of its own (a background job here leads no process group, so
# setsid keeps its pid), whose whole process group is killed when this script ends early.
logs=$(mktemp -d)
background=()
trap 'for job in "${background[@]}"; do kill -- "-$job" 2>/dev/null || true; done; rm -rf "$logs"' EXIT
step "clang-tidy (beside the tests, at the lowest priority)"
setsid nice -n 19 ionice -c3 bash scripts/tidy.sh >"$logs/tidy" 2>&1 &
background+=($!)
tidy=$!
sanitize=
if [ "${LOA_SKIP_SANITIZERS:-0}" != 1 ]; then
    step "build (clang, AddressSanitizer + UndefinedBehaviorSanitizer, fuzz targets;" \
        "beside the tests, at the lowest priority)"
    setsid nice -n 19 ionice -c3 bash scripts/sanitize-build.sh >"$logs/sanitize" 2>&1 &
    background+=($!)
    sanitize=$!
fi
step "tests"
ctest --test-dir build/release --output-on-failure -j "$jobs"

# Waits for the background job $1 (named $2); shows its log ($3 lines of its end) if it failed.
finish() {
    step "$2: waiting for it to finish"
    if ! wait "$1"; then
        tail -n "$3" "$logs/$2"
        echo "== $2 failed" >&2
        exit 1
    fi
}
finish "$tidy" tidy 400
grep "^clang-tidy:" "$logs/tidy"

if [ -n "$sanitize" ]; then
    finish "$sanitize" sanitize 80
    step "tests under sanitizers"
    # GStreamer and GLib keep process-lifetime allocations (type system, registry) that
    # LeakSanitizer reports as leaks; leak checking is off, every other check is on.
    ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
        ctest --test-dir build/sanitize --output-on-failure -j "$jobs"
fi

if [ "${LOA_SKIP_FUZZ:-0}" != 1 ]; then
    step "fuzz"
    bash scripts/fuzz.sh "${LOA_FUZZ_SECONDS:-30}"
fi
