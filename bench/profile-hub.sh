#!/usr/bin/env bash
# Profiles hub-1 while bench/load.sh runs: runtime counters for 10 s, then 15 s of on-CPU stack samples
# (perf at 199 Hz), both well inside the measured window.
# Usage: bench/profile-hub.sh [load.sh options...]   (default: the (a) load, 1000 agents × 1 Hz, 100 viewers, 2 hubs, 80 s)
# Needs perf (linux-perf) and dotnet-counters in $DT (default /tmp/dt):
#   dotnet tool install dotnet-counters --tool-path /tmp/dt
# The hubs run with DOTNET_PerfMapEnabled=1 so JIT frames can be named (bench/perf-resolve.py).
# Profiling costs the hub CPU: figures from this run are not the benchmark's figures.
set -euo pipefail
cd "$(dirname "$0")/.."
dt=${DT:-/tmp/dt}
[ -x "$dt/dotnet-counters" ] || { echo "dotnet-counters not in $dt (see header)" >&2; exit 2; }
command -v perf >/dev/null || { echo "perf not found (apt-get install linux-perf)" >&2; exit 2; }
[ $# -gt 0 ] || set -- --agents 1000 --viewers 100 --hubs 2 --rate 1 --duration 80
out=$(mktemp -d /tmp/sysmon-profile.XXXXXX)
DOTNET_PerfMapEnabled=1 bench/load.sh "$@" >"$out/load.out" 2>"$out/load.err" &
load=$!
trap 'kill $load 2>/dev/null || true' EXIT
# Wait (bounded) for the generator to start sending, then well past the 10 s warm-up (tiering settles late).
for _ in $(seq 600); do grep -q '^loadgen: sending' "$out/load.err" 2>/dev/null && break; sleep 0.5; done
grep -q '^loadgen: sending' "$out/load.err" || { echo "load never started; see $out" >&2; exit 1; }
hub=$(sed -n 's/.*(pids \([0-9]*\) .*/\1/p' "$out/load.err" | head -n 1)
sleep 45
echo "profile: hub-1 is pid $hub; counters for 10 s" >&2
"$dt/dotnet-counters" collect -p "$hub" --duration 00:00:00:10 --refresh-interval 5 --format csv -o "$out/counters.csv" \
  --counters System.Runtime >/dev/null
echo "profile: perf for 15 s" >&2
perf record -F 199 -g -p "$hub" -o "$out/perf.data" -- sleep 15 >/dev/null 2>&1
bench/perf-resolve.py "$out/perf.data" "$hub" 30 >"$out/cpu-profile.txt"
wait "$load" || true
echo "profile: results in $out (counters.csv, cpu-profile.txt)" >&2
tail -n 1 "$out/load.out"
