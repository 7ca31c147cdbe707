#!/usr/bin/env bash
# Runs clang-tidy with the checks of .clang-tidy over Loa's sources; any finding fails.
# usage: scripts/tidy.sh [BUILD_DIR]   (a configured build with compile_commands.json)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! git ls-files --cached --others --exclude-standard 'common/*.cpp' 'pipeline/*.cpp' 'schedules/*.cpp' 'server/*.cpp' 'clients/*.cpp' |
    xargs -P "$(nproc)" -n 3 clang-tidy -p "$build" --quiet --warnings-as-errors='*' >"$log" 2>&1; then
    grep -v -E '^[0-9]+ warnings? (and [0-9]+ errors? )?generated|^Suppressed|^Use -header-filter' "$log"
    echo "clang-tidy: findings above" >&2
    exit 1
fi
