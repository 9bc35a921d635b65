"""Entry point of the ``wealthtech`` console script: one sub-command per operator task."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path


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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one sub-command and return its exit status."""
    options = build_parser().parse_args(argv)
    if options.command == "up":
        from .up import run_up

        return run_up(options.supergraph)
    raise AssertionError(f"unhandled command {options.command}")  # argparse rejects unknown ones


if __name__ == "__main__":
    sys.exit(main())
