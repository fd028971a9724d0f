#!/bin/sh
# ensure-deps.sh — the browser test's dependencies: Debian's chromium and
# playwright-core from npm (pinned by package-lock.json) in
# tests/dashboard/node_modules. Runs `npm ci` only when node_modules does not
# match the lock file. Used by scripts/install-deps.sh and the CTest fixture.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v chromium >/dev/null 2>&1; then
  echo "ensure-deps: chromium is not installed (apt-get install -y chromium, or scripts/install-deps.sh)" >&2
  exit 1
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "ensure-deps: npm is not installed" >&2
  exit 1
fi
stamp="$here/node_modules/.ramp-lock"
if [ -f "$stamp" ] && cmp -s "$stamp" "$here/package-lock.json" && [ -f "$here/node_modules/playwright-core/package.json" ]; then
  exit 0
fi
cd "$here"
npm ci --no-audit --no-fund --loglevel=error
cp package-lock.json "$stamp"
