#!/usr/bin/env bash
# Builds the libFuzzer target of the JSON-RPC handling (clang, AddressSanitizer +
# UndefinedBehaviorSanitizer) and runs it for SECONDS (default 60) from the seed corpus.
# Fails if the fuzzer finds a crash, a timeout, a leak or a broken invariant; the input that did
# it is kept under build/fuzz/artifacts/ (DEVELOPERS.md, "Fuzzing", says how to replay it).
# usage: scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
build=build/fuzz
corpus=$build/corpus/jsonrpc # the seeds plus what earlier runs found; kept between runs
artifacts=$build/artifacts/
fuzzer=$build/tests/fuzz/loa_jsonrpc_fuzz

CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DLOA_BUILD_FUZZ=ON -DLOA_SANITIZE="address;undefined" \
    -DLOA_BUILD_TESTS=OFF -DLOA_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j "${LOA_FUZZ_JOBS:-$(nproc)}" --target loa_jsonrpc_fuzz

mkdir -p "$corpus" "$artifacts"
cp tests/fuzz/corpus/jsonrpc/* "$corpus"/
# The target's scratch store (it mkdtemps under TMPDIR): in memory when /dev/shm exists, since
# SQLite's syncs on a disk halve the speed; removed even when a crash ends the run.
scratch=$(mktemp -d "$([ -d /dev/shm ] && echo /dev/shm || echo "$PWD/$build")/loa-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

echo "fuzz: loa_jsonrpc_fuzz for ${seconds} s"
# libical prints a line for each malformed calendar it is fed ("Encountered END before BEGIN"):
# hundreds a minute here, so they are dropped; libFuzzer's and the sanitizers' lines all pass.
set +e
TMPDIR=$scratch UBSAN_OPTIONS=print_stacktrace=1 "$fuzzer" -max_total_time="$seconds" \
    -max_len=4096 -timeout=10 -rss_limit_mb=2048 -dict=tests/fuzz/jsonrpc.dict \
    -artifact_prefix="$artifacts" -print_final_stats=1 "$corpus" 2>&1 |
    grep -E -v --line-buffered '^\./src/libical/[a-z_]+\.c:[0-9]+: '
status=${PIPESTATUS[0]}
set -e
if [ "$status" != 0 ]; then
    echo "fuzz: FAILED (exit $status): the input is the file after 'Test unit written to'" \
        "above; replay it with: $fuzzer FILE" >&2
    exit 1
fi
