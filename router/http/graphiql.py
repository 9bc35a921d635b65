"""The GraphiQL page, served from local assets only.

The browser bundles (GraphiQL, React, ReactDOM) come from the npm registry at install time:
``router/assets/build.sh`` copies them into ``router/static/graphiql/``, which git ignores. The page
references them by absolute path on this server, so GraphiQL works with no internet access. When the
assets were never installed (no npm on the machine), the page says so and how to fix it instead of
showing a blank screen.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

ASSET_FILES = (
    "react.production.min.js",
    "react-dom.production.min.js",
    "graphiql.min.js",
    "graphiql.min.css",
)
DEFAULT_ASSETS_DIR = Path(__file__).resolve().parent.parent / "static" / "graphiql"
ASSETS_URL_PATH = "/graphiql-assets"

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="{assets}/graphiql.min.css">
<style>html, body, #graphiql {{ height: 100%; margin: 0; }}</style>
</head>
<body>
<div id="graphiql">Loading GraphiQL&hellip;</div>
<script src="{assets}/react.production.min.js"></script>
<script src="{assets}/react-dom.production.min.js"></script>
<script src="{assets}/graphiql.min.js"></script>
<script>
  // The endpoint is this page's own URL: GraphiQL POSTs to it with Accept: application/json.
  const endpoint = window.location.pathname;
  const fetcher = GraphiQL.createFetcher({{ url: endpoint }});
  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, {{ fetcher, defaultEditorToolsVisibility: true }}),
  );
</script>
</body>
</html>
"""

_MISSING = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>GraphiQL is not installed</title></head>
<body>
<h1>GraphiQL is not installed</h1>
<p>The GraphQL endpoint works (POST JSON to this URL), but GraphiQL's browser assets are
missing from <code>{directory}</code>.</p>
<p>They are installed from the npm registry by <code>make install</code> (or
<code>bash scripts/install-node-tools.sh</code>), which needs Node.js 20+ and npm.</p>
</body>
</html>
"""


def assets_installed(directory: Path) -> bool:
    """Tell whether every bundle the page needs is present in ``directory``."""
    return all((directory / name).is_file() for name in ASSET_FILES)


def graphiql_page(title: str = "GraphiQL: WealthTech router") -> str:
    """Return the GraphiQL HTML page, referencing assets under ``ASSETS_URL_PATH`` only."""
    return _PAGE.format(title=escape(title), assets=ASSETS_URL_PATH)


def missing_assets_page(directory: Path) -> str:
    """Return the page that explains how to install the GraphiQL assets."""
    return _MISSING.format(directory=escape(str(directory)))
