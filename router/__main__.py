"""Serve a supergraph: ``python -m router --supergraph PATH --host HOST --port PORT``.

Subgraph URLs are taken from the supergraph file (``@join__graph(url:)``), unless overridden with
``ROUTER_SUBGRAPH_URL_<NAME>``; the other settings come from ``--config FILE`` (YAML, see
:mod:`router.config`) and ``ROUTER_*`` variables, which win over the file.
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
from router.config import CONFIG_ENV, ConfigError, load_router_config
from router.http import create_app, load_supergraph
from router.settings import RouterSettings
from router.supergraph.errors import SupergraphError
from telemetry import TelemetrySettings, log_config


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m router", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--config",
        type=Path,
        default=os.environ.get(CONFIG_ENV) or None,
        help=f"YAML configuration file ({CONFIG_ENV}; keys: deploy/router.example.yaml); "
        "the environment wins over it, the options below win over both",
    )
    parser.add_argument(
        "--supergraph",
        type=Path,
        default=None,
        help="supergraph SDL file (ROUTER_SUPERGRAPH_PATH; default: schema/supergraph.graphql)",
    )
    parser.add_argument("--host", default=None, help="ROUTER_HOST; default: 127.0.0.1")
    parser.add_argument("--port", type=int, default=None, help="ROUTER_PORT; default: 4000")
    parser.add_argument(
        "--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"]
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="router processes on one socket (ROUTER_WORKERS; default: 1)",
    )
    parser.add_argument(
        "--auth-mode",
        choices=["required", "off"],
        default=None,
        help="caller authentication (ROUTER_AUTH_MODE; default: required). off: no caller token "
        "is needed; subgraphs get an internal token only when a signing key is configured",
    )
    args = parser.parse_args(argv)
    options_given = {
        "supergraph_path": args.supergraph,
        "host": args.host,
        "port": args.port,
        "workers": args.workers,
        "auth_mode": args.auth_mode,
    }
    try:
        config = load_router_config(
            args.config, overrides={k: v for k, v in options_given.items() if v is not None}
        )
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    settings, security = config.router, config.security
    supergraph_path = settings.supergraph_path
    try:
        supergraph = load_supergraph(supergraph_path)
    except OSError as exc:
        print(
            f"error: cannot read supergraph {supergraph_path}: {exc.strerror or exc}",
            file=sys.stderr,
        )
        return 2
    except (SupergraphError, ValueError) as exc:
        print(f"error: {supergraph_path}: {exc}", file=sys.stderr)
        return 2
    try:
        for warning in startup_warnings(settings, security):
            print(f"WARNING: {warning}", file=sys.stderr)
        app = create_app(
            supergraph,
            settings,
            security=security,
            rest=config.rest,
            watch=supergraph_path if settings.supergraph_watch else None,
            reload_on_sighup=True,
            freeze_gc=True,
        )
    except (ValueError, JwksError, OSError) as exc:
        # Settings (subgraph URL overrides) and security configuration (signing key, JWKS, token
        # algorithms): messages name the setting, never a secret.
        print(f"error: router settings: {exc}", file=sys.stderr)
        return 2
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "log_level": args.log_level,
        "access_log": False,
        # Nothing in the router reads the client's address, so X-Forwarded-* rewriting is work
        # for nothing on every request; and the response does not advertise the server software.
        "proxy_headers": False,
        "server_header": False,
    }
    # ROUTER_LOG_FORMAT=json: every line one JSON object (ADR 0020); read again here, it was
    # validated by create_app above.
    logging = log_config(TelemetrySettings.from_env("ROUTER", "router"), args.log_level)
    if logging is not None:
        options["log_config"] = logging
    if (
        settings.workers > 1
        and TelemetrySettings.from_env("ROUTER", "router").metrics_port is not None
    ):
        # One port, several processes: only one could bind it, and a scrape would see one worker.
        print(
            "error: ROUTER_METRICS_PORT does not work with --workers > 1 (ADR 0020)",
            file=sys.stderr,
        )
        return 2
    if settings.workers <= 1:
        uvicorn.run(app, **options)
        return 0
    # Several processes on one socket: the app above was built once here so that a bad setting
    # fails before any worker starts and development keys exist before the workers read them;
    # each worker builds its own from the same environment (uvicorn needs an import string).
    # The workers read the same file and the options given here, through the environment.
    if config.path is not None:
        os.environ[CONFIG_ENV] = str(config.path.resolve())
    os.environ["ROUTER_SUPERGRAPH_PATH"] = str(supergraph_path.resolve())
    if args.auth_mode is not None:
        os.environ["ROUTER_AUTH_MODE"] = args.auth_mode
    del app
    uvicorn.run("router.__main__:worker_app", factory=True, workers=settings.workers, **options)
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
    config = load_router_config(os.environ.get(CONFIG_ENV) or None)
    path = config.router.supergraph_path
    return create_app(
        load_supergraph(path),
        config.router,
        security=config.security,
        rest=config.rest,
        # Each worker watches the file itself; SIGHUP goes to uvicorn's supervisor, which
        # restarts the workers (they then load the file as it is).
        watch=path if config.router.supergraph_watch else None,
        freeze_gc=True,
    )


if __name__ == "__main__":
    sys.exit(main())
