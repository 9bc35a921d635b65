"""``wealthtech chain verify``: verify the compliance subgraph's hash chain.

The check itself belongs to the compliance subgraph (``python -m subgraphs.compliance chain
verify``, :mod:`subgraphs.compliance.cli`); this command runs it with the same options and exit
status (0 intact, 1 broken, 2 could not run).
"""

from __future__ import annotations

import argparse
import sys

__all__ = ["register", "run"]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``chain verify`` to the top-level parser."""
    chain = commands.add_parser("chain", help="the compliance hash chain")
    actions = chain.add_subparsers(dest="chain_command", required=True)
    verify = actions.add_parser("verify", help="verify the whole chain; report the first break")
    verify.add_argument(
        "--structure-only",
        action="store_true",
        help="check hashes and links without opening sealed contents (no keys needed)",
    )
    verify.add_argument(
        "--expect-head", metavar="[POSITION:]HASH", help="a head hash recorded earlier"
    )
    verify.add_argument("--json", action="store_true", help="print the report as JSON")
    chain.set_defaults(handler=run)


def run(options: argparse.Namespace) -> int:
    """Run the compliance subgraph's verification with the given options."""
    try:
        from subgraphs.compliance.cli import run_chain_command
    except ImportError:
        print("error: chain verify is not available: no compliance subgraph", file=sys.stderr)
        return 2
    argv = [options.chain_command]
    if options.structure_only:
        argv.append("--structure-only")
    if options.expect_head:
        argv += ["--expect-head", options.expect_head]
    if options.json:
        argv.append("--json")
    return run_chain_command(argv)
