#!/usr/bin/env bash
# Runs clang-tidy with the checks of .clang-tidy over Loa's sources; any finding fails.
# A file is skipped when its key (scripts/tidy_keys.py: clang-tidy's version, .clang-tidy, the
# compile command and every file the source reads, system headers included) is recorded in
# .ci/tidy-clean, the keys of the files found clean when it was last written: the same input
# to the same tool gives the same verdict, so only what changed is checked again.
# LOA_TIDY_ALL=1 checks every file. --record checks, then writes .ci/tidy-clean if all is clean
# (commit it with the change; a stale record only costs time, never a finding).
# usage: scripts/tidy.sh [--record]
set -euo pipefail
cd "$(dirname "$0")/.."
record_after=0
if [ "${1:-}" = --record ]; then
    record_after=1
    shift
fi
record=.ci/tidy-clean
# Its own compile database, configured but never built, always with the same options: the keys
# must not depend on how a developer configured build/release, and it needs no build first.
build=build/tidy
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLOA_WERROR=ON \
    -DLOA_BUILD_BENCH=OFF >/dev/null
log=$(mktemp)
keys=$(mktemp)
trap 'rm -f "$log" "$keys"' EXIT

mapfile -t sources < <(git ls-files --cached --others --exclude-standard 'common/*.cpp' \
    'pipeline/*.cpp' 'schedules/*.cpp' 'server/*.cpp' 'clients/*.cpp')
python3 scripts/tidy_keys.py "$build" "${sources[@]}" >"$keys"
if [ "${LOA_TIDY_ALL:-0}" = 1 ] || [ ! -f "$record" ]; then
    mapfile -t changed < <(cut -d' ' -f2- "$keys")
else
    mapfile -t changed < <(grep -v -x -F -f "$record" "$keys" | cut -d' ' -f2-)
fi
echo "clang-tidy: ${#changed[@]} of ${#sources[@]} files to check (the rest are recorded clean)"
if [ ${#changed[@]} -gt 0 ] && ! printf '%s\n' "${changed[@]}" |
    xargs -P "$(nproc)" -n 3 clang-tidy -p "$build" --quiet --warnings-as-errors='*' >"$log" 2>&1; then
    grep -v -E '^[0-9]+ warnings? (and [0-9]+ errors? )?generated|^Suppressed|^Use -header-filter' "$log"
    echo "clang-tidy: findings above" >&2
    exit 1
fi
if [ "$record_after" = 1 ]; then
    # Only the keys that still hold: a file changed while clang-tidy ran was checked as it was
    # then, or not at all, so it is left out (and checked next time).
    after=$(mktemp)
    python3 scripts/tidy_keys.py "$build" "${sources[@]}" >"$after"
    grep -x -F -f "$keys" "$after" | grep -v '^none ' | sort -k2 >"$record" || true
    echo "clang-tidy: $(wc -l <"$record") keys recorded in $record" \
        "($(grep -v -x -F -c -f "$keys" "$after" || true) changed while it ran, left out)"
    rm -f "$after"
fi
