"""Differential test: seeded random graphs, composed by us and by the reference composer.

On every graph both must agree: both compose and the supergraphs carry the same federation
metadata, or both refuse and every code we report is one the reference reports too. The graphs
mix valid and invalid federation on purpose (see ``random_graphs``); all run in one Node process.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from router.composition import CompositionError, compose
from tests.router.composition.random_graphs import (
    random_graph,
    random_nested_graph,
    random_rich_graph,
)
from tests.router.composition.reference import guild_batch, normalise

pytestmark = pytest.mark.node

GENERATORS = {"plain": random_graph, "rich": random_rich_graph, "nested": random_nested_graph}
SEEDS = range(100)
CASES = [(kind, seed) for kind in GENERATORS for seed in SEEDS]


@pytest.fixture(scope="module")
def reference(node_tools: Path) -> dict[str, Any]:
    graphs = {f"{kind}:{seed}": GENERATORS[kind](seed) for kind, seed in CASES}
    return guild_batch(node_tools, compose=graphs)["compose"]


@pytest.mark.parametrize(("kind", "seed"), CASES)
def test_random_graph_composes_like_the_reference(
    reference: dict[str, Any], kind: str, seed: int
) -> None:
    graph = GENERATORS[kind](seed)
    theirs = reference[f"{kind}:{seed}"]
    try:
        ours = compose(graph)
    except CompositionError as error:
        assert "errors" in theirs, f"only we refuse it: {error}"
        their_codes = {e["code"] for e in theirs["errors"]}
        assert set(error.codes) <= their_codes, (error.codes, theirs["errors"])
        return
    assert "supergraphSdl" in theirs, f"only the reference refuses it: {theirs.get('errors')}"
    assert normalise(ours) == normalise(theirs["supergraphSdl"])
    assert ours == theirs["supergraphSdl"] + "\n"  # and printed the same way


@pytest.mark.parametrize("kind", sorted(GENERATORS))
def test_the_random_graphs_cover_both_outcomes(reference: dict[str, Any], kind: str) -> None:
    results = [reference[f"{kind}:{seed}"] for seed in SEEDS]
    composed = sum(1 for result in results if "supergraphSdl" in result)
    assert 0.2 * len(SEEDS) < composed < 0.8 * len(SEEDS)
