#!/usr/bin/env bash
# Baseline footprint of the framework-dependent agent at 1 sample/s, streaming to a local hub.
# CPU time from /proc/PID/stat (utime+stime) over the window, RSS and PSS at the end.
# Usage: bench/agent-baseline.sh [warmup_s=15] [window_s=60]. Last line: one JSON object.
set -euo pipefail
cd "$(dirname "$0")/.."
warmup=${1:-15}; window=${2:-60}
dotnet build SysMon.sln -c Release --nologo -v quiet -clp:ErrorsOnly >/dev/null
hub_dll=artifacts/bin/SysMon.Hub/release/SysMon.Hub.dll
agent_dll=artifacts/bin/SysMon.Agent/release/sysmon-agent.dll
port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
web=$(port); grpc=$(port)
Kestrel__Endpoints__Web__Url=http://127.0.0.1:$web Kestrel__Endpoints__Grpc__Url=http://127.0.0.1:$grpc \
  EmbeddedAgent__Enabled=false Security__AgentAuthentication=Off Logging__LogLevel__Default=Warning dotnet "$hub_dll" >/tmp/sysmon-bench-hub.log 2>&1 &
hub=$!
trap 'kill $hub $agent 2>/dev/null || true' EXIT
until curl -sf "http://127.0.0.1:$web/healthz" >/dev/null; do sleep 0.2; done
Logging__LogLevel__Default=Warning dotnet "$agent_dll" --hub "http://127.0.0.1:$grpc" --machine-id bench-agent >/tmp/sysmon-bench-agent.log 2>&1 &
agent=$!
sleep "$warmup"
ticks() { awk '{print $14+$15}' "/proc/$agent/stat"; }
hz=$(getconf CLK_TCK)
t0=$(ticks); s0=$(date +%s.%N)
sleep "$window"
t1=$(ticks); s1=$(date +%s.%N)
rss_kb=$(awk '/^VmRSS/{print $2}' "/proc/$agent/status")
pss_kb=$(awk '/^Pss:/{print $2}' "/proc/$agent/smaps_rollup")
procs=$(ls -d /proc/[0-9]* | wc -l)
python3 - "$t0" "$t1" "$s0" "$s1" "$hz" "$rss_kb" "$pss_kb" "$procs" <<'PY'
import json, sys
t0, t1, s0, s1, hz, rss, pss, procs = map(float, sys.argv[1:])
print(json.dumps({
  "agent_cpu_percent": round((t1 - t0) / hz / (s1 - s0) * 100, 3),
  "agent_rss_mb": round(rss / 1024, 1),
  "agent_pss_mb": round(pss / 1024, 1),
  "processes_on_host": int(procs),
  "window_seconds": round(s1 - s0, 1),
}))
PY
