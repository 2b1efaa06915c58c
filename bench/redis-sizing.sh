#!/usr/bin/env bash
# Redis memory per machine at the default history retention (see RedisSizing/Program.cs).
# Usage: bench/redis-sizing.sh [machines=10]. Last line: one JSON object.
set -euo pipefail
cd "$(dirname "$0")/.."
machines=${1:-10}
dotnet build bench/RedisSizing -c Release --nologo -v quiet -clp:ErrorsOnly -p:SkipDashboardBuild=true >/dev/null
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no >/tmp/sysmon-sizing-redis.log 2>&1 &
redis=$!
trap 'kill $redis 2>/dev/null || true' EXIT
until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.1; done
dotnet artifacts/bin/SysMon.RedisSizing/release/SysMon.RedisSizing.dll "127.0.0.1:$port" "$machines"
