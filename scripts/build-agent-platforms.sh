#!/usr/bin/env bash
# Builds the agent for the platforms this Linux machine cannot run: win-x64, osx-arm64, osx-x64 and
# linux-arm64. Warnings are errors (Directory.Build.props), so the platform analyser (CA1416) and the trim
# and AOT analysers gate each target: Windows-only code reached from Linux code, or reflection the native
# binary cannot have, fails here. Then a trimmed, self-contained win-x64 publish runs ILLink over the whole
# Windows dependency graph (hosting, Windows Service, EventLog), which a build does not.
#
#   scripts/build-agent-platforms.sh            the builds and the trimmed win-x64 publish (~3-4 min on 2 cores)
#   scripts/build-agent-platforms.sh --with-ilc also NativeAOT-compiles win-x64 without linking (+1 min):
#                                               ILC's own analysis of the binary that ships on Windows
#
# Outputs go to artifacts/platforms/<rid>/ (and artifacts/platforms/win-x64-trimmed/). One line per step;
# the first failure prints the compiler's errors and stops the script with exit code 1.
set -uo pipefail
cd "$(dirname "$0")/.."

with_ilc=false
for arg in "$@"; do
  case "$arg" in
    --with-ilc) with_ilc=true ;;
    *) echo "usage: $0 [--with-ilc]" >&2; exit 2 ;;
  esac
done

out=artifacts/platforms
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# step NAME COMMAND…: runs COMMAND quietly, prints "NAME ok (Ns)" or its output and stops.
step() {
  local name=$1; shift
  local started=$SECONDS
  if "$@" >"$log" 2>&1; then
    echo "$name ok ($((SECONDS - started))s)"
  else
    echo "$name FAILED ($((SECONDS - started))s)"
    cat "$log"
    exit 1
  fi
}

for rid in win-x64 osx-arm64 osx-x64 linux-arm64; do
  step "build $rid" dotnet build src/Agent -c Release -r "$rid" --nologo -v q -clp:ErrorsOnly -o "$out/$rid"
done

# A trimmed publish runs ILLink with its warnings as errors. It is not NativeAOT (that cannot link a Windows
# binary here), but ILLink's trim analysis is the same one ILC starts from.
step "publish win-x64 trimmed" dotnet publish src/Agent -c Release -r win-x64 --self-contained \
  -p:PublishTrimmed=true -p:PublishAot=false --nologo -v q -clp:ErrorsOnly -o "$out/win-x64-trimmed"

if $with_ilc; then
  # The SDK refuses cross-OS NativeAOT ("Cross-OS native compilation is not supported"). Past that check
  # (DisableUnsupportedError) ILC itself compiles for Windows fine; only the link needs MSVC's link.exe. So the
  # object file is compiled, with ILC's warnings as errors, and the link is replaced by `true`.
  step "ilc win-x64 (no link)" dotnet msbuild src/Agent -restore "-t:Build;ComputeResolvedFilesToPublishList;LinkNative" \
    -p:Configuration=Release -p:RuntimeIdentifier=win-x64 -p:SelfContained=true -p:PublishAot=true -p:_IsPublishing=true \
    -p:DisableUnsupportedError=true -p:IlcUseEnvironmentalTools=true -p:CppLinker=true -nologo -v:q -clp:ErrorsOnly
fi
