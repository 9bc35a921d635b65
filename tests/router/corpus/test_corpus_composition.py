"""The corpus fixtures compose, with our composer and with the reference, to the same supergraph.

``fixtures/<name>/supergraph.graphql`` is written by our composer (``python -m
tests.router.corpus.regenerate``); here it must still be what our composer makes of the subgraph
SDLs, the reference composer (npm @theguild/federation-composition, one Node process for all
fixtures) must compose the same text, and the reference must read ours into the same API schema.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from graphql import build_ast_schema, parse, print_schema

from router.composition import compose
from tests.router.composition.reference import guild_batch, normalise
from tests.router.corpus.kit import available, supergraph_sdl
from tests.router.corpus.regenerate import sources

NAMES = available()


@pytest.fixture(scope="module")
def reference(node_tools: Path) -> dict[str, Any]:
    composed = guild_batch(node_tools, compose={name: sources(name) for name in NAMES})["compose"]
    public = guild_batch(node_tools, public={name: supergraph_sdl(name) for name in NAMES})
    return {"compose": composed, "public": public["public"]}


@pytest.mark.parametrize("name", NAMES)
def test_committed_supergraph_is_what_our_composer_makes(name: str) -> None:
    assert compose(sources(name)) == supergraph_sdl(name), (
        f"fixtures/{name}/supergraph.graphql is stale: python -m tests.router.corpus.regenerate"
    )


@pytest.mark.node
@pytest.mark.parametrize("name", NAMES)
def test_reference_composes_the_same_supergraph(reference: dict[str, Any], name: str) -> None:
    theirs = reference["compose"][name]
    assert "supergraphSdl" in theirs, theirs.get("errors")
    assert normalise(supergraph_sdl(name)) == normalise(theirs["supergraphSdl"])
    assert supergraph_sdl(name) == theirs["supergraphSdl"] + "\n"


@pytest.mark.node
@pytest.mark.parametrize("name", NAMES)
def test_reference_reads_our_supergraph_into_the_same_api_schema(
    reference: dict[str, Any], name: str
) -> None:
    ours = reference["public"][name]
    theirs = reference["compose"][name]
    assert "publicSdl" in ours, ours.get("errors")

    def printed(sdl: str) -> str:
        return print_schema(build_ast_schema(parse(sdl)))

    assert printed(ours["publicSdl"]) == printed(theirs["publicSdl"])
