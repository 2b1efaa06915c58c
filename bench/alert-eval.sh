#!/usr/bin/env bash
# Alert evaluation cost per sample: machines × 10 rules through the hub's AlertEngine (Release build).
# Usage: bench/alert-eval.sh [machines=1000] [virtual_seconds=30]. Last line: JSON.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build bench/AlertEvaluation -c Release --nologo -v quiet -clp:ErrorsOnly >/dev/null
dotnet artifacts/bin/SysMon.AlertEvaluation/release/SysMon.AlertEvaluation.dll "${1:-1000}" "${2:-30}"
