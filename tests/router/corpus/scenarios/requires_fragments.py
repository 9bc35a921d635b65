"""``@requires`` whose field set has type conditions (on a union and on an interface).

shipping computes ``Order.cost`` from each item's kind (``... on Physical { weightKg } ... on
Digital { sizeMb }``) and from the recipient's kind (``... on Person { country } ... on Company {
vatId }``), all owned by orders. The representation the router sends must carry each nested
object's ``__typename`` and the fields of its own type condition, and nothing of the others.
"""

from __future__ import annotations

from typing import Any

from tests.router.corpus.kit import (
    Case,
    DataSubgraph,
    Fixture,
    MissingRequirement,
    build_all,
    required,
)

NAME = "requires_fragments"

ORDERS = [
    {
        "id": "o1",
        "items": [
            {"__typename": "Physical", "sku": "lamp", "weightKg": 3},
            {"__typename": "Digital", "sku": "ebook", "sizeMb": 700},
        ],
        "recipient": {"__typename": "Person", "name": "Ada", "country": "GB"},
    },
    {
        "id": "o2",
        "items": [{"__typename": "Digital", "sku": "song", "sizeMb": 50}],
        "recipient": {"__typename": "Company", "name": "Acme", "vatId": "GB123"},
    },
]


def _cost(order: dict[str, Any], _info: Any) -> int:
    items, recipient = required(order, "items", "recipient")
    cost = 0
    for item in items:
        if item.get("__typename") == "Physical" and "weightKg" in item:
            cost += 2 * item["weightKg"]
        elif item.get("__typename") == "Digital" and "sizeMb" in item:
            cost += item["sizeMb"] // 100
        else:
            raise MissingRequirement("requirement not sent: an item's type and its field")
    if recipient.get("__typename") == "Person" and "country" in recipient:
        return cost + (1 if recipient["country"] == "GB" else 10)
    if recipient.get("__typename") == "Company" and "vatId" in recipient:
        return cost + 2
    raise MissingRequirement("requirement not sent: the recipient's type and its field")


def _subgraphs() -> dict[str, Any]:
    return build_all(
        DataSubgraph(
            NAME,
            "orders",
            tables={"Order": ORDERS},
            resolvers={"Query": {"orders": lambda *_: ORDERS}},
        ),
        DataSubgraph(
            NAME,
            "shipping",
            tables={"Order": [{"id": o["id"]} for o in ORDERS]},
            resolvers={"Order": {"cost": _cost}},
        ),
    )


CASES = (
    Case(
        "requirements with type conditions",
        "{ orders { id cost } }",
        {"data": {"orders": [{"id": "o1", "cost": 14}, {"id": "o2", "cost": 2}]}},
        # orders (with the typed requirements), then shipping
        fetches=2,
        depth=2,
    ),
    Case(
        "the client selects part of the requirement itself",
        "{ orders { items { ... on Digital { sku sizeMb } } cost } }",
        {
            "data": {
                "orders": [
                    {"items": [{}, {"sku": "ebook", "sizeMb": 700}], "cost": 14},
                    {"items": [{"sku": "song", "sizeMb": 50}], "cost": 2},
                ]
            }
        },
        fetches=2,
        depth=2,
    ),
    Case(
        "requirements on the interface, the client on its fields",
        "{ orders { recipient { name ... on Company { vatId } } cost } }",
        {
            "data": {
                "orders": [
                    {"recipient": {"name": "Ada"}, "cost": 14},
                    {"recipient": {"name": "Acme", "vatId": "GB123"}, "cost": 2},
                ]
            }
        },
        fetches=2,
        depth=2,
    ),
)

FIXTURE = Fixture(NAME, _subgraphs, CASES)
