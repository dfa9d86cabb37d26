#!/usr/bin/env bash
# Installs everything haproxy-acme's demo, tests and benchmark need on a fresh Debian 12
# machine: Debian's pebble (Let's Encrypt's test CA), HAProxy 2.6, lego and certbot (benchmark peers), openssl,
# PostgreSQL and faketime (the shared-store and cluster tests start their own server on loopback),
# then the npm packages, then builds. Idempotent; safe to run again.
# `npm ci` runs on the machine's node; everything after it runs on the exact Node 24 release the
# npm packages include (scripts/use-node.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(pebble haproxy lego certbot openssl ca-certificates time wrk postgresql faketime)
missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian starts haproxy.service on install where systemd runs; the demo and tests start their own
# HAProxy on loopback ports and do not need (or touch) the system one.

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi
source scripts/use-node.sh
echo "setup: building"
npm run --silent build
