"""Entry point of the ``wealthtech`` console script: one sub-command per operator task.

Each command lives in its own module with ``register(commands)`` (its arguments) and ``run``
(the handler that ``register`` sets); this module only assembles them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from . import chain, demo, keys, legacy_import, plan, schema_files, token


def _run_up(options: argparse.Namespace) -> int:
    from .up import run_up  # imported late: only `up` needs the supervisor

    return run_up(options.supergraph)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with every sub-command."""
    parser = argparse.ArgumentParser(
        prog="wealthtech", description="Run and operate the WealthTech federation."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="run the four subgraphs and the router (SQLite default)")
    up.add_argument(
        "--supergraph",
        type=Path,
        default=Path("schema/supergraph.graphql"),
        help="supergraph SDL the router serves (default: schema/supergraph.graphql)",
    )
    up.set_defaults(handler=_run_up)
    schema_files.register(commands)
    keys.register(commands)
    chain.register(commands)
    plan.register(commands)
    demo.register(commands)
    legacy_import.register(commands)
    token.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one sub-command and return its exit status."""
    options = build_parser().parse_args(argv)
    status: int = options.handler(options)
    return status


if __name__ == "__main__":
    sys.exit(main())
