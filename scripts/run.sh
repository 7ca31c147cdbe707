#!/usr/bin/env bash
# Installs everything, builds, and starts loa-server on a demo province (two communes) with
# three demo receivers recording WAV files, and on first run a Vietnamese bulletin scheduled
# every two minutes. Keys are generated on first run (never defaults) and kept in
# $LOA_DEMO_DIR. Ctrl-C stops all.
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
  "province": {
    "code": "70", "name": "Tỉnh Bình Phước (demo)", "quiet_hours": "none",
    "communes": [
      { "code": "70-001", "name": "Xã Tân Lập", "quiet_hours": "none" },
      { "code": "70-002", "name": "Xã Tân Hòa", "quiet_hours": "none" }
    ]
  },
  "receivers": [
    { "id": "r1", "channel": "70", "key": "$(cat "$demo/r1.key")" },
    { "id": "r2", "channel": "70-001", "key": "$(cat "$demo/r2.key")" },
    { "id": "r3", "channel": "70-002", "key": "$(cat "$demo/r3.key")" }
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
call() { "$server" --config "$demo/server.json" --call "$@"; }
for _ in $(seq 100); do call units.list >/dev/null 2>&1 && break; sleep 0.2; done
if [ "$(call programs.list)" = "[]" ]; then
    program=$(call programs.create '{"unit": "70", "kind": "tts", "title": "Bản tin thử nghiệm",
        "text": "Kính thưa bà con. Đây là bản tin thử nghiệm của hệ thống thông tin nguồn."}')
    id=${program#*\"id\":}; id=${id%%,*}
    call programs.decide "{\"id\": $id, \"approval\": \"approved\"}" >/dev/null
    start=$(TZ=Asia/Ho_Chi_Minh date -d '+1 minute' +%Y-%m-%dT%H:%M:00)
    call entries.create "{\"program\": $id, \"units\": [\"70\"], \"start\": \"$start\",
        \"rule\": \"FREQ=MINUTELY;INTERVAL=2\", \"duration_s\": 30}" >/dev/null
    echo "loa: a demo bulletin plays every two minutes from $start (Vietnam time)"
fi
echo "loa: server and 3 demo receivers running; recordings in $demo/*.wav; Ctrl-C stops."
echo "loa: figures at http://127.0.0.1:8080/metrics (health at /healthz); the web console comes later"
echo "loa: try an emergency: $server --config $demo/server.json --call emergency.start \\"
echo "       '{\"units\": [\"70-001\"], \"text\": \"Cảnh báo lũ\"}'   (then emergency.stop)"
wait "$server_pid"
