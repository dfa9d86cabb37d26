#!/usr/bin/env bash
# README command 2: set up a fresh Debian machine, then run every test: type check, lint, unit
# tests and integration tests against real pebble and HAProxy. With CI set, missing peers fail
# the run instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mkdir -p .tmp
results=.tmp/jest-results.json
rm -f "$results"
status=0
npm test -- --json --outputFile="$results" || status=$?
if [ -f "$results" ]; then
  # One plain closing line for whoever reads the log: "Tests: N passed, N failed, N skipped".
  node -e 'const r=require(process.argv[1]);console.log(`Tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`)' "$(pwd)/$results"
fi
exit "$status"
