#!/usr/bin/env bash
# README command 2: set up a fresh Debian machine, then run every test: type check, lint, unit
# tests and integration tests against real pebble and HAProxy (scripts/test-matrix.sh: Debian's
# pair, plus a newer pair when ACME_TEST_PEBBLE_NEW, ACME_TEST_CHALLTESTSRV_NEW or
# ACME_TEST_HAPROXY_NEW name one). Missing peers fail the run; nothing is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/use-node.sh
echo "test: Node $(node -v) ($(command -v node))"
mkdir -p .tmp
# Every CLI run's stdout, stderr and log lines land here (runAcme, cliHarness), for the secrets scan below.
export ACME_TEST_TRANSCRIPTS="$(pwd)/.tmp/transcripts"
rm -rf "$ACME_TEST_TRANSCRIPTS"
status=0
bash scripts/test-matrix.sh || status=$?
# The secrets scan: no PEM private key, JWK private member, EAB key or key authorization in any output.
npx tsx scripts/scan-secrets.ts "$ACME_TEST_TRANSCRIPTS" || status=1
exit "$status"
