#!/usr/bin/env bash
# Configures and builds build/sanitize, the one clang build that both runs the tests under
# sanitizers and fuzzes: AddressSanitizer + UndefinedBehaviorSanitizer, every library also
# instrumented for libFuzzer (-fsanitize=fuzzer-no-link), the tests (but the browser tests) and
# the fuzz targets, no benchmarks; warnings are errors. A Debug build (asserts on) at -O1 with
# line tables only: sanitizer reports still name file and line, and clang compiles the Beast
# and Asio heavy files in a fraction of the time and memory that -O2 -g takes. The heaviest that
# neither the fuzz targets nor timed tests lean on (TLS sessions, the HTTP and API clients)
# compile at -O0, in half the time again (server/http and clients CMakeLists.txt).
# usage: scripts/sanitize-build.sh [TARGET...]   (default: everything)
set -euo pipefail
cd "$(dirname "$0")/.."
build=build/sanitize
flags="-O1 -gline-tables-only"

CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_C_FLAGS_DEBUG="$flags" -DCMAKE_CXX_FLAGS_DEBUG="$flags" -DLOA_WERROR=ON \
    -DLOA_SANITIZE="address;undefined" -DLOA_BUILD_FUZZ=ON -DLOA_BUILD_TESTS=ON \
    -DLOA_BUILD_BENCH=OFF -DLOA_BUILD_E2E=OFF >/dev/null
cmake --build "$build" -j "${LOA_BUILD_JOBS:-$(nproc)}" ${1:+--target "$@"}
