"""Serve a supergraph: ``python -m router --supergraph PATH --host HOST --port PORT``.

Subgraph URLs are taken from the supergraph file (``@join__graph(url:)``), unless overridden with
``ROUTER_SUBGRAPH_URL_<NAME>``; the other defaults come from ``ROUTER_*`` settings.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import uvicorn

from router.auth import JwksError
from router.http import create_app, load_supergraph
from router.settings import RouterSettings
from router.supergraph.errors import SupergraphError


def main(argv: Sequence[str] | None = None) -> int:
    settings = RouterSettings()
    parser = argparse.ArgumentParser(prog="python -m router", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--supergraph",
        type=Path,
        default=settings.supergraph_path,
        help=f"supergraph SDL file (default: {settings.supergraph_path})",
    )
    parser.add_argument("--host", default=settings.host, help=f"default: {settings.host}")
    parser.add_argument("--port", type=int, default=settings.port, help=f"default: {settings.port}")
    parser.add_argument(
        "--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"]
    )
    args = parser.parse_args(argv)
    try:
        supergraph = load_supergraph(args.supergraph)
    except OSError as exc:
        print(
            f"error: cannot read supergraph {args.supergraph}: {exc.strerror or exc}",
            file=sys.stderr,
        )
        return 2
    except (SupergraphError, ValueError) as exc:
        print(f"error: {args.supergraph}: {exc}", file=sys.stderr)
        return 2
    try:
        app = create_app(supergraph, settings, freeze_gc=True)
    except (ValueError, JwksError, OSError) as exc:
        # Settings (subgraph URL overrides) and security configuration (signing key, JWKS, token
        # algorithms): messages name the setting, never a secret.
        print(f"error: router settings: {exc}", file=sys.stderr)
        return 2
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        access_log=False,
        # Nothing in the router reads the client's address, so X-Forwarded-* rewriting is work
        # for nothing on every request; and the response does not advertise the server software.
        proxy_headers=False,
        server_header=False,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
