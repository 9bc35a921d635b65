"""Shared root fields: ``product``, ``products`` and ``categories`` defined by two subgraphs.

catalog and inventory both resolve the root fields (``@shareable``) and agree on the shared data;
each adds its own fields to the Product entity. ``Category`` is a value type (no key): its
``productCount`` exists only in inventory, so ``categories { productCount }`` must be planned from
inventory's root field; there is no entity jump to reach it from catalog. The cheapest plan for a
selection one subgraph can answer alone is one fetch to that subgraph.
"""

from __future__ import annotations

from typing import Any

from tests.router.corpus.kit import Case, DataSubgraph, Fixture, build_all

NAME = "shared_root"

CATALOG = [{"id": "p1", "name": "Lamp", "price": 40}, {"id": "p2", "name": "Desk", "price": 250}]
STOCK = [{"id": "p1", "name": "Lamp", "stock": 7}, {"id": "p2", "name": "Desk", "stock": 0}]
CATEGORIES = [{"slug": "home", "name": "Home"}, {"slug": "office", "name": "Office"}]
COUNTS = {"home": 1, "office": 2}
REVIEWS = [{"id": "p2", "reviewCount": 12}, {"id": "p1", "reviewCount": 3}]


def _by_id(rows: list[dict[str, Any]]) -> Any:
    return lambda _r, _i, id: next((row for row in rows if row["id"] == id), None)


def _subgraphs() -> dict[str, Any]:
    return build_all(
        DataSubgraph(
            NAME,
            "catalog",
            tables={"Product": CATALOG},
            resolvers={
                "Query": {
                    "product": _by_id(CATALOG),
                    "products": lambda *_: CATALOG,
                    "categories": lambda *_: CATEGORIES,
                }
            },
        ),
        DataSubgraph(
            NAME,
            "inventory",
            tables={"Product": STOCK},
            resolvers={
                "Query": {
                    "product": _by_id(STOCK),
                    "products": lambda *_: STOCK,
                    "categories": lambda *_: [
                        {**c, "productCount": COUNTS[c["slug"]]} for c in CATEGORIES
                    ],
                }
            },
        ),
        DataSubgraph(
            NAME,
            "reviews",
            tables={"Product": REVIEWS},
            resolvers={"Query": {"topReviewed": lambda *_: REVIEWS}},
        ),
    )


CASES = (
    Case(
        "a value-type field only one sharing subgraph has",
        "{ categories { slug productCount } }",
        {
            "data": {
                "categories": [
                    {"slug": "home", "productCount": 1},
                    {"slug": "office", "productCount": 2},
                ]
            }
        },
        fetches=1,
        depth=1,
    ),
    Case(
        "fields both sharing subgraphs have",
        "{ categories { name } products { name } }",
        {
            "data": {
                "categories": [{"name": "Home"}, {"name": "Office"}],
                "products": [{"name": "Lamp"}, {"name": "Desk"}],
            }
        },
        fetches=1,
        depth=1,
    ),
    Case(
        "an entity field of the second sharing subgraph, no jump",
        '{ product(id: "p1") { name stock } }',
        {"data": {"product": {"name": "Lamp", "stock": 7}}},
        fetches=1,
        depth=1,
    ),
    Case(
        "fields of both sharing subgraphs",
        "{ products { id price stock } }",
        {
            "data": {
                "products": [
                    {"id": "p1", "price": 40, "stock": 7},
                    {"id": "p2", "price": 250, "stock": 0},
                ]
            }
        },
        fetches=2,
        depth=2,
    ),
    Case(
        "one fetch for root fields of one sharing subgraph",
        '{ categories { productCount } product(id: "p2") { stock } }',
        {
            "data": {
                "categories": [{"productCount": 1}, {"productCount": 2}],
                "product": {"stock": 0},
            }
        },
        fetches=1,
        depth=1,
    ),
    Case(
        "from a third subgraph into a shared entity",
        "{ topReviewed { reviewCount name stock } }",
        {
            "data": {
                "topReviewed": [
                    {"reviewCount": 12, "name": "Desk", "stock": 0},
                    {"reviewCount": 3, "name": "Lamp", "stock": 7},
                ]
            }
        },
        # inventory has name and stock: one jump, not two
        fetches=2,
        depth=2,
    ),
    Case(
        "an unknown id through a shared root field",
        '{ product(id: "p9") { name stock price } }',
        {"data": {"product": None}},
        fetches=2,
        depth=2,
    ),
)

FIXTURE = Fixture(
    NAME,
    _subgraphs,
    CASES,
    arguments={("Query", "product"): ['(id: "p1")', '(id: "p2")', '(id: "p9")']},
)
