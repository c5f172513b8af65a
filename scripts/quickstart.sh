#!/usr/bin/env bash
# Quickstart: install (if needed), build, and run the bank-marketing job in local mode.
#   npm run quickstart            # local[2]
#   MASTER='local[*]' npm run quickstart
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -d node_modules/@kindling/shared || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "[quickstart] installing dependencies (npm ci)…" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi
echo "[quickstart] building…" >&2
npm run --silent build
exec node cli/dist/src/main.js submit --master "${MASTER:-local[2]}" examples/bank-lr.yaml "$@"
