"""Serve a supergraph: ``python -m router --supergraph PATH --host HOST --port PORT``.

Subgraph URLs are taken from the supergraph file (``@join__graph(url:)``), unless overridden with
``ROUTER_SUBGRAPH_URL_<NAME>``; the other defaults come from ``ROUTER_*`` settings.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import uvicorn

from router.auth import JwksError, SecuritySettings
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
    parser.add_argument(
        "--workers",
        type=int,
        default=settings.workers,
        help="router processes on one socket (ROUTER_WORKERS; default: %(default)s)",
    )
    parser.add_argument(
        "--auth-mode",
        choices=["required", "off"],
        default=None,
        help="caller authentication (ROUTER_AUTH_MODE; default: required). off: no caller token "
        "is needed; subgraphs get an internal token only when a signing key is configured",
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
        overrides = {} if args.auth_mode is None else {"auth_mode": args.auth_mode}
        security = SecuritySettings(**overrides)
        for warning in startup_warnings(settings, security):
            print(f"WARNING: {warning}", file=sys.stderr)
        app = create_app(supergraph, settings, security=security, freeze_gc=True)
    except (ValueError, JwksError, OSError) as exc:
        # Settings (subgraph URL overrides) and security configuration (signing key, JWKS, token
        # algorithms): messages name the setting, never a secret.
        print(f"error: router settings: {exc}", file=sys.stderr)
        return 2
    options: dict[str, Any] = {
        "host": args.host,
        "port": args.port,
        "log_level": args.log_level,
        "access_log": False,
        # Nothing in the router reads the client's address, so X-Forwarded-* rewriting is work
        # for nothing on every request; and the response does not advertise the server software.
        "proxy_headers": False,
        "server_header": False,
    }
    if args.workers <= 1:
        uvicorn.run(app, **options)
        return 0
    # Several processes on one socket: the app above was built once here so that a bad setting
    # fails before any worker starts and development keys exist before the workers read them;
    # each worker builds its own from the same environment (uvicorn needs an import string).
    os.environ["ROUTER_SUPERGRAPH_PATH"] = str(args.supergraph.resolve())
    os.environ["ROUTER_AUTH_MODE"] = security.auth_mode
    del app
    uvicorn.run("router.__main__:worker_app", factory=True, workers=args.workers, **options)
    return 0


def startup_warnings(settings: RouterSettings, security: SecuritySettings) -> list[str]:
    """Return what an operator must not miss about this configuration, one sentence each."""
    warnings: list[str] = []
    if not security.authentication_required:
        signed = (
            "each subgraph request carries an internal token for the fixed identity 'anonymous' "
            f"(roles: {', '.join(security.anonymous_roles) or 'none'})"
            if security.internal_key_configured
            else "no internal token is sent to the subgraphs"
        )
        warnings.append(
            "AUTHENTICATION IS OFF (ROUTER_AUTH_MODE=off): the router accepts every request "
            f"without a caller token and {signed}. Serve only subgraphs that need no "
            "authentication, or put an authenticating proxy in front."
        )
    if security.production and settings.query_plan_exposed(production=True):
        warnings.append(
            "ROUTER_EXPOSE_QUERY_PLAN is on in production: any caller can read query plans "
            "(X-Debug-Plan: 1)"
        )
    return warnings


def worker_app() -> Any:
    """Build the app of one worker process (``--workers``) from the environment."""
    settings = RouterSettings()
    return create_app(load_supergraph(settings.supergraph_path), settings, freeze_gc=True)


if __name__ == "__main__":
    sys.exit(main())
