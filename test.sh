#!/usr/bin/env bash
# Runs every SysMon test: build, xUnit (agent parsers and collectors, hub, end-to-end with real
# Redis, hubs, agents and headless Chromium) and the dashboard's unit tests. Installs redis-server
# and Chromium first if they are missing. Ends with one line: "tests: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")"

scripts/install-test-deps.sh || exit 1

results=artifacts/test-results
rm -rf "$results"
mkdir -p "$results"

echo "== build"
dotnet build SysMon.sln --nologo -v quiet -clp:ErrorsOnly || { echo "tests: 0 passed, 1 failed"; exit 1; }

echo "== agent for other platforms (win-x64, osx-arm64, osx-x64, linux-arm64: built and analysed)"
platforms_status=0
scripts/build-agent-platforms.sh || platforms_status=1

echo "== dotnet test"
# One project at a time: each writes its own results file, and on two cores the end-to-end
# processes get the CPU they need. --blame-hang-timeout kills and names a hung test instead of
# letting it eat CI's whole time limit.
dotnet_status=0
for project in tests/*/*.Tests.csproj; do
  name=$(basename "$project" .csproj)
  dotnet test "$project" --no-build --nologo \
    --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=normal" --results-directory "$results" \
    --blame-hang-timeout 5m -- RunConfiguration.TreatNoTestsAsError=true || dotnet_status=1
done

echo "== dashboard unit tests"
(cd src/Dashboard && npx vitest run --reporter=default --reporter=json --outputFile="../../$results/vitest.json")
vitest_status=$?

passed=0; failed=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
done
if [ -f "$results/vitest.json" ]; then
  read -r vp vf < <(node -e 'const r=require(require("path").resolve(process.argv[1]));console.log(r.numPassedTests, r.numFailedTests)' "$results/vitest.json")
  passed=$((passed + vp)); failed=$((failed + vf))
fi
if [ "$platforms_status" -ne 0 ]; then
  failed=$((failed + 1))
fi
if [ "$dotnet_status" -ne 0 ] || [ "$vitest_status" -ne 0 ]; then
  [ "$failed" -eq 0 ] && failed=1
fi
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
