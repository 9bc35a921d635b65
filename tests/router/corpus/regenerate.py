"""Compose the corpus fixtures with the project's composer and write their supergraphs (by hand).

    .venv/bin/python -m tests.router.corpus.regenerate [fixture ...]

Each ``fixtures/<name>/`` holds the subgraph SDLs (``<subgraph>.graphql``) and the composed
``supergraph.graphql``, written by ``router.composition`` (ours). The tests check that it is fresh
and that the reference composer (npm @theguild/federation-composition) composes the same; tests
never rewrite it themselves.
"""

from __future__ import annotations

import sys

from router.composition import SubgraphSource, compose
from tests.router.corpus.kit import FIXTURES, read_sdl, subgraph_names, subgraph_url


def sources(name: str) -> list[SubgraphSource]:
    return [
        SubgraphSource(subgraph, subgraph_url(name, subgraph), read_sdl(name, subgraph))
        for subgraph in subgraph_names(name)
    ]


def main(names: list[str]) -> None:
    folders = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())
    for name in folders:
        if names and name not in names:
            continue
        (FIXTURES / name / "supergraph.graphql").write_text(compose(sources(name)), "utf-8")
        print(f"wrote {name}/supergraph.graphql")


if __name__ == "__main__":
    main(sys.argv[1:])
