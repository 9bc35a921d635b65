"""Entity jumps reachable only through a third subgraph.

orders knows a Customer only by ``id``, loyalty only by ``email``; crm is the one subgraph with
both keys. Every jump between orders and loyalty must go through crm, in either direction, and
nested (an order's customer's referrer's orders is orders -> crm -> loyalty -> crm -> orders).
partners knows a customer only by loyalty's member number: from orders, three jumps away.
"""

from __future__ import annotations

from typing import Any

from tests.router.corpus.kit import Case, DataSubgraph, Fixture, build_all, error, ref

NAME = "entity_bridge"

ORDERS = [
    {"id": "o1", "total": 30, "placedBy": ref("Customer", id="c1")},
    {"id": "o2", "total": 45, "placedBy": ref("Customer", id="c2")},
    {"id": "o3", "total": 12, "placedBy": ref("Customer", id="c1")},
]
PEOPLE = [
    {"id": "c1", "email": "ada@example.com", "name": "Ada"},
    {"id": "c2", "email": "bob@example.com", "name": "Bob"},
    {"id": "c3", "email": "cy@example.com", "name": "Cy"},
]
MEMBERS = [
    {"email": "ada@example.com", "memberNo": 7, "points": 120, "tier": "GOLD", "referrer": None},
    {
        "email": "bob@example.com",
        "memberNo": 8,
        "points": 40,
        "tier": "SILVER",
        "referrer": ref("Customer", email="ada@example.com"),
    },
    {
        "email": "cy@example.com",
        "memberNo": 9,
        "points": 5,
        "tier": None,
        "referrer": ref("Customer", email="bob@example.com"),
    },
    # a member crm does not know
    {"email": "zed@example.com", "memberNo": 10, "points": 1, "tier": None, "referrer": None},
]
OFFERS = [
    {"memberNo": 7, "offers": ["lounge", "upgrade"]},
    {"memberNo": 8, "offers": []},
    {"memberNo": 9, "offers": ["voucher"]},
]


def _orders_of(customer: str) -> list[dict[str, Any]]:
    return [o for o in ORDERS if o["placedBy"]["id"] == customer]


def _subgraphs() -> dict[str, Any]:
    known = MEMBERS[:3]
    return build_all(
        DataSubgraph(
            NAME,
            "orders",
            tables={
                "Order": ORDERS,
                "Customer": [{"id": p["id"], "orders": _orders_of(p["id"])} for p in PEOPLE],
            },
            resolvers={
                "Query": {
                    "orders": lambda *_: ORDERS,
                    "order": lambda _r, _i, id: next((o for o in ORDERS if o["id"] == id), None),
                }
            },
        ),
        DataSubgraph(NAME, "crm", tables={"Customer": PEOPLE}),
        DataSubgraph(NAME, "partners", tables={"Customer": OFFERS}),
        DataSubgraph(
            NAME,
            "loyalty",
            tables={"Customer": MEMBERS},
            resolvers={
                "Query": {
                    "topMembers": lambda *_: sorted(known, key=lambda m: -m["points"]),
                    "member": lambda _r, _i, email: next(
                        (m for m in MEMBERS if m["email"] == email), None
                    ),
                }
            },
        ),
    )


CASES = (
    Case(
        "orders to loyalty through crm",
        "{ orders { id placedBy { name points tier } } }",
        {
            "data": {
                "orders": [
                    {"id": "o1", "placedBy": {"name": "Ada", "points": 120, "tier": "GOLD"}},
                    {"id": "o2", "placedBy": {"name": "Bob", "points": 40, "tier": "SILVER"}},
                    {"id": "o3", "placedBy": {"name": "Ada", "points": 120, "tier": "GOLD"}},
                ]
            }
        },
        fetches=3,
        depth=3,
    ),
    Case(
        "loyalty to orders through crm",
        "{ topMembers { email points orders { id total } } }",
        {
            "data": {
                "topMembers": [
                    {
                        "email": "ada@example.com",
                        "points": 120,
                        "orders": [{"id": "o1", "total": 30}, {"id": "o3", "total": 12}],
                    },
                    {
                        "email": "bob@example.com",
                        "points": 40,
                        "orders": [{"id": "o2", "total": 45}],
                    },
                    {"email": "cy@example.com", "points": 5, "orders": []},
                ]
            }
        },
        fetches=3,
        depth=3,
    ),
    Case(
        "four jumps: an order's customer's referrer's orders",
        '{ order(id: "o2") { total placedBy { name referrer { name points orders { id } } } } }',
        {
            "data": {
                "order": {
                    "total": 45,
                    "placedBy": {
                        "name": "Bob",
                        "referrer": {
                            "name": "Ada",
                            "points": 120,
                            "orders": [{"id": "o1"}, {"id": "o3"}],
                        },
                    },
                }
            }
        },
        fetches=5,
        depth=5,
    ),
    Case(
        "only the bridge's own field between the two",
        "{ topMembers { name referrer { email name } } }",
        {
            "data": {
                "topMembers": [
                    {"name": "Ada", "referrer": None},
                    {"name": "Bob", "referrer": {"email": "ada@example.com", "name": "Ada"}},
                    {"name": "Cy", "referrer": {"email": "bob@example.com", "name": "Bob"}},
                ]
            }
        },
        # crm for the members and for their referrers: two paths, one level
        fetches=3,
        depth=2,
    ),
    Case(
        "three jumps: orders, crm, loyalty, partners",
        "{ orders { id placedBy { offers } } }",
        {
            "data": {
                "orders": [
                    {"id": "o1", "placedBy": {"offers": ["lounge", "upgrade"]}},
                    {"id": "o2", "placedBy": {"offers": []}},
                    {"id": "o3", "placedBy": {"offers": ["lounge", "upgrade"]}},
                ]
            }
        },
        fetches=4,
        depth=4,
    ),
    Case(
        "from partners' key back to orders",
        '{ member(email: "cy@example.com") { offers referrer { offers orders { total } } } }',
        {
            "data": {
                "member": {
                    "offers": ["voucher"],
                    "referrer": {"offers": [], "orders": [{"total": 45}]},
                }
            }
        },
        # loyalty, then partners for the member and its referrer alongside crm for the
        # referrer, then orders
        fetches=5,
        depth=3,
    ),
    Case(
        "a member the bridge does not know",
        '{ member(email: "zed@example.com") { points name } }',
        {
            "data": {"member": None},
            "errors": [
                error(
                    "Cannot return null for non-nullable field Customer.name.", ["member", "name"]
                )
            ],
        },
        fetches=2,
        depth=2,
    ),
)

FIXTURE = Fixture(
    NAME,
    _subgraphs,
    CASES,
    arguments={
        ("Query", "order"): ['(id: "o1")', '(id: "o2")', '(id: "nope")'],
        ("Query", "member"): ['(email: "bob@example.com")', '(email: "cy@example.com")'],
    },
)
