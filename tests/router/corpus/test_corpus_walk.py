"""A small sample of the random-walk differential test: our router against Hive Gateway.

``tests/router/corpus/walk.py`` generates operations by random walks over a fixture's API schema
and compares our router's data and error paths with Hive Gateway's. The test run answers a few
operations of one fixture (one Hive Gateway start, well under 30 s); the command
``python -m tests.router.corpus.walk --count 1000`` runs the large sample over every fixture
(docs/planner-corpus.md reports it). An operation whose answers differ today is a strict xfail
naming the difference: when the planner is fixed, it passes and the mark must go.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.router.corpus.kit import fixture
from tests.router.corpus.walk import hive_for, operations, run_fixture

FIXTURE = "spread_abstract"
COUNT = 10
SEED = 0
AGREE = ("same", "same, Hive's shorter error paths")
# index -> why the answers differ today
KNOWN: dict[int, str] = {}


@pytest.fixture(scope="module")
def hive_url(node_tools: Path) -> Iterator[str]:
    with hive_for(node_tools, fixture(FIXTURE)) as url:
        yield url


def _params() -> list[object]:
    return [
        pytest.param(
            index,
            marks=[pytest.mark.xfail(strict=True, reason=KNOWN[index])] if index in KNOWN else [],
            id=f"{FIXTURE}-{index}",
        )
        for index in range(COUNT)
    ]


def test_walks_are_deterministic_and_valid() -> None:
    found = fixture(FIXTURE)
    first = operations(found, COUNT, SEED)
    assert first == operations(found, COUNT, SEED)
    assert len(set(first)) == COUNT
    assert first != operations(found, COUNT, SEED + 1)


@pytest.mark.node
@pytest.mark.parametrize("index", _params())
async def test_walk_answers_like_hive_gateway(hive_url: str, index: int) -> None:
    found = fixture(FIXTURE)
    query = operations(found, COUNT, SEED)[index]
    (result,) = await run_fixture(found, [query], hive_url)
    assert result.category in AGREE, f"{result.category}: {query}\n  {result.detail}"
