#!/usr/bin/env bash
# Load benchmark: N simulated agents (gRPC) → H hubs sharing one Redis → M SignalR viewers, all on loopback.
# Usage: bench/load.sh [--agents N=1000] [--viewers M=100] [--hubs H=2] [--duration S=60] [--rate HZ=1]
#                      [--warmup S=10] [--drain S=5] [--fanout K=1] [--fleet] [--no-build]
#                      [--hub-env NAME=VALUE]... (extra environment for the hubs only, e.g. DOTNET_gcServer=0)
# Last line of output: one JSON object (LoadGen's figures plus Redis memory and the PUBLISH ceiling).
set -euo pipefail
cd "$(dirname "$0")/.."

agents=1000; viewers=100; hubs=2; duration=60; rate=1; warmup=10; drain=5; fanout=1; fleet=(); build=1; hub_env=()
while [ $# -gt 0 ]; do
  case "$1" in
    --agents) agents=$2; shift 2 ;;
    --viewers) viewers=$2; shift 2 ;;
    --hubs) hubs=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --drain) drain=$2; shift 2 ;;
    --fanout) fanout=$2; shift 2 ;;
    --fleet) fleet=(--fleet); shift ;;
    --no-build) build=0; shift ;;
    --hub-env) hub_env+=("$2"); shift 2 ;;
    *) echo "unknown option $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done

if [ "$build" = 1 ]; then
  dotnet build SysMon.sln -c Release -p:SkipDashboardBuild=true --nologo -v quiet -clp:ErrorsOnly >&2
fi
hub_dll=artifacts/bin/SysMon.Hub/release/SysMon.Hub.dll
loadgen_dll=artifacts/bin/SysMon.LoadGen/release/SysMon.LoadGen.dll
logs=$(mktemp -d /tmp/sysmon-load.XXXXXX)
echo "load: logs in $logs" >&2
# Each agent is a socket on both sides; lift the soft limit for everything started from here.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
  done
}
trap cleanup EXIT

rport=$(port)
redis-server --port "$rport" --bind 127.0.0.1 --save "" --appendonly no --daemonize no >"$logs/redis.log" 2>&1 &
redis_pid=$!; pids+=("$redis_pid")
for _ in $(seq 100); do redis-cli -p "$rport" ping >/dev/null 2>&1 && break; sleep 0.1; done
redis-cli -p "$rport" ping >/dev/null

grpc_urls=(); web_urls=(); hub_pids=()
for n in $(seq 1 "$hubs"); do
  web=$(port); grpc=$(port)
  Kestrel__Endpoints__Web__Url=http://127.0.0.1:$web Kestrel__Endpoints__Grpc__Url=http://127.0.0.1:$grpc \
    ConnectionStrings__Redis=127.0.0.1:$rport EmbeddedAgent__Enabled=false Security__AgentAuthentication=Off Hub__InstanceId=hub-$n \
    Logging__LogLevel__Default=Warning env "${hub_env[@]}" dotnet "$hub_dll" >"$logs/hub-$n.log" 2>&1 &
  hub_pids+=($!); pids+=($!)
  grpc_urls+=("http://127.0.0.1:$grpc"); web_urls+=("http://127.0.0.1:$web")
done
for url in "${web_urls[@]}"; do
  for _ in $(seq 300); do curl -sf "$url/healthz" >/dev/null && break; sleep 0.2; done
  curl -sf "$url/healthz" >/dev/null || { echo "load: hub at $url never became healthy; see $logs" >&2; exit 1; }
done
echo "load: redis :$rport (pid $redis_pid), hubs ${web_urls[*]} (pids ${hub_pids[*]})" >&2

join() { local IFS=,; echo "$*"; }
dotnet "$loadgen_dll" --grpc "$(join "${grpc_urls[@]}")" --web "$(join "${web_urls[@]}")" \
  --agents "$agents" --viewers "$viewers" --rate "$rate" --warmup "$warmup" --duration "$duration" \
  --drain "$drain" --fanout "$fanout" "${fleet[@]}" --hub-pids "$(join "${hub_pids[@]}")" --redis-pid "$redis_pid" \
  >"$logs/loadgen.out" 2> >(tee "$logs/loadgen.err" >&2) || true
result=$(tail -n 1 "$logs/loadgen.out")

used_memory=$(redis-cli -p "$rport" info memory | awk -F: '/^used_memory:/{print $2}' | tr -d '\r')
# The ceiling: raw PUBLISH of a payload the size of one `sample` object as a viewer receives it, 50
# clients, on the same Redis; once with no subscriber (what redis-benchmark measures by default) and once
# with one subscriber draining the channel, as the hubs' backplane subscriptions do.
payload_bytes=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get("sample_json_bytes") or 4096)' "$result" 2>/dev/null || echo 4096)
payload=$(head -c "$payload_bytes" /dev/zero | tr '\0' 'x')
ceiling() {
  redis-benchmark -p "$rport" -c 50 -n 200000 -q PUBLISH bench:ceiling "$payload" 2>/dev/null \
    | tr '\r' '\n' | grep -o '[0-9.]* requests per second' | tail -n 1 | awk '{print $1+0}' || true
}
ceiling0=$(ceiling)
redis-cli -p "$rport" subscribe bench:ceiling >/dev/null &
sub=$!; pids+=("$sub")
sleep 0.3
ceiling1=$(ceiling)
kill "$sub" 2>/dev/null || true

python3 - "$result" "$used_memory" "$ceiling0" "$ceiling1" "$payload_bytes" "${hub_env[*]}" <<'PY'
import json, sys
raw, used, c0, c1, payload, hub_env = sys.argv[1:]
try:
    r = json.loads(raw)
except ValueError:
    r = {"fatal": "loadgen printed no JSON: " + raw[:200]}
c0, c1 = float(c0 or 0), float(c1 or 0)
if hub_env:
    r["hub_env"] = hub_env
r["redis_used_memory_mb"] = round(int(used) / 1048576, 1) if used.strip() else None
r["redis_publish_payload_bytes"] = int(payload)
r["redis_publish_ceiling_msgs_per_s"] = round(c0)
r["redis_publish_ceiling_1sub_msgs_per_s"] = round(c1)
dps = r.get("delivered_per_s")
r["throughput_fraction_of_ceiling"] = round(dps / c0, 4) if dps is not None and c0 > 0 else None
print(json.dumps(r))
PY
