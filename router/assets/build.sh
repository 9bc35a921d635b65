#!/usr/bin/env bash
# Copies GraphiQL's browser bundles (installed from npm by scripts/install-node-tools.sh) into
# router/static/graphiql/, where the router serves them. Nothing here is committed: the files come from
# the registry at install time, so the router's GraphiQL page never needs a CDN or internet access.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
modules="$here/node_modules"
target="$here/../static/graphiql"
if [ ! -d "$modules/graphiql" ]; then
    echo "router/assets/node_modules is missing: run 'npm ci' in router/assets (or make install)." >&2
    exit 1
fi
rm -rf "$target"
mkdir -p "$target"
cp "$modules/react/umd/react.production.min.js" "$target/react.production.min.js"
cp "$modules/react-dom/umd/react-dom.production.min.js" "$target/react-dom.production.min.js"
cp "$modules/graphiql/graphiql.min.js" "$target/graphiql.min.js"
cp "$modules/graphiql/graphiql.min.css" "$target/graphiql.min.css"
{
    for pkg in graphiql react react-dom; do
        echo "== $pkg $(node -p "require('$modules/$pkg/package.json').version" 2>/dev/null || echo '?') =="
        cat "$modules/$pkg/LICENSE" 2>/dev/null || true
        echo
    done
} > "$target/LICENSES.txt"
echo "GraphiQL assets copied to router/static/graphiql/"
