#!/usr/bin/env bash
# Footprint of the NativeAOT agent beside prometheus-node-exporter, measured the same way in the same run.
#
# Two phases of (warm-up + window) each: the host as it is (about 70 processes here), then with extra idle
# processes started by this script (to about 570). In each phase the agent streams the full sample (all cores,
# disks, interfaces, top 10 processes) at 1 sample/s to a local hub, and node_exporter is scraped at 1 Hz.
# CPU time is utime+stime from /proc/PID/stat over the window; RSS from /proc/PID/status and PSS from
# /proc/PID/smaps_rollup at the end of the window; bytes per sample are the agent's TCP payload bytes to the hub
# (ss bytes_sent, HTTP/2 framing and acks' share included) divided by the samples sent in the window.
#
# Usage: bench/agent-footprint.sh [warmup_s=15] [window_s=60] [extra_processes=500]
# SYSMON_PUBLISH_ARGS adds arguments to the agent's dotnet publish, to measure a build option before adopting it.
# Prints one JSON line last: the idle phase's figures, and the loaded phase's under "loaded".
set -euo pipefail
cd "$(dirname "$0")/.."
warmup=${1:-15}; window=${2:-60}; extra=${3:-500}
out=$(mktemp -d /tmp/sysmon-footprint.XXXXXX)

if ! command -v prometheus-node-exporter >/dev/null; then
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus-node-exporter >/dev/null
fi
dotnet build src/Hub -c Release --nologo -v quiet -clp:ErrorsOnly -p:SkipDashboardBuild=true >/dev/null
dotnet publish src/Agent -c Release --nologo -v quiet -clp:ErrorsOnly -p:PublishProfile=linux-x64 ${SYSMON_PUBLISH_ARGS:-} -o "$out/agent" >/dev/null
agent_bin="$out/agent/sysmon-agent"

port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
web=$(port); grpc=$(port); ne_port=$(port)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; [[ -n ${sleepers:-} ]] && kill $sleepers 2>/dev/null || true; }
trap cleanup EXIT

Kestrel__Endpoints__Web__Url=http://127.0.0.1:$web Kestrel__Endpoints__Grpc__Url=http://127.0.0.1:$grpc \
  EmbeddedAgent__Enabled=false Security__AgentAuthentication=Off Logging__LogLevel__Default=Warning \
  dotnet artifacts/bin/SysMon.Hub/release/SysMon.Hub.dll >"$out/hub.log" 2>&1 &
pids+=($!)
deadline=$((SECONDS + 60))
until curl -sf "http://127.0.0.1:$web/healthz" >/dev/null; do
  (( SECONDS < deadline )) || { echo "hub did not start" >&2; cat "$out/hub.log" >&2; exit 1; }
  sleep 0.2
done

"$agent_bin" --hub "http://127.0.0.1:$grpc" --machine-id bench-agent --top 10 >"$out/agent.log" 2>&1 &
agent=$!; pids+=($agent)
prometheus-node-exporter --web.listen-address=127.0.0.1:$ne_port >"$out/node-exporter.log" 2>&1 &
ne=$!; pids+=($ne)
# A 1 Hz scraper on a fixed schedule, like Prometheus with scrape_interval: 1s.
python3 - "$ne_port" >/dev/null 2>&1 <<'PY' &
import sys, time, urllib.request
url = f"http://127.0.0.1:{sys.argv[1]}/metrics"
next_at = time.monotonic()
while True:
    try:
        urllib.request.urlopen(url, timeout=5).read()
    except Exception:
        pass
    next_at += 1
    time.sleep(max(0, next_at - time.monotonic()))
PY
pids+=($!)

ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
sent() { ss -tinH state established "( dport = :$grpc )" | grep -o 'bytes_sent:[0-9]*' | cut -d: -f2 | awk '{s+=$1} END {print s+0}'; }
kb() { awk -v k="$2" '$1==k {print $2}' "/proc/$1/$3"; }

measure() { # phase name → JSON object on stdout
  sleep "$warmup"
  local a0 n0 b0 s0 a1 n1 b1 s1
  a0=$(ticks $agent); n0=$(ticks $ne); b0=$(sent); s0=$(date +%s.%N)
  sleep "$window"
  a1=$(ticks $agent); n1=$(ticks $ne); b1=$(sent); s1=$(date +%s.%N)
  python3 - "$a0" "$a1" "$n0" "$n1" "$b0" "$b1" "$s0" "$s1" "$(getconf CLK_TCK)" \
    "$(kb $agent VmRSS: status)" "$(kb $agent Pss: smaps_rollup)" "$(kb $ne VmRSS: status)" \
    "$(ls -d /proc/[0-9]* | wc -l)" <<'PY'
import json, sys
a0, a1, n0, n1, b0, b1, s0, s1, hz, rss, pss, ne_rss, procs = map(float, sys.argv[1:])
seconds = s1 - s0
print(json.dumps({
  "agent_cpu_percent": round((a1 - a0) / hz / seconds * 100, 3),
  "agent_rss_mb": round(rss / 1024, 1),
  "agent_pss_mb": round(pss / 1024, 1),
  "sample_bytes": round((b1 - b0) / round(seconds)),
  "processes_on_host": int(procs),
  "node_exporter_cpu_percent": round((n1 - n0) / hz / seconds * 100, 3),
  "node_exporter_rss_mb": round(ne_rss / 1024, 1),
  "window_seconds": round(seconds, 1),
}))
PY
}

idle=$(measure)
echo "idle:   $idle" >&2
sleepers=""
for _ in $(seq "$extra"); do sleep 100000 & sleepers+=" $!"; done
loaded=$(measure)
echo "loaded: $loaded" >&2
python3 -c 'import json,sys; r=json.loads(sys.argv[1]); r["loaded"]=json.loads(sys.argv[2]); print(json.dumps(r))' "$idle" "$loaded"
