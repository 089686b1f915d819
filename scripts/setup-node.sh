#!/usr/bin/env bash
# Installs the npm packages of the web client and of the Node test clients.
# Skips a folder whose lock file has not changed since its last install.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm
  else
    echo "npm is missing: install Node.js 18+ and npm" >&2
    exit 1
  fi
fi
for dir in tests/node web; do
  [ -f "$dir/package.json" ] || continue
  lock="$dir/package-lock.json"
  stamp="$dir/node_modules/.installed"
  if [ -f "$stamp" ] && [ -f "$lock" ] && [ "$stamp" -nt "$lock" ] && [ "$stamp" -nt "$dir/package.json" ]; then
    continue
  fi
  if [ -f "$lock" ]; then
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  else
    (cd "$dir" && npm install --no-audit --no-fund --loglevel=error)
  fi
  touch "$stamp"
done
