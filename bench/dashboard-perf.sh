#!/usr/bin/env bash
# Dashboard timings in Debian's Chromium against a real hub fed by simulated agents.
#
# One hub (no Redis, built-in agent on, fleet updates every second) with N simulated agents (bench/LoadGen,
# 1 sample/s each), then bench/DashboardPerf in headless Chromium: cold loads of the fleet page and of a machine
# page (time from navigation to the first data drawn, median of 5), the fleet page for a window while it is
# scrolled (script time per redraw, long tasks), a live machine page for a window (script time per redraw).
# JavaScript size is the gzip -9 size of each entry chunk Vite wrote.
#
# Usage: bench/dashboard-perf.sh [agents=1000] [window_s=30]
# SYSMON_PIN_CPUS=1 runs the hub and the load generator on CPU 0 and Chromium on CPU 1 (taskset), so the
# browser's figures are not those of a browser fighting a 1,000-agent hub for the same cores.
# Last line: one JSON object.
set -euo pipefail
cd "$(dirname "$0")/.."
agents=${1:-1000}; window=${2:-30}
logs=$(mktemp -d /tmp/sysmon-dashperf.XXXXXX)
echo "dashboard-perf: logs in $logs" >&2
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

dotnet build src/Hub -c Release --nologo -v quiet -clp:ErrorsOnly >&2
dotnet build bench/LoadGen -c Release --nologo -v quiet -clp:ErrorsOnly >&2
dotnet build bench/DashboardPerf -c Release --nologo -v quiet -clp:ErrorsOnly >&2

js_json=$(for f in src/Dashboard/dist/assets/*.js; do
  printf '"%s": %d\n' "$(basename "$f")" "$(gzip -9 -c "$f" | wc -c)"; done | paste -sd, -)
js_total=$(for f in src/Dashboard/dist/assets/*.js; do gzip -9 -c "$f" | wc -c; done | awk '{s+=$1} END {print s}')

server_cpu=(); browser_cpu=()
if [ "${SYSMON_PIN_CPUS:-0}" = 1 ]; then server_cpu=(taskset -c 0); browser_cpu=(taskset -c 1); fi

port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

web=$(port); grpc=$(port)
Kestrel__Endpoints__Web__Url=http://127.0.0.1:$web Kestrel__Endpoints__Grpc__Url=http://127.0.0.1:$grpc \
  EmbeddedAgent__MachineId=dashperf-self Hub__FleetIntervalMs=1000 Security__AgentAuthentication=Off Logging__LogLevel__Default=Warning \
  "${server_cpu[@]}" dotnet artifacts/bin/SysMon.Hub/release/SysMon.Hub.dll >"$logs/hub.log" 2>&1 &
pids+=($!)
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$web/healthz" >/dev/null && break; sleep 0.2; done

# Long enough for every phase of DashboardPerf (loads, two windows and their warm-ups).
duration=$(( window * 2 + 120 ))
"${server_cpu[@]}" dotnet artifacts/bin/SysMon.LoadGen/release/SysMon.LoadGen.dll --grpc "http://127.0.0.1:$grpc" --web "http://127.0.0.1:$web" \
  --agents "$agents" --viewers 0 --warmup 5 --duration "$duration" >"$logs/loadgen.out" 2>"$logs/loadgen.err" &
pids+=($!)
for _ in $(seq 300); do
  n=$(curl -sf "http://127.0.0.1:$web/api/machines" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' 2>/dev/null || echo 0)
  [ "$n" -gt "$agents" ] && break; sleep 0.5
done
echo "dashboard-perf: $n machines registered" >&2

perf=$("${browser_cpu[@]}" dotnet artifacts/bin/SysMon.DashboardPerf/release/SysMon.DashboardPerf.dll --url "http://127.0.0.1:$web/" \
  --machine dashperf-self --seconds "$window" | tail -n 1)
python3 - "$perf" "$js_total" "{$js_json}" "$agents" "${SYSMON_PIN_CPUS:-0}" <<'PY'
import json, sys
result = json.loads(sys.argv[1])
result["js_gzip_bytes_total"] = int(sys.argv[2])
result["js_gzip_bytes_per_chunk"] = json.loads(sys.argv[3])
result["simulated_agents"] = int(sys.argv[4])
result["pinned_cpus"] = sys.argv[5] == "1"
print(json.dumps(result))
PY
