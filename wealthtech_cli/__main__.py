"""Entry point of the ``wealthtech`` console script: one sub-command per operator task.

Each command lives in its own module with ``register(commands)`` (its arguments) and ``run``
(the handler that ``register`` sets); this module only assembles them.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from . import chain, demo, keys, legacy_import, plan, schema_files, token
from .paths import DATA_DIR_VARIABLE, export_data_dir


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
        default=None,
        help="supergraph SDL the router serves (default: the one shipped with the package)",
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
    # Every command agrees on the data directory (wealthtech_cli/paths.py): `up` writes there,
    # `token`, `chain`, `keys`, `demo` read the keys and databases it made.
    unset = DATA_DIR_VARIABLE not in os.environ
    export_data_dir()
    try:
        status: int = options.handler(options)
    finally:
        if unset:  # leave a caller's environment as it was (main() also runs inside tests)
            os.environ.pop(DATA_DIR_VARIABLE, None)
    return status


if __name__ == "__main__":
    sys.exit(main())
