"""@requires chains that go back and forth between two subgraphs.

catalog's ``shippingQuote`` requires pricing's ``insuredValue``, which requires catalog's own
``weightGrams``; pricing's ``finalPrice`` requires ``shippingQuote``, so it goes catalog,
pricing, catalog, pricing. customs requires fields of both (one of them a chain itself). Grouping
fetches by subgraph alone sees a cycle here; there is none between fetches.
"""

from __future__ import annotations

from typing import Any

from tests.router.corpus.kit import Case, DataSubgraph, Fixture, build_all, required

NAME = "requires_chain"

PRODUCTS = [
    {"id": "p1", "name": "Kettle", "weightGrams": 500},
    {"id": "p2", "name": "Bench", "weightGrams": 2000},
    {"id": "p3", "name": "Card", "weightGrams": 100},
]
PRICES = [
    {"id": "p1", "listPrice": 100},
    {"id": "p2", "listPrice": 300},
    {"id": "p3", "listPrice": 20},
]


def _insured(source: dict[str, Any], _info: Any) -> int | None:
    (weight,) = required(source, "weightGrams")
    return weight // 10 if weight > 200 else None


def _quote(source: dict[str, Any], _info: Any) -> str:
    (insured,) = required(source, "insuredValue")
    return f"courier:{insured}" if insured is not None else "post"


def _final(source: dict[str, Any], _info: Any) -> int:
    (quote,) = required(source, "shippingQuote")
    return int(source["listPrice"]) + (9 if quote.startswith("courier") else 2)


def _duty(source: dict[str, Any], _info: Any) -> int:
    insured, weight = required(source, "insuredValue", "weightGrams")
    return (insured or 0) + weight // 100


def _subgraphs() -> dict[str, Any]:
    return build_all(
        DataSubgraph(
            NAME,
            "catalog",
            tables={"Product": PRODUCTS},
            resolvers={
                "Query": {
                    "products": lambda *_: PRODUCTS,
                    "product": lambda _r, _i, id: next(
                        (p for p in PRODUCTS if p["id"] == id), None
                    ),
                },
                "Product": {"shippingQuote": _quote},
            },
        ),
        DataSubgraph(
            NAME,
            "pricing",
            tables={"Product": PRICES},
            resolvers={"Product": {"insuredValue": _insured, "finalPrice": _final}},
        ),
        DataSubgraph(
            NAME,
            "customs",
            tables={"Product": [{"id": p["id"]} for p in PRODUCTS]},
            resolvers={"Product": {"dutyEstimate": _duty}},
        ),
    )


CASES = (
    Case(
        "a requirement that requires a field of the first subgraph",
        "{ products { id shippingQuote } }",
        {
            "data": {
                "products": [
                    {"id": "p1", "shippingQuote": "courier:50"},
                    {"id": "p2", "shippingQuote": "courier:200"},
                    {"id": "p3", "shippingQuote": "post"},
                ]
            }
        },
        fetches=3,
        depth=3,
    ),
    Case(
        "back and forth twice",
        "{ products { finalPrice } }",
        {"data": {"products": [{"finalPrice": 109}, {"finalPrice": 309}, {"finalPrice": 22}]}},
        fetches=4,
        depth=4,
    ),
    Case(
        "one step of the chain",
        '{ product(id: "p2") { name insuredValue } }',
        {"data": {"product": {"name": "Bench", "insuredValue": 200}}},
        fetches=2,
        depth=2,
    ),
    Case(
        "requirements from two subgraphs, one a chain",
        "{ products { dutyEstimate shippingQuote } }",
        {
            "data": {
                "products": [
                    {"dutyEstimate": 55, "shippingQuote": "courier:50"},
                    {"dutyEstimate": 220, "shippingQuote": "courier:200"},
                    {"dutyEstimate": 1, "shippingQuote": "post"},
                ]
            }
        },
        # catalog, pricing, then catalog and customs side by side
        fetches=4,
        depth=3,
    ),
    Case(
        "the whole chain and its inputs",
        '{ product(id: "p1") { name weightGrams insuredValue shippingQuote finalPrice'
        " dutyEstimate } }",
        {
            "data": {
                "product": {
                    "name": "Kettle",
                    "weightGrams": 500,
                    "insuredValue": 50,
                    "shippingQuote": "courier:50",
                    "finalPrice": 109,
                    "dutyEstimate": 55,
                }
            }
        },
        fetches=5,
        depth=4,
    ),
    Case(
        "only customs, whose inputs come from two subgraphs",
        '{ product(id: "p3") { dutyEstimate } }',
        {"data": {"product": {"dutyEstimate": 1}}},
        fetches=3,
        depth=3,
    ),
)

FIXTURE = Fixture(
    NAME,
    _subgraphs,
    CASES,
    arguments={("Query", "product"): ['(id: "p1")', '(id: "p3")', '(id: "p9")']},
)
