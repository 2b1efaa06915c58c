#!/usr/bin/env bash
# SysMon on this machine without Docker: a hub serving the dashboard, and an agent reporting this host.
#
#   ./run.sh                     hub + its built-in agent (one process), http://localhost:5000
#   ./run.sh --agent-process     hub + the agent as its own process (as on a fleet's hosts)
#   ./run.sh --redis             also a local redis-server (history in .sysmon-data/ survives restarts)
#   ./run.sh --port 8000         dashboard on 8000, agents' gRPC on 8001
#   ./run.sh --no-build          use what `dotnet build` already built (artifacts/bin/…/debug)
#
# Ctrl+C stops everything it started. Needs the .NET 10 SDK and Node.js 20+ (the dashboard is built by
# the hub's build); --redis needs redis-server (apt-get install redis-server). docs/install.md has the rest.
set -euo pipefail
cd "$(dirname "$0")"

port=5000
agent_process=false
redis=false
build=true
while (($#)); do
  case "$1" in
    --port) port="${2:?--port needs a number}"; shift 2 ;;
    --agent-process) agent_process=true; shift ;;
    --redis) redis=true; shift ;;
    --no-build) build=false; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option '$1' (see ./run.sh --help)" >&2; exit 2 ;;
  esac
done
[[ "$port" =~ ^[0-9]+$ ]] && ((port > 0 && port < 65535)) || { echo "run.sh: --port must be 1-65534" >&2; exit 2; }
grpc_port=$((port + 1))

command -v dotnet >/dev/null || { echo "run.sh: the .NET 10 SDK is needed (https://dot.net)" >&2; exit 1; }
if $build; then
  command -v npm >/dev/null || { echo "run.sh: Node.js 20+ with npm is needed to build the dashboard (apt-get install nodejs npm)" >&2; exit 1; }
  configuration=release
  echo "Building (Release; the first build takes a few minutes)..."
  dotnet build src/Hub -c Release --nologo -v quiet -clp:ErrorsOnly
  $agent_process && dotnet build src/Agent -c Release --nologo -v quiet -clp:ErrorsOnly
else
  configuration=debug
fi
hub_dll="artifacts/bin/SysMon.Hub/$configuration/SysMon.Hub.dll"
agent_dll="artifacts/bin/SysMon.Agent/$configuration/sysmon-agent.dll"
[ -f "$hub_dll" ] || { echo "run.sh: $hub_dll is missing: build first (dotnet build SysMon.sln) or drop --no-build" >&2; exit 1; }
if $agent_process && [ ! -f "$agent_dll" ]; then
  echo "run.sh: $agent_dll is missing: build first (dotnet build SysMon.sln) or drop --no-build" >&2; exit 1
fi

children=()
stop() {
  trap - EXIT INT TERM
  ((${#children[@]})) && kill "${children[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap stop EXIT
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM

export ASPNETCORE_ENVIRONMENT="${ASPNETCORE_ENVIRONMENT:-Production}"
export Kestrel__Endpoints__Web__Url="http://localhost:$port"
# The agents' endpoint stays on loopback: only this machine's agent speaks to this hub.
export Kestrel__Endpoints__Grpc__Url="http://127.0.0.1:$grpc_port"

if $redis; then
  command -v redis-server >/dev/null || { echo "run.sh: --redis needs redis-server (apt-get install redis-server)" >&2; exit 1; }
  redis_port=$((port + 2))
  mkdir -p .sysmon-data
  # Loopback only, append-only file for durability; stopped with the rest.
  redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$PWD/.sysmon-data" --appendonly yes --save "" \
    --daemonize no --loglevel warning &
  children+=($!)
  export ConnectionStrings__Redis="127.0.0.1:$redis_port"
fi

if $agent_process; then
  # The agent as a process of its own. The hub's gRPC endpoint is on loopback, so agent credentials are
  # not asked for here; a hub other hosts reach keeps them required (docs/security.md).
  export EmbeddedAgent__Enabled=false Security__AgentAuthentication=Off
fi

# Its own folder as content root, so its appsettings.json (log levels) applies.
dotnet "$hub_dll" --contentRoot "$PWD/$(dirname "$hub_dll")" &
children+=($!)

if $agent_process; then
  dotnet "$agent_dll" --hub "http://127.0.0.1:$grpc_port" --state-dir "$PWD/.sysmon-data/agent" &
  children+=($!)
fi

echo "SysMon: open http://localhost:$port (Ctrl+C stops it)."
# Stops when any of them stops (a port in use, a bad setting), taking the others with it.
wait -n
