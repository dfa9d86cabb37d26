#!/usr/bin/env bash
# Run by scripts/test.sh after the set-up: type check, lint and format check, the unit tests once, then the
# integration tests against each pair of peers (pebble + HAProxy), and one summary line per run.
#
# Without ACME_TEST_*_NEW: one integration run on the default peers (Debian's pebble 2.4 and
# HAProxy 2.6 on PATH, or whatever ACME_TEST_PEBBLE, ACME_TEST_CHALLTESTSRV and ACME_TEST_HAPROXY
# name). With ACME_TEST_PEBBLE_NEW, ACME_TEST_CHALLTESTSRV_NEW or ACME_TEST_HAPROXY_NEW naming newer
# binaries: the whole integration suite on that newest pair (each unset one falls back to the
# default), then the files whose outcome depends on the HAProxy or CA version (DEFAULT_PAIR_FILES)
# again on the default pair. See docs/testing.md for the split and its wall times.
set -uo pipefail
cd "$(dirname "$0")/.."

# Integration files run on both pairs: HAProxy's runtime API, master CLI, haproxy -c and the
# snap's HAProxy; the CA's directory, ARI, profiles, replaces, EAB, faults and limits. The rest
# (crash safety, lifecycle, import, metrics, …) runs on the newest pair only.
DEFAULT_PAIR_FILES=(
  peers haproxy-client haproxy-faults haproxy-config haproxy-config-words snap-haproxy deploy dual crt-list-input doctor
  eab ari-proxy ca-faults ca-limits nonce-reject renew issue ip-identifiers todays-ca concurrency daemon tls-alpn
  immich-upgrade manual-certificates snap-tls-alpn snap-render-check home-migration-kill stateless-http01
)

results=.tmp/jest
rm -rf "$results"
mkdir -p "$results"
status=0
summaries=()

# Variables (NAME=value) the next jest run gets on top of the environment.
pair_env=()

# Runs jest once: $1 = run name, $2 = label, then jest arguments. Records "label: counts (wall)".
run_jest() {
  local name=$1 label=$2 started=$SECONDS code=0
  shift 2
  echo "test: ${label}"
  env "${pair_env[@]}" npx jest --json --outputFile="$results/$name.json" "$@" || code=$?
  [ "$code" -eq 0 ] || status=1
  if [ -f "$results/$name.json" ]; then
    local counts
    counts=$(node -e 'const r=require(process.argv[1]);process.stdout.write(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`)' "$(pwd)/$results/$name.json")
    summaries+=("Tests (${label}): ${counts} in $((SECONDS - started)) s")
  else
    summaries+=("Tests (${label}): no results (jest exited ${code}) after $((SECONDS - started)) s")
  fi
}

# Integration run: $1 = run name, then jest arguments; the label names the peers global setup started.
run_integration() {
  local name=$1 peers_file="$(pwd)/$results/$1.peers"
  shift
  pair_env+=("ACME_TEST_PEERS_SUMMARY=$peers_file")
  # Path patterns first: --selectProjects takes every word after it as a project name.
  run_jest "$name" "integration, $name pair" "$@" --selectProjects integration
  pair_env=()
  if [ -f "$peers_file" ]; then
    local last=$((${#summaries[@]} - 1))
    summaries[last]="${summaries[last]/"$name pair"/"$name pair: $(cat "$peers_file")"}"
  fi
}

started=$SECONDS
npm run build && npm run typecheck && npm run lint && npm run format:check || exit 1
echo "test: build, type check, lint and format check took $((SECONDS - started)) s"

run_jest unit "unit" --selectProjects unit

if [ -n "${ACME_TEST_PEBBLE_NEW:-}${ACME_TEST_CHALLTESTSRV_NEW:-}${ACME_TEST_HAPROXY_NEW:-}" ]; then
  pair_env=(
    "ACME_TEST_PEBBLE=${ACME_TEST_PEBBLE_NEW:-${ACME_TEST_PEBBLE:-}}"
    "ACME_TEST_CHALLTESTSRV=${ACME_TEST_CHALLTESTSRV_NEW:-${ACME_TEST_CHALLTESTSRV:-}}"
    "ACME_TEST_HAPROXY=${ACME_TEST_HAPROXY_NEW:-${ACME_TEST_HAPROXY:-}}"
  )
  run_integration newest
  files=$(IFS='|'; echo "${DEFAULT_PAIR_FILES[*]}")
  run_integration default "test/integration/($files)\\.test\\.ts$"
else
  run_integration default
fi

printf '%s\n' "${summaries[@]}"
# One plain closing line for whoever reads the log: "Tests: N passed, N failed, N skipped".
node -e '
  const fs = require("fs"), path = require("path"), dir = process.argv[1];
  const runs = fs.readdirSync(dir).filter((f) => f.endsWith(".json")).map((f) => require(path.join(dir, f)));
  const sum = (key) => runs.reduce((n, r) => n + r[key], 0);
  console.log(`Tests: ${sum("numPassedTests")} passed, ${sum("numFailedTests")} failed, ${sum("numPendingTests")} skipped`);
' "$(pwd)/$results"
exit "$status"
