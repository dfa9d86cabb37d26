#!/usr/bin/env bash
# README command 1: set up a fresh Debian machine, then issue a certificate from a local pebble
# CA through a local HAProxy, print `acme list`, and stop everything the demo started.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/use-node.sh
exec npx --no-install tsx scripts/demo.ts
