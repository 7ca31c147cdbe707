#!/usr/bin/env bash
# Installs everything, builds, and starts loa-server on a demo province (two communes) with
# three provisioned demo receivers recording WAV files, and on first run a Vietnamese bulletin
# scheduled every two minutes. The admin password and the receivers' bundles are made on first
# run (never defaults) and kept in $LOA_DEMO_DIR. Ctrl-C stops all.
set -euo pipefail
cd "$(dirname "$0")/.."
demo=${LOA_DEMO_DIR:-/var/lib/loa/demo}

bash scripts/setup.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/release -j "$(nproc)"
server=build/release/server/loa-server
receiver=build/release/clients/loa-receiver

loactl=build/release/clients/loactl

mkdir -p "$demo"
chmod 700 "$demo"
# The demo's admin password: random on first run, kept in a file only root can read.
[ -s "$demo/admin-password" ] || (umask 077 && head -c 15 /dev/urandom | base64 >"$demo/admin-password")
cat >"$demo/server.json" <<JSON
{
  "state_dir": "$demo/state",
  "media": { "bind": "127.0.0.1", "port": 5004 },
  "control": { "admin_password_file": "$demo/admin-password" },
  "province": {
    "code": "70", "name": "Tỉnh Bình Phước (demo)", "quiet_hours": "none",
    "communes": [
      { "code": "70-001", "name": "Xã Tân Lập", "quiet_hours": "none" },
      { "code": "70-002", "name": "Xã Tân Hòa", "quiet_hours": "none" }
    ]
  },
  "receivers": []
}
JSON
chmod 600 "$demo/server.json"

"$server" --config "$demo/server.json" &
server_pid=$!
pids=("$server_pid")
trap 'kill "${pids[@]}" 2>/dev/null; wait' INT TERM EXIT
call() { "$server" --config "$demo/server.json" --call "$@"; }
for _ in $(seq 100); do call units.list >/dev/null 2>&1 && break; sleep 0.2; done

# Three receivers provisioned like real ones: each gets a bundle and needs nothing else; they
# come back by themselves whenever the server restarts.
export LOA_CONFIG_DIR="$demo/loactl"
password=$(cat "$demo/admin-password")
if ! LOA_PASSWORD=$password "$loactl" login admin >/dev/null; then
    # A demo state from before the password file: the server's own socket resets it.
    call users.set_password "{\"name\": \"admin\", \"password\": \"$password\"}" >/dev/null
    LOA_PASSWORD=$password "$loactl" login admin >/dev/null
fi
known=$(call receivers.list)
for pair in r1:70 r2:70-001 r3:70-002; do
    r=${pair%%:*}
    unit=${pair#*:}
    if [ ! -s "$demo/$r.bundle.json" ] || [[ $known != *"\"id\":\"$r\""* ]]; then
        [[ $known != *"\"id\":\"$r\""* ]] || call receivers.unprovision "{\"id\": \"$r\"}" >/dev/null
        "$loactl" provision "$r" --unit "$unit" --out "$demo/$r.bundle.json" >/dev/null
    fi
    "$receiver" --provision "$demo/$r.bundle.json" --state-dir "$demo/receivers" \
        --output "$demo/$r.wav" &
    pids+=("$!")
done
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
echo "loa: server and 3 provisioned demo receivers running; recordings in $demo/*.wav; Ctrl-C stops."
echo "loa: log in as admin with the password in $demo/admin-password; loactl is logged in:"
echo "       LOA_CONFIG_DIR=$demo/loactl $loactl receivers"
echo "loa: web console at http://127.0.0.1:8080 (admin; password in $demo/admin-password);"
echo "       figures at http://127.0.0.1:8080/metrics, health at /healthz"
echo "loa: try an emergency: $server --config $demo/server.json --call emergency.start \\"
echo "       '{\"units\": [\"70-001\"], \"text\": \"Cảnh báo lũ\"}'   (then emergency.stop)"
wait "$server_pid"
