#!/usr/bin/env bash
# Builds the web client into web/dist unless nothing in it changed since the last build.
set -euo pipefail
cd "$(dirname "$0")/../web"
[ -f package.json ] || { echo "web/: no client to build yet"; exit 0; }
if [ -f dist/index.html ] && [ -z "$(find src public index.html package.json package-lock.json vite.config.* tsconfig*.json -newer dist/index.html 2>/dev/null | head -1)" ]; then
  exit 0
fi
npm run build --silent
