"""``wealthtech plan``: print the query plan the router would run for an operation.

The plan comes from the router's own planner over a supergraph file (no subgraph is called), so
it is exactly what ``python -m router`` executes for the same supergraph and operation.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from router.planning import PlanningError, explain
from router.supergraph import Supergraph
from router.supergraph.errors import SupergraphError

__all__ = ["plan_text", "register", "run"]


def plan_text(supergraph_path: Path, query: str, operation_name: str | None = None) -> str:
    """Return the printed plan of ``query`` over the supergraph in ``supergraph_path``."""
    supergraph = Supergraph.from_sdl(supergraph_path.read_text(encoding="utf-8"))
    return explain(supergraph, query, operation_name)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``plan`` to the top-level parser."""
    plan = commands.add_parser("plan", help="print an operation's query plan")
    plan.add_argument(
        "operation",
        help="the GraphQL operation text, @FILE to read it from a file, or - for stdin",
    )
    plan.add_argument("--operation-name", help="which operation of the document to plan")
    plan.add_argument(
        "--supergraph",
        type=Path,
        default=Path("schema/supergraph.graphql"),
        help="supergraph SDL (default: schema/supergraph.graphql)",
    )
    plan.set_defaults(handler=run)


def _read_operation(argument: str) -> str:
    if argument == "-":
        return sys.stdin.read()
    if argument.startswith("@"):
        return Path(argument[1:]).read_text(encoding="utf-8")
    return argument


def run(options: argparse.Namespace) -> int:
    """Print the plan; exit 2 on an unreadable file or an operation that cannot be planned."""
    try:
        query = _read_operation(options.operation)
        print(plan_text(options.supergraph, query, options.operation_name))
    except OSError as exc:
        print(f"error: cannot read {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 2
    except SupergraphError as exc:
        print(f"error: {options.supergraph}: {exc}", file=sys.stderr)
        return 2
    except PlanningError as exc:
        print(f"error: cannot plan this operation: {exc}", file=sys.stderr)
        return 2
    return 0
