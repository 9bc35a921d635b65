"""``python -m router.composition``: compose the supergraph from schema files or live subgraphs.

    python -m router.composition --from-files schema/ --out schema/supergraph.graphql
    WEALTHTECH_INTERNAL_TOKEN=... python -m router.composition \
        --from-urls users=http://127.0.0.1:4001/graphql ... --out -
    python -m router.composition --from-files schema/ --check schema/supergraph.graphql

The subgraphs require an internal token (docs/security.md): ``--from-urls`` sends the one given
by ``--internal-token`` or, better (not visible in the process list), by the environment variable
``WEALTHTECH_INTERNAL_TOKEN`` (the same one a standard gateway in front of them uses), minted with
``wealthtech token --internal``.

Exit codes: 0 composed (or up to date), 1 composition failed (each problem printed with its code),
2 bad usage or unreadable input, 3 ``--check`` found the file stale.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from . import CompositionError, SubgraphFetchError, compose
from .sources import fetch_subgraphs, load_subgraphs_from_dir

INTERNAL_TOKEN_ENV = "WEALTHTECH_INTERNAL_TOKEN"  # noqa: S105 - a variable name, not a secret


def _pairs(values: Sequence[str], option: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for value in values:
        name, sep, url = value.partition("=")
        if not sep or not name or not url:
            raise ValueError(f"{option} expects NAME=URL, got {value!r}")
        pairs[name] = url
    return pairs


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m router.composition",
        description="Compose Federation 2 subgraph SDLs into a supergraph SDL.",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--from-files", metavar="DIR", type=Path, help="read DIR/<subgraph>.graphql files"
    )
    source.add_argument(
        "--from-urls",
        metavar="NAME=URL",
        nargs="+",
        help="fetch each subgraph's SDL with { _service { sdl } }",
    )
    parser.add_argument(
        "--internal-token",
        metavar="TOKEN",
        help=f"X-Internal-Token for --from-urls (default: ${INTERNAL_TOKEN_ENV})",
    )
    parser.add_argument(
        "--url",
        metavar="NAME=URL",
        action="append",
        default=[],
        help="routing URL of a subgraph read from a file (defaults: the project's ports)",
    )
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--out", metavar="PATH", default="-", help="write here ('-': stdout)")
    target.add_argument(
        "--check", metavar="PATH", type=Path, help="fail (exit 3) if PATH is not up to date"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.from_files is not None:
            sources = load_subgraphs_from_dir(args.from_files, _pairs(args.url, "--url"))
        else:
            token = args.internal_token or os.environ.get(INTERNAL_TOKEN_ENV) or None
            urls = _pairs(args.from_urls, "--from-urls")
            sources = asyncio.run(fetch_subgraphs(urls, internal_token=token))
    except (ValueError, OSError, SubgraphFetchError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        supergraph = compose(sources)
    except CompositionError as exc:
        print(exc, file=sys.stderr)
        return 1
    if args.check is not None:
        current = args.check.read_text(encoding="utf-8") if args.check.exists() else None
        if current != supergraph:
            print(
                f"{args.check} is stale: run python -m router.composition --from-files ... "
                f"--out {args.check}",
                file=sys.stderr,
            )
            return 3
        return 0
    if args.out == "-":
        sys.stdout.write(supergraph)
    else:
        Path(args.out).write_text(supergraph, encoding="utf-8")
        print(f"wrote {args.out} ({len(sources)} subgraphs)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
