"""``@provides`` on a field of interface type.

``Review.product`` returns the interface ``Product``; reviews keeps a copy of each product's name
and provides it with ``@provides(fields: "... on Book { name } ... on Game { name }")``. reviews'
own ``interface Product`` has only ``id``, so the provided names can only be asked for inside type
conditions; catalog owns ``name`` (shareable) and the other fields of each implementation.
"""

from __future__ import annotations

from typing import Any

from tests.router.corpus.kit import Case, DataSubgraph, Fixture, build_all

NAME = "provides_interface"

DUNE = {"__typename": "Book", "id": "b1", "name": "Dune", "author": "Herbert"}
EMMA = {"__typename": "Book", "id": "b2", "name": "Emma", "author": "Austen"}
TETRIS = {"__typename": "Game", "id": "g1", "name": "Tetris", "platform": "GB"}


def _copy(product: dict[str, Any]) -> dict[str, Any]:
    """reviews' copy: the key and the provided name only."""
    return {"__typename": product["__typename"], "id": product["id"], "name": product["name"]}


REVIEWS = [
    {"id": "r1", "body": "Great", "product": _copy(DUNE)},
    {"id": "r2", "body": "Fun", "product": _copy(TETRIS)},
    {"id": "r3", "body": "Long", "product": _copy(EMMA)},
]


def _subgraphs() -> dict[str, Any]:
    return build_all(
        DataSubgraph(
            NAME,
            "reviews",
            tables={"Review": REVIEWS},
            resolvers={"Query": {"reviews": lambda *_: REVIEWS}},
        ),
        DataSubgraph(
            NAME,
            "catalog",
            tables={"Book": [DUNE, EMMA], "Game": [TETRIS]},
            resolvers={"Query": {"products": lambda *_: [DUNE, TETRIS, EMMA]}},
        ),
    )


CASES = (
    Case(
        "a provided field on an interface-typed field",
        "{ reviews { body product { name } } }",
        {
            "data": {
                "reviews": [
                    {"body": "Great", "product": {"name": "Dune"}},
                    {"body": "Fun", "product": {"name": "Tetris"}},
                    {"body": "Long", "product": {"name": "Emma"}},
                ]
            }
        },
        fetches=1,
        depth=1,
    ),
    Case(
        "a provided field beside one that is not",
        "{ reviews { product { name ... on Book { author } } } }",
        {
            "data": {
                "reviews": [
                    {"product": {"name": "Dune", "author": "Herbert"}},
                    {"product": {"name": "Tetris"}},
                    {"product": {"name": "Emma", "author": "Austen"}},
                ]
            }
        },
        # reviews (names provided), then catalog for the books' authors
        fetches=2,
        depth=2,
    ),
    Case(
        "the interface's key only",
        "{ reviews { product { __typename id } } }",
        {
            "data": {
                "reviews": [
                    {"product": {"__typename": "Book", "id": "b1"}},
                    {"product": {"__typename": "Game", "id": "g1"}},
                    {"product": {"__typename": "Book", "id": "b2"}},
                ]
            }
        },
        fetches=1,
        depth=1,
    ),
    Case(
        "a field the provides does not cover",
        "{ reviews { product { ... on Game { platform } } } }",
        {"data": {"reviews": [{"product": {}}, {"product": {"platform": "GB"}}, {"product": {}}]}},
        fetches=2,
        depth=2,
    ),
)

FIXTURE = Fixture(NAME, _subgraphs, CASES)
