"""Broken input never crashes composition: it gives a supergraph or a CompositionError.

Seeded mutations of valid and random graphs: federation directives dropped in at random places
(``@external``, ``@key`` on missing fields, ``@override`` from anywhere, ``extend``...), tokens
deleted or swapped. Whatever comes in, the only failure is a ``CompositionError`` with issues.
"""

from __future__ import annotations

import random

import pytest

from router.composition import CompositionError, SubgraphSource, compose
from tests.router.composition.graphs import VALID_GRAPHS
from tests.router.composition.random_graphs import random_graph, random_rich_graph

INSERTIONS = (
    "@external",
    "@shareable",
    '@key(fields: "id")',
    '@key(fields: "nope { x }")',
    '@key(fields: "id", resolvable: false)',
    '@provides(fields: "id")',
    '@requires(fields: "g0")',
    '@requires(fields: "f0 f1")',
    '@override(from: "beta")',
    '@override(from: "alpha", label: "percent(5)")',
    "@inaccessible",
    "@interfaceObject",
    "@extends",
    '@tag(name: "x")',
    "extend",
    "implements Node",
    "}",
    "{",
    '"""doc"""',
)
BASES = [
    *VALID_GRAPHS.values(),
    *(random_graph(seed) for seed in range(20)),
    *(random_rich_graph(seed) for seed in range(20)),
]


def mutate(rng: random.Random, sdl: str) -> str:
    tokens = sdl.split(" ")
    for _ in range(rng.randint(1, 3)):
        position = rng.randrange(len(tokens))
        choice = rng.random()
        if choice < 0.7:
            tokens.insert(position, rng.choice(INSERTIONS))
        elif choice < 0.85 and len(tokens) > 1:
            del tokens[position]
        else:
            other = rng.randrange(len(tokens))
            tokens[position], tokens[other] = tokens[other], tokens[position]
    return " ".join(tokens)


@pytest.mark.parametrize("seed", range(300))
def test_mutated_subgraphs_compose_or_fail_with_issues(seed: int) -> None:
    rng = random.Random(seed)
    graph = list(rng.choice(BASES))
    index = rng.randrange(len(graph))
    victim = graph[index]
    graph[index] = SubgraphSource(victim.name, victim.url, mutate(rng, victim.sdl))
    try:
        supergraph = compose(graph)
    except CompositionError as error:
        assert error.issues
        assert all(issue.code and issue.message for issue in error.issues)
        return
    assert supergraph.startswith("schema @link(")
