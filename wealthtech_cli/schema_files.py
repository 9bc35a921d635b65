"""``wealthtech compose``: write ``schema/``, each subgraph's SDL and the composed supergraph.

Each ``<subgraph>.graphql`` is the subgraph's exported schema (exactly what its
``{ _service { sdl } }`` serves, :func:`subgraphs.kit.export_sdl`); ``supergraph.graphql`` is
their composition by :mod:`router.composition`, with each subgraph's routing URL on its default
port (``wealthtech_cli.services``). Deployments that run elsewhere override the URLs in the router
(``ROUTER_SUBGRAPH_URL_<NAME>``) rather than in the committed file. ``--check`` writes nothing and
fails when a committed file differs, for CI.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from router.composition import CompositionError, SubgraphSource, compose
from subgraphs.kit import export_sdl

from .services import SUBGRAPHS
from .subgraph_modules import load_schema

__all__ = ["SUPERGRAPH_FILE", "register", "render_schema_files", "run"]

SUPERGRAPH_FILE = "supergraph.graphql"


def render_schema_files() -> dict[str, str]:
    """Return ``{file name: text}`` for every subgraph SDL and the supergraph."""
    files: dict[str, str] = {}
    sources: list[SubgraphSource] = []
    for service in SUBGRAPHS:
        sdl = export_sdl(load_schema(service.name))
        files[f"{service.name}.graphql"] = sdl
        url = f"http://127.0.0.1:{service.default_port}/graphql"
        sources.append(SubgraphSource(service.name, url, sdl))
    files[SUPERGRAPH_FILE] = compose(sources)
    return files


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``compose`` to the top-level parser."""
    parser = commands.add_parser("compose", help="write schema/: subgraph SDLs and the supergraph")
    parser.add_argument("--out", type=Path, default=Path("schema"), help="default: schema/")
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 3 if a file is missing or stale"
    )
    parser.set_defaults(handler=run)


def run(options: argparse.Namespace) -> int:
    """Write (or check) the schema files."""
    try:
        files = render_schema_files()
    except CompositionError as exc:
        print(exc, file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out: Path = options.out
    if options.check:
        stale = [
            name
            for name, text in files.items()
            if not (out / name).is_file() or (out / name).read_text(encoding="utf-8") != text
        ]
        for name in stale:
            print(f"{out / name} is missing or stale: run `wealthtech compose`", file=sys.stderr)
        return 3 if stale else 0
    out.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        path = out / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
        else:
            print(f"{path} is up to date")
    return 0
