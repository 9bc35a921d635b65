#!/usr/bin/env bash
# Installs the npm packages the project uses outside Python: GraphiQL's browser assets (served by the
# router, no CDN), the reference federation tools the tests compare against, and playwright-core
# (tools/browser) that drives the system's Chromium in the GraphiQL browser test. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v npm >/dev/null 2>&1; then
    echo "npm not found: GraphiQL assets and the Node-based reference tests are not installed." >&2
    echo "The API still runs; install Node.js 20+ and npm, then run 'make install' again." >&2
    exit 0
fi
for dir in router/assets tools/node tools/browser; do
    [ -f "$dir/package.json" ] || continue
    stamp="$dir/node_modules/.installed"
    if [ ! -f "$stamp" ] || [ "$dir/package.json" -nt "$stamp" ] || [ "$dir/package-lock.json" -nt "$stamp" ]; then
        echo "installing npm packages in $dir"
        if [ -f "$dir/package-lock.json" ]; then
            (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
        else
            (cd "$dir" && npm install --no-audit --no-fund --loglevel=error)
        fi
        touch "$stamp"
    fi
done
if [ -f router/assets/build.sh ]; then bash router/assets/build.sh; fi
