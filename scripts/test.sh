#!/usr/bin/env bash
# README command 2: set up a fresh Debian machine, then run every test (unit + integration
# against real pebble and HAProxy). With CI set, missing peers fail the run instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm test
