#!/usr/bin/env bash
# Makes sure what the tests need is on this machine: .NET 10 SDK and Node.js (checked, never
# installed: they are the two things a developer brings), redis-server and Chromium (installed
# from Debian/Ubuntu packages when missing and we may; otherwise we say exactly what to run).
set -euo pipefail

missing=()
command -v dotnet >/dev/null || missing+=("the .NET 10 SDK (https://dot.net)")
command -v node >/dev/null && command -v npm >/dev/null || missing+=("Node.js 20+ with npm (apt-get install nodejs npm)")
if ((${#missing[@]})); then
  printf 'Missing: %s\n' "${missing[@]}" >&2
  exit 1
fi

chromium_bin() {
  for c in "${SYSMON_CHROMIUM:-}" /usr/bin/chromium /usr/bin/chromium-browser; do
    [ -n "$c" ] && [ -x "$c" ] && { echo "$c"; return 0; }
  done
  return 1
}

packages=()
command -v redis-server >/dev/null || [ -x /usr/bin/redis-server ] || packages+=(redis-server)
chromium_bin >/dev/null || packages+=(chromium)
# systemd-analyze checks the agent's unit file (verify, security); systemd need not be running.
command -v systemd-analyze >/dev/null || packages+=(systemd)
# The GPU tests compile a stand-in NVML library from nvml.h's prototypes.
command -v cc >/dev/null || packages+=(gcc)
# The deployment tests validate docker-compose.yml offline (Debian's docker-compose needs no engine for `config`).
command -v docker-compose >/dev/null || packages+=(docker-compose)
# The load balancer tests run deploy/nginx/nginx.conf with a real nginx (Debian's lives in /usr/sbin, off a user's PATH).
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || packages+=(nginx)
# kubectl (1.27+, for kustomize components) renders k8s/ offline. The machine image brings it; Debian's own
# kubernetes-client is 1.20, too old, so a machine without it is told where to get it instead.
if ! command -v kubectl >/dev/null; then
  echo "Missing: kubectl 1.27 or newer (https://kubernetes.io/docs/tasks/tools/); the Kubernetes manifest tests need it." >&2
  exit 1
fi
((${#packages[@]})) || exit 0

if ! command -v apt-get >/dev/null; then
  echo "Missing: ${packages[*]}. Install them with your package manager (or set SYSMON_CHROMIUM to a Chromium binary), then run ./test.sh again." >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo="sudo"
  else
    echo "Missing: ${packages[*]}. Run: sudo apt-get install -y --no-install-recommends ${packages[*]}" >&2
    exit 1
  fi
fi
echo "Installing ${packages[*]} from the distribution's packages..."
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
# Debian's packages may start a system redis on 6379 and an nginx on 80; the tests start their own on free ports.
