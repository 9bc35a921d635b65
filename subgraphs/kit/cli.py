"""The command line every subgraph shares: ``python -m subgraphs.<name> [command]``.

Commands:

* ``serve [--workers N]`` (default): run the service with uvicorn on the configured host and
  port; with several workers (``--workers`` or ``<PREFIX>_WORKERS``) uvicorn runs N processes on
  one socket, after this process has applied the migrations and made the development keys once
  (so the workers neither race on them nor each migrate);
* ``migrate``: apply pending Alembic migrations to the configured database and exit;
* ``revision -m MESSAGE [--autogenerate]``: create a migration file (for developers);
* ``print-sdl`` (also ``--print-sdl``): print the subgraph SDL;
* ``write-sdl``: regenerate ``schema/<name>.graphql``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from alembic import command
from fastapi import FastAPI

from .database import prepare_sqlite_folder
from .migrations import alembic_config, upgrade_sync
from .schema import SubgraphSchema, export_sdl, write_sdl
from .settings import SubgraphSettings

__all__ = ["run_cli", "worker_app"]


def run_cli(
    *,
    settings_factory: Callable[[], SubgraphSettings],
    app_factory: Callable[[SubgraphSettings], FastAPI],
    schema: SubgraphSchema,
    migrations_dir: Path,
    argv: Sequence[str] | None = None,
) -> int:
    """Parse ``argv`` and run one command; return the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--print-sdl"]:
        args[0] = "print-sdl"
    parser = argparse.ArgumentParser(prog="subgraph")
    commands = parser.add_subparsers(dest="command")
    serve = commands.add_parser("serve", help="run the service (default)")
    serve.add_argument(
        "--workers", type=int, default=None, help="processes on one socket (<PREFIX>_WORKERS)"
    )
    commands.add_parser("migrate", help="apply pending migrations and exit")
    revision = commands.add_parser("revision", help="create a migration file")
    revision.add_argument("-m", "--message", required=True)
    revision.add_argument("--autogenerate", action="store_true")
    commands.add_parser("print-sdl", help="print the subgraph SDL")
    commands.add_parser("write-sdl", help="regenerate schema/<subgraph>.graphql")
    options = parser.parse_args(args)

    if options.command == "print-sdl":
        sys.stdout.write(export_sdl(schema))
        return 0
    settings = settings_factory()
    if options.command == "write-sdl":
        print(write_sdl(schema, settings.subgraph))
        return 0
    if options.command == "migrate":
        upgrade_sync(settings.resolved_database_url(), migrations_dir)
        return 0
    if options.command == "revision":
        prepare_sqlite_folder(settings.resolved_database_url())
        config = alembic_config(settings.resolved_database_url(), migrations_dir)
        command.revision(config, message=options.message, autogenerate=options.autogenerate)
        return 0

    import uvicorn  # imported late: the other commands do not need a server

    workers = getattr(options, "workers", None) or settings.workers
    if workers <= 1:
        uvicorn.run(
            app_factory(settings),
            host=settings.host,
            port=settings.port,
            log_level=settings.log_level,
            **SERVER_OPTIONS,
            **_logging(settings),
        )
        return 0
    if _metrics_port(settings) is not None:
        # One port, several processes: only one could bind it, and a scrape would see one worker.
        print(
            f"error: {settings.env_name}_METRICS_PORT does not work with --workers > 1 (ADR 0020)",
            file=sys.stderr,
        )
        return 2
    _prepare_for_workers(settings, migrations_dir)
    # Each worker builds its own app from the same environment: uvicorn needs an import string of
    # a factory without arguments, so the workers are told which two factories to call.
    os.environ[WORKER_APP_FACTORY] = _reference(app_factory)
    os.environ[WORKER_SETTINGS_FACTORY] = _reference(settings_factory)
    uvicorn.run(
        f"{__name__}:worker_app",
        factory=True,
        workers=workers,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        **SERVER_OPTIONS,
        **_logging(settings),
    )
    return 0


def _metrics_port(settings: SubgraphSettings) -> int | None:
    from telemetry import TelemetrySettings

    return TelemetrySettings.from_env(settings.env_name, settings.subgraph).metrics_port


def _logging(settings: SubgraphSettings) -> dict[str, Any]:
    """Return the uvicorn ``log_config`` option for ``<PREFIX>_LOG_FORMAT`` (ADR 0020)."""
    from telemetry import TelemetrySettings, log_config

    telemetry = TelemetrySettings.from_env(settings.env_name, settings.subgraph)
    config = log_config(telemetry, settings.log_level)
    return {} if config is None else {"log_config": config}


# Nothing in a subgraph reads the client's address (X-Forwarded-* rewriting is work for nothing
# on every request), and every request is already in the router's log: no access log line each.
SERVER_OPTIONS: dict[str, Any] = {
    "access_log": False,
    "proxy_headers": False,
    "server_header": False,
}


WORKER_APP_FACTORY = "SUBGRAPH_WORKER_APP_FACTORY"
WORKER_SETTINGS_FACTORY = "SUBGRAPH_WORKER_SETTINGS_FACTORY"


def _reference(factory: Callable[..., Any]) -> str:
    """Return ``module:name`` of ``factory``, importable from another process.

    A factory defined in the module run with ``python -m`` lives in ``__main__``, which is
    another module in a worker: name it by the module's real name (``__spec__``).
    """
    module = factory.__module__
    if module == "__main__":
        spec = getattr(sys.modules["__main__"], "__spec__", None)
        if spec is None:
            raise RuntimeError("serve --workers needs the subgraph run as python -m <module>")
        module = spec.name
    if "<locals>" in factory.__qualname__:
        raise RuntimeError(f"serve --workers needs a module-level app factory, not {factory!r}")
    return f"{module}:{factory.__qualname__}"


def _resolve(reference: str) -> Any:
    module, _, name = reference.partition(":")
    target: Any = importlib.import_module(module)
    for part in name.split("."):
        target = getattr(target, part)
    return target


def worker_app() -> FastAPI:
    """Build the app of one worker process (``serve --workers``) from the parent's factories."""
    settings_factory = _resolve(os.environ[WORKER_SETTINGS_FACTORY])
    app_factory = _resolve(os.environ[WORKER_APP_FACTORY])
    app: FastAPI = app_factory(settings_factory())
    return app


def _prepare_for_workers(settings: SubgraphSettings, migrations_dir: Path) -> None:
    """Do once, before the workers start, what each would otherwise do (and race on)."""
    from .authentication import load_internal_token_keys
    from .keys import load_encryption_services

    if settings.migrate_on_startup:
        upgrade_sync(settings.resolved_database_url(), migrations_dir)
        os.environ[f"{settings.env_name}_MIGRATE_ON_STARTUP"] = "false"
    load_encryption_services(
        subgraph=settings.subgraph, env_name=settings.env_name, keys_dir=settings.keys_dir
    )
    load_internal_token_keys(settings)
