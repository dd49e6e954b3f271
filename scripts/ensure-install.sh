#!/usr/bin/env bash
# Installs exactly what package-lock.json pins when node_modules is missing or older than the lock.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "Installing dependencies (npm ci)..."
  npm ci --no-audit --no-fund --loglevel=error
fi
