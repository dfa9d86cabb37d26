#!/usr/bin/env bash
# README command 2: set up a fresh Debian machine, then run every test: type check, lint, unit
# tests and integration tests against real pebble and HAProxy. With CI set, missing peers fail
# the run instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/use-node.sh
echo "test: Node $(node -v) ($(command -v node))"
mkdir -p .tmp
results=.tmp/jest-results.json
rm -f "$results"
# Every CLI run's stdout, stderr and log lines land here (runAcme, cliHarness), for the secrets scan below.
export ACME_TEST_TRANSCRIPTS="$(pwd)/.tmp/transcripts"
rm -rf "$ACME_TEST_TRANSCRIPTS"
status=0
npm test -- --json --outputFile="$results" || status=$?
# The secrets scan: no PEM private key, JWK private member, EAB key or key authorization in any output.
npx tsx scripts/scan-secrets.ts "$ACME_TEST_TRANSCRIPTS" || status=1
if [ -f "$results" ]; then
  # One plain closing line for whoever reads the log: "Tests: N passed, N failed, N skipped".
  node -e 'const r=require(process.argv[1]);console.log(`Tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`)' "$(pwd)/$results"
fi
exit "$status"
