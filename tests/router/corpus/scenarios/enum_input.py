"""Enum values and input fields that differ between subgraphs.

Composition merges an output-only enum to the union of the subgraphs' values (``Status``: OPEN,
SHIPPED from orders, RETURNED from returns), an input-only enum to their intersection
(``Channel``: WEB; STORE and PHONE are each one subgraph's), and an input object to the fields
every subgraph has (``OrderFilter.minTotal``; orders' ``region`` is dropped). A client can only
send what every subgraph that may receive it accepts; each subgraph answers with its own values.
"""

from __future__ import annotations

from typing import Any

from tests.router.corpus.kit import Case, DataSubgraph, Fixture, build_all

NAME = "enum_input"

ORDERS = [
    {"id": "o1", "total": 30, "status": "SHIPPED", "channel": "WEB"},
    {"id": "o2", "total": 10, "status": "OPEN", "channel": "STORE"},
    {"id": "o3", "total": 55, "status": "SHIPPED", "channel": "WEB"},
]
RETURNS = [
    {"id": "o1", "total": 30, "channel": "WEB", "returnStatus": "RETURNED"},
    {"id": "o2", "total": 10, "channel": "STORE", "returnStatus": None},
    {"id": "o3", "total": 55, "channel": "PHONE", "returnStatus": "OPEN"},
]


def _filtered(
    rows: list[dict[str, Any]], filter: dict[str, Any] | None, channel: str | None
) -> list[dict[str, Any]]:
    minimum = (filter or {}).get("minTotal")
    return [
        row
        for row in rows
        if (minimum is None or row["total"] >= minimum)
        and (channel is None or row["channel"] == channel)
    ]


def _orders(_root: Any, _info: Any, filter: Any = None, channel: Any = None) -> Any:
    return _filtered(ORDERS, filter, channel)


def _returns(_root: Any, _info: Any, filter: Any = None, channel: Any = None) -> Any:
    return [r for r in _filtered(RETURNS, filter, channel) if r["returnStatus"] is not None]


def _subgraphs() -> dict[str, Any]:
    return build_all(
        DataSubgraph(
            NAME, "orders", tables={"Order": ORDERS}, resolvers={"Query": {"orders": _orders}}
        ),
        DataSubgraph(
            NAME, "returns", tables={"Order": RETURNS}, resolvers={"Query": {"returns": _returns}}
        ),
    )


CASES = (
    Case(
        "output enum values from both subgraphs",
        "{ orders { id status returnStatus } }",
        {
            "data": {
                "orders": [
                    {"id": "o1", "status": "SHIPPED", "returnStatus": "RETURNED"},
                    {"id": "o2", "status": "OPEN", "returnStatus": None},
                    {"id": "o3", "status": "SHIPPED", "returnStatus": "OPEN"},
                ]
            }
        },
        fetches=2,
        depth=2,
    ),
    Case(
        "an input object both subgraphs accept, in a variable",
        "query ($f: OrderFilter) { orders(filter: $f) { id } returns(filter: $f) { id } }",
        {"data": {"orders": [{"id": "o1"}, {"id": "o3"}], "returns": [{"id": "o1"}, {"id": "o3"}]}},
        variables={"f": {"minTotal": 20}},
        fetches=2,
        depth=1,
    ),
    Case(
        "an input field only one subgraph has is not in the API",
        '{ orders(filter: { region: "EU" }) { id } }',
        {
            "errors": [
                {
                    "message": "Expected value of type 'OrderFilter' not to include unknown field"
                    " 'region', found: { region: \"EU\" }."
                }
            ]
        },
    ),
    Case(
        "an input enum value only one subgraph accepts is not in the API",
        "{ returns(channel: PHONE) { id } }",
        {"errors": [{"message": "Value 'PHONE' does not exist in 'Channel' enum."}]},
    ),
    Case(
        "the common input enum value, in a variable, to both subgraphs",
        "query ($c: Channel) { orders(channel: $c) { id returnStatus }"
        " returns(channel: $c) { id } }",
        {
            "data": {
                "orders": [
                    {"id": "o1", "returnStatus": "RETURNED"},
                    {"id": "o3", "returnStatus": "OPEN"},
                ],
                "returns": [{"id": "o1"}],
            }
        },
        variables={"c": "WEB"},
        # orders and returns side by side, then returns for the orders' return status
        fetches=3,
        depth=2,
    ),
    Case(
        "a returned status only one subgraph has, through an entity jump",
        "{ returns { id status returnStatus } }",
        {
            "data": {
                "returns": [
                    {"id": "o1", "status": "SHIPPED", "returnStatus": "RETURNED"},
                    {"id": "o3", "status": "SHIPPED", "returnStatus": "OPEN"},
                ]
            }
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
        ("Query", "orders"): ["", "(channel: WEB)", "(filter: { minTotal: 20 })"],
        ("Query", "returns"): ["", "(filter: { minTotal: 40 })"],
    },
)
