"""The "keys" scenario: multiple, compound and nested keys, `resolvable: false`, @override,
@shareable, and a two-hop key chain (pricing knows only `code region`, stock only `id`).

Shareable `Sku.name` answers differently per subgraph on purpose, so tests see which one was used.
"""

from __future__ import annotations

from typing import Any

from tests.router.engine.subgraph_kit import InProcessTransport, TestSubgraph, read_sdl

SKUS = {
    "s1": {"id": "s1", "code": "A1", "region": "EU", "review": "rv1", "city": ("Berlin", "DE")},
    "s2": {"id": "s2", "code": "A1", "region": "US", "review": None, "city": ("Berlin", "DE")},
    "s3": {"id": "s3", "code": "B7", "region": "EU", "review": "rv2", "city": ("Austin", "US")},
}
PRICES = {("A1", "EU"): 10, ("A1", "US"): 12, ("B7", "EU"): 7}
STOCK = {"s1": 5, "s2": 0, "s3": 9}
CAPACITY = {("Berlin", "DE"): 100, ("Austin", "US"): 50}
STARS = {"rv1": 5, "rv2": 3}


def _catalog_view(sku: dict[str, Any]) -> dict[str, Any]:
    city, country = sku["city"]
    return {
        "id": sku["id"],
        "code": sku["code"],
        "region": sku["region"],
        "name": f"catalog {sku['id']}",
        "title": "stale catalog title",
        "topReview": {"id": sku["review"]} if sku["review"] else None,
        "warehouse": {"location": {"city": city, "country": country}},
    }


def _by_code(rep: dict[str, Any]) -> dict[str, Any] | None:
    for sku in SKUS.values():
        if (sku["code"], sku["region"]) == (rep["code"], rep["region"]):
            return _catalog_view(sku)
    return None


def _catalog_entity(rep: dict[str, Any]) -> dict[str, Any] | None:
    if "id" in rep:
        sku = SKUS.get(rep["id"])
        return _catalog_view(sku) if sku else None
    return _by_code(rep)


def _pricing_sku(rep: dict[str, Any]) -> dict[str, Any] | None:
    key = (rep["code"], rep["region"])
    if key not in PRICES:
        return None
    return {**rep, "price": PRICES[key], "title": f"{rep['code']}-{rep['region']}"}


def _stock_sku(rep: dict[str, Any]) -> dict[str, Any] | None:
    if rep["id"] not in STOCK:
        return None
    return {"id": rep["id"], "stock": STOCK[rep["id"]], "name": f"stock {rep['id']}"}


def _warehouse(rep: dict[str, Any]) -> dict[str, Any] | None:
    location = rep["location"]
    capacity = CAPACITY.get((location["city"], location["country"]))
    if capacity is None:
        return None
    zone = "EMEA" if location["country"] == "DE" else "AMER"
    return {"location": {**location, "zone": zone}, "capacity": capacity}


def keys_transport() -> InProcessTransport:
    subgraphs = [
        TestSubgraph(
            "catalog",
            read_sdl("keys", "catalog"),
            resolvers={"Query": {"skus": lambda *_: [_catalog_view(s) for s in SKUS.values()]}},
            entities={"Sku": _catalog_entity},
        ),
        TestSubgraph(
            "pricing",
            read_sdl("keys", "pricing"),
            resolvers={
                "Query": {"cheapest": lambda *_: _pricing_sku({"code": "B7", "region": "EU"})}
            },
            entities={"Sku": _pricing_sku},
        ),
        TestSubgraph(
            "stock",
            read_sdl("keys", "stock"),
            entities={"Sku": _stock_sku, "Warehouse": _warehouse},
        ),
        TestSubgraph(
            "ratings",
            read_sdl("keys", "ratings"),
            entities={"Review": lambda rep: {"id": rep["id"], "stars": STARS.get(rep["id"])}},
        ),
    ]
    return InProcessTransport({s.name: s for s in subgraphs})
