#!/usr/bin/env bash
# Builds the libFuzzer targets in build/sanitize (scripts/sanitize-build.sh: clang,
# AddressSanitizer + UndefinedBehaviorSanitizer; nothing to do if scripts/test.sh has just built
# it) and runs each for SECONDS (default: LOA_FUZZ_SECONDS, else 30; jsonrpc, the widest, for
# twice that) from its seed corpus, LOA_FUZZ_JOBS (default: the number of cores) at a time.
# Fails if a fuzzer finds a crash, a timeout, a leak or a broken invariant; the input that did
# it is kept as build/sanitize/fuzz/artifacts/TARGET-crash-<sha1> (DEVELOPERS.md, "Fuzzing",
# says how to replay it).
# usage: scripts/fuzz.sh [SECONDS] [TARGET...]   (targets: jsonrpc rtcp media ics http config)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-${LOA_FUZZ_SECONDS:-30}}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(jsonrpc rtcp media ics http config)
build=build/sanitize
out=$build/fuzz # corpus/TARGET (the seeds plus what earlier runs found; kept), artifacts, logs

executables=()
for name in "${targets[@]}"; do
    executables+=("loa_${name}_fuzz")
done
bash scripts/sanitize-build.sh "${executables[@]}" >/dev/null
mkdir -p "$out/artifacts" "$out/logs"

# The targets' scratch folders (stores, uploads, a receiver's state; they mkdtemp under
# TMPDIR): in memory when /dev/shm exists, since syncs on a disk halve the speed; removed
# even when a crash ends the run.
scratch=$(mktemp -d "$([ -d /dev/shm ] && echo /dev/shm || echo "$PWD/$build")/loa-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

# Inputs longer than this are cut: enough for a batch of calls, a calendar, a few requests or
# sixteen datagrams.
declare -A max_len=([jsonrpc]=4096 [rtcp]=4096 [media]=8192 [ics]=8192 [http]=8192
    [config]=4096)

# Runs one target; its output goes to logs/TARGET.log, its exit status to logs/TARGET.status.
run() {
    local name=$1 time=$seconds dict=tests/fuzz/$1.dict
    [ "$name" != jsonrpc ] || time=$((seconds * 2))
    mkdir -p "$out/corpus/$name" "$scratch/$name"
    cp tests/fuzz/corpus/"$name"/* "$out/corpus/$name"/
    # libical prints a line for each malformed calendar it is fed ("Encountered END before
    # BEGIN"): hundreds a minute, so they are dropped; libFuzzer's and the sanitizers' all pass.
    set +e
    TMPDIR=$scratch/$name UBSAN_OPTIONS=print_stacktrace=1 "$build/tests/fuzz/loa_${name}_fuzz" \
        -max_total_time="$time" -max_len="${max_len[$name]:-4096}" -timeout=10 \
        -rss_limit_mb=2048 $([ -f "$dict" ] && echo "-dict=$dict") \
        -artifact_prefix="$out/artifacts/$name-" -print_final_stats=1 "$out/corpus/$name" 2>&1 |
        grep -E -v --line-buffered '^\./src/libical/[a-z_]+\.c:[0-9]+: ' >"$out/logs/$name.log"
    echo "${PIPESTATUS[0]}" >"$out/logs/$name.status"
}

# One line per target: its status, speed and coverage, from libFuzzer's final statistics.
summary() {
    local name=$1 status=$2 log=$out/logs/$1.log
    local execs rate cov
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
    printf 'fuzz: %-8s %s  %s runs, %s/s, %s\n' "$name" \
        "$([ "$status" = 0 ] && echo ok || echo "FAILED (exit $status)")" "${execs:-?}" \
        "${rate:-?}" "${cov:-cov: ?}"
}

echo "fuzz: ${targets[*]} for ${seconds} s each (jsonrpc twice that)," \
    "${LOA_FUZZ_JOBS:-$(nproc)} at a time"
jobs_at_once=${LOA_FUZZ_JOBS:-$(nproc)}
for name in "${targets[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "$jobs_at_once" ]; do
        sleep 1
    done
    rm -f "$out/logs/$name.status"
    run "$name" &
done
wait
failed=()
for name in "${targets[@]}"; do
    status=$(cat "$out/logs/$name.status" 2>/dev/null || echo "?")
    summary "$name" "$status"
    if [ "$status" != 0 ]; then
        failed+=("$name")
        tail -n 40 "$out/logs/$name.log" >&2
    fi
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: FAILED: ${failed[*]}; the input is the file after 'Test unit written to'" \
        "above; replay it with: $build/tests/fuzz/loa_TARGET_fuzz FILE" >&2
    exit 1
fi
