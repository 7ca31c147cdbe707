#!/usr/bin/env bash
# Installs everything, builds, and starts loa-server on a demo province: a test-tone channel for
# the province, a relay-free commune channel, and three demo receivers recording WAV files.
# Keys are generated on first run (never defaults) and kept in $LOA_DEMO_DIR. Ctrl-C stops all.
set -euo pipefail
cd "$(dirname "$0")/.."
demo=${LOA_DEMO_DIR:-/var/lib/loa/demo}

bash scripts/setup.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/release -j "$(nproc)"
server=build/release/server/loa-server
receiver=build/release/clients/loa-receiver

mkdir -p "$demo"
chmod 700 "$demo"
for r in r1 r2 r3; do
    [ -s "$demo/$r.key" ] || "$server" --new-key >"$demo/$r.key"
done
cat >"$demo/server.json" <<JSON
{
  "state_dir": "$demo/state",
  "media": { "bind": "127.0.0.1", "port": 5004 },
  "sources": [
    { "id": "tone-1k", "type": "tone", "frequency": 1000 },
    { "id": "tone-440", "type": "tone", "frequency": 440 }
  ],
  "channels": [
    { "id": "province", "source": "tone-1k" },
    { "id": "commune-01", "source": "tone-440" }
  ],
  "receivers": [
    { "id": "r1", "channel": "province", "key": "$(cat "$demo/r1.key")" },
    { "id": "r2", "channel": "province", "key": "$(cat "$demo/r2.key")" },
    { "id": "r3", "channel": "commune-01", "key": "$(cat "$demo/r3.key")" }
  ]
}
JSON
chmod 600 "$demo/server.json"

"$server" --config "$demo/server.json" &
server_pid=$!
pids=("$server_pid")
trap 'kill "${pids[@]}" 2>/dev/null; wait' INT TERM EXIT
for r in r1 r2 r3; do
    "$receiver" --id "$r" --server 127.0.0.1:5004 --key-file "$demo/$r.key" \
        --state-dir "$demo/receivers" --output "$demo/$r.wav" &
    pids+=("$!")
done
echo "loa: server and 3 demo receivers running; recordings in $demo/*.wav; Ctrl-C stops."
wait "$server_pid"
