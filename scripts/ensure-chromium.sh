#!/usr/bin/env bash
# Browser tests drive Debian's chromium (a test tool's own browser download fails here).
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium
else
  echo "Browser tests need /usr/bin/chromium (Debian: apt-get install chromium)" >&2
  exit 1
fi
