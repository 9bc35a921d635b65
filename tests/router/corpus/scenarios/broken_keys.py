"""Entity references with keys other subgraphs do not know or refuse.

orders refers to customers by id as it got them: ``c404`` is unknown to crm and loyalty (they
answer ``null`` for it, as the federation spec says), and ``x-9`` is malformed: loyalty refuses
it with an error on that representation. A null entity leaves its fields null, with an error only
where a non-null field is left empty, and the null propagates to the nearest nullable parent; an
error on one representation lands at that entity's path, every other entity keeps its data.
"""

from __future__ import annotations

import re
from typing import Any

from tests.router.corpus.kit import Case, DataSubgraph, Fixture, build_all, error, ref

NAME = "broken_keys"

ORDERS = [
    {
        "id": "o1",
        "total": 30,
        "buyer": ref("Customer", id="c1"),
        "seller": ref("Customer", id="c2"),
    },
    {
        "id": "o2",
        "total": 45,
        "buyer": ref("Customer", id="c404"),
        "seller": ref("Customer", id="c1"),
    },
    {
        "id": "o3",
        "total": 12,
        "buyer": ref("Customer", id="x-9"),
        "seller": ref("Customer", id="c404"),
    },
]
PEOPLE = [
    {"id": "c1", "name": "Ada", "email": "ada@example.com"},
    {"id": "c2", "name": "Bob", "email": None},
]
POINTS = {"c1": 120, "c2": 40}


def _member(representation: dict[str, Any]) -> dict[str, Any] | None:
    key = str(representation["id"])
    if not re.fullmatch(r"c\d+", key):
        raise ValueError("malformed customer id")
    if key not in POINTS:
        return None
    return {"id": key, "points": POINTS[key]}


def _subgraphs() -> dict[str, Any]:
    return build_all(
        DataSubgraph(
            NAME,
            "orders",
            tables={"Order": ORDERS},
            resolvers={
                "Query": {
                    "orders": lambda *_: ORDERS,
                    "order": lambda _r, _i, id: next((o for o in ORDERS if o["id"] == id), None),
                }
            },
        ),
        DataSubgraph(NAME, "crm", tables={"Customer": PEOPLE}),
        DataSubgraph(NAME, "loyalty", entities={"Customer": _member}),
    )


NAME_NULL = "Cannot return null for non-nullable field Customer.name."

CASES = (
    Case(
        "unknown ids, a nullable field",
        "{ orders { id buyer { email } } }",
        {
            "data": {
                "orders": [
                    {"id": "o1", "buyer": {"email": "ada@example.com"}},
                    {"id": "o2", "buyer": {"email": None}},
                    {"id": "o3", "buyer": {"email": None}},
                ]
            }
        },
        fetches=2,
        depth=2,
    ),
    Case(
        "unknown ids, a non-null field",
        "{ orders { id buyer { name } } }",
        {
            "data": {
                "orders": [
                    {"id": "o1", "buyer": {"name": "Ada"}},
                    {"id": "o2", "buyer": None},
                    {"id": "o3", "buyer": None},
                ]
            },
            "errors": [
                error(NAME_NULL, ["orders", 1, "buyer", "name"]),
                error(NAME_NULL, ["orders", 2, "buyer", "name"]),
            ],
        },
        fetches=2,
        depth=2,
    ),
    Case(
        "an error on one representation",
        "{ orders { id buyer { points } } }",
        {
            "data": {
                "orders": [
                    {"id": "o1", "buyer": {"points": 120}},
                    {"id": "o2", "buyer": {"points": None}},
                    {"id": "o3", "buyer": {"points": None}},
                ]
            },
            "errors": [error("malformed customer id", ["orders", 2, "buyer"])],
        },
        fetches=2,
        depth=2,
    ),
    Case(
        "an unknown entity under a non-null field nulls the nullable root field",
        '{ order(id: "o3") { id seller { name } } }',
        {
            "data": {"order": None},
            "errors": [error(NAME_NULL, ["order", "seller", "name"])],
        },
        fetches=2,
        depth=2,
    ),
    Case(
        "both subgraphs for one entity, one of them failing it",
        "{ orders { buyer { email points } } }",
        {
            "data": {
                "orders": [
                    {"buyer": {"email": "ada@example.com", "points": 120}},
                    {"buyer": {"email": None, "points": None}},
                    {"buyer": {"email": None, "points": None}},
                ]
            },
            "errors": [error("malformed customer id", ["orders", 2, "buyer"])],
        },
        # orders, then crm and loyalty side by side
        fetches=3,
        depth=2,
    ),
    Case(
        "the key alone needs no jump",
        "{ orders { buyer { id } } }",
        {"data": {"orders": [{"buyer": {"id": k}} for k in ("c1", "c404", "x-9")]}},
        fetches=1,
        depth=1,
    ),
)

FIXTURE = Fixture(
    NAME,
    _subgraphs,
    CASES,
    arguments={("Query", "order"): ['(id: "o1")', '(id: "o3")', '(id: "none")']},
)
