"""``@override`` on implementations of an interface, with progressive override labels.

legacy serves ``interface Account`` (Savings, Checking) and all their fields. ledger has taken
``Savings.balance`` over (``@override(from: "legacy")``) and is taking Checking's fields over
progressively: ``balance`` with ``label: "percent(0)"`` (the override applies to no request, so
legacy still serves it) and ``overdraft`` with ``label: "percent(100)"`` (it applies to every
request, so ledger serves it). The two subgraphs disagree on purpose about the moved fields
(legacy's copies are stale), so an answer shows which subgraph the planner asked.
"""

from __future__ import annotations

from typing import Any

from tests.router.corpus.kit import Case, DataSubgraph, Fixture, build_all

NAME = "override_interface"

LEGACY = [
    {"__typename": "Savings", "id": "s1", "balance": 0, "rate": 3},
    {"__typename": "Checking", "id": "c1", "balance": 100, "overdraft": 0, "fee": 5},
    {"__typename": "Savings", "id": "s2", "balance": 0, "rate": 4},
]
LEDGER_SAVINGS = [{"id": "s1", "balance": 500}, {"id": "s2", "balance": 250}]
LEDGER_CHECKING = [{"id": "c1", "balance": 999, "overdraft": 50}]


def _subgraphs() -> dict[str, Any]:
    return build_all(
        DataSubgraph(
            NAME,
            "legacy",
            tables={"Savings": LEGACY[::2], "Checking": LEGACY[1:2]},
            resolvers={"Query": {"accounts": lambda *_: LEGACY}},
        ),
        DataSubgraph(
            NAME,
            "ledger",
            tables={"Savings": LEDGER_SAVINGS, "Checking": LEDGER_CHECKING},
        ),
    )


CASES = (
    Case(
        "an overridden implementation field through the interface",
        "{ accounts { id balance } }",
        {
            "data": {
                "accounts": [
                    {"id": "s1", "balance": 500},
                    {"id": "c1", "balance": 100},
                    {"id": "s2", "balance": 250},
                ]
            }
        },
        # legacy (Checking's balance with it), then ledger for the savings' balances
        fetches=2,
        depth=2,
    ),
    Case(
        "percent(100) moves the field for every request",
        "{ accounts { ... on Checking { overdraft fee } } }",
        {"data": {"accounts": [{}, {"overdraft": 50, "fee": 5}, {}]}},
        fetches=2,
        depth=2,
    ),
    Case(
        "percent(0) keeps the field with the old subgraph",
        "{ accounts { ... on Checking { balance } } }",
        {"data": {"accounts": [{}, {"balance": 100}, {}]}},
        fetches=1,
        depth=1,
    ),
    Case(
        "a field that did not move",
        "{ accounts { __typename ... on Savings { rate } } }",
        {
            "data": {
                "accounts": [
                    {"__typename": "Savings", "rate": 3},
                    {"__typename": "Checking"},
                    {"__typename": "Savings", "rate": 4},
                ]
            }
        },
        fetches=1,
        depth=1,
    ),
    Case(
        "an overridden field only",
        "{ accounts { ... on Savings { balance } } }",
        {"data": {"accounts": [{"balance": 500}, {}, {"balance": 250}]}},
        fetches=2,
        depth=2,
    ),
)

FIXTURE = Fixture(NAME, _subgraphs, CASES)
