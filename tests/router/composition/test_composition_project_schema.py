"""``schema/supergraph.graphql`` is the composition of ``schema/<subgraph>.graphql``, up to date.

Regenerate it with ``python -m router.composition --from-files schema/ --out
schema/supergraph.graphql`` after a subgraph's SDL changes.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import print_schema

from router.composition import compose, load_subgraphs_from_dir
from router.supergraph import Supergraph
from tests.conftest import ROOT
from tests.router.composition.reference import guild_compose, normalise

SCHEMA_DIR = ROOT / "schema"
SUPERGRAPH = SCHEMA_DIR / "supergraph.graphql"
REGENERATE = "python -m router.composition --from-files schema/ --out schema/supergraph.graphql"


def project_subgraphs() -> list[Path]:
    return sorted(p for p in SCHEMA_DIR.glob("*.graphql") if p != SUPERGRAPH)


pytestmark = pytest.mark.skipif(
    not project_subgraphs(), reason="no subgraph SDLs in schema/ yet (schema/<subgraph>.graphql)"
)


def test_supergraph_file_is_the_composition_of_the_subgraph_files() -> None:
    expected = compose(load_subgraphs_from_dir(SCHEMA_DIR))
    assert SUPERGRAPH.exists(), f"schema/supergraph.graphql is missing: run {REGENERATE}"
    assert SUPERGRAPH.read_text(encoding="utf-8") == expected, (
        f"schema/supergraph.graphql is stale: run {REGENERATE}"
    )


@pytest.mark.node
def test_reference_composer_agrees_on_the_project_supergraph(node_tools: Path) -> None:
    sources = load_subgraphs_from_dir(SCHEMA_DIR)
    theirs = guild_compose(node_tools, sources)
    assert "supergraphSdl" in theirs, theirs.get("errors")
    ours = compose(sources)
    assert normalise(ours) == normalise(theirs["supergraphSdl"])
    assert ours == theirs["supergraphSdl"] + "\n"
    # The reference's supergraph runs on our router: it loads, with the same API schema as ours.
    api_from_theirs = Supergraph.from_sdl(theirs["supergraphSdl"]).api_schema
    api_from_ours = Supergraph.from_sdl(ours).api_schema
    assert print_schema(api_from_theirs) == print_schema(api_from_ours)
