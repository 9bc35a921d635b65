"""Each scenario's graph as one ordinary graphql-core schema over the same data.

They are the oracles of the differential property tests: whatever the router answers by planning
over the subgraphs must equal what the monolith answers directly.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLSchema, build_ast_schema, parse, print_schema

from tests.router.engine import abstract, fragments, keys, requires, shop
from tests.router.engine.subgraph_kit import load_supergraph


def _build(scenario: str, resolvers: dict[str, dict[str, Any]]) -> GraphQLSchema:
    schema = build_ast_schema(parse(print_schema(load_supergraph(scenario).api_schema)))
    for type_name, fields in resolvers.items():
        type_ = schema.type_map[type_name]
        for field_name, resolver in fields.items():
            type_.fields[field_name].resolve = resolver  # type: ignore[attr-defined]
    return schema


def shop_monolith() -> GraphQLSchema:
    def name(user: dict[str, Any], _info: Any) -> str | None:
        if user["id"] == "u3":
            raise ValueError("name is sealed")
        found = shop.USERS.get(user["id"])
        return None if found is None else str(found["name"])

    def body(review: dict[str, Any], _info: Any) -> str:
        if review["body"] is None:
            raise ValueError(f"review {review['id']} body is unavailable")
        return str(review["body"])

    def shipping(product: dict[str, Any], _info: Any, expedited: bool) -> int | None:
        if product["upc"] not in shop.STOCK:
            return None
        base = 0 if product["price"] > 1000 else product["weight"] // 2
        return base + (10 if expedited else 0)

    reviews = shop.REVIEWS
    return _build(
        "shop",
        {
            "Query": {
                "me": lambda *_: {"id": "u1"},
                "users": lambda *_: [{"id": u} for u in shop.USERS],
                "user": lambda _r, _i, id: {"id": id} if id in shop.USERS else None,
                "topProducts": lambda _r, _i, first: list(shop.PRODUCTS.values())[:first],
                "product": lambda _r, _i, upc: shop.PRODUCTS.get(upc),
                "latestReviews": lambda *_: list(reversed(reviews)),
            },
            "User": {
                "username": lambda user, _i: shop.USERNAMES[user["id"]],
                "name": name,
                "reviews": lambda user, _i: [r for r in reviews if r["author"] == user["id"]],
            },
            "Product": {
                "reviews": lambda product, _i: [r for r in reviews if r["upc"] == product["upc"]],
                "inStock": lambda product, _i: shop.STOCK.get(product["upc"]),
                "shippingEstimate": shipping,
            },
            "Review": {
                "body": body,
                "author": lambda review, _i: {"id": review["author"]},
                "product": lambda review, _i: shop.PRODUCTS[review["upc"]],
            },
        },
    )


def abstract_monolith() -> GraphQLSchema:
    items = abstract.ITEMS

    def rating(item: dict[str, Any], _info: Any) -> int | None:
        return abstract.RATINGS.get(item["id"])

    return _build(
        "abstract",
        {
            "Query": {
                "library": lambda *_: [items["b1"], items["m1"], items["m2"]],
                "search": lambda _r, _i, term: [
                    i
                    for i in items.values()
                    if term.lower() in str(i.get("title") or i.get("name")).lower()
                ],
                "node": lambda _r, _i, id: items.get(id),
                "topRated": lambda *_: [
                    items[i] for i, _r in sorted(abstract.RATINGS.items(), key=lambda kv: -kv[1])
                ],
            },
            "Book": {"rating": rating},
            "Movie": {
                "rating": rating,
                "gross": lambda item, _i: abstract.GROSS.get(item["id"]),
            },
            "Person": {
                "films": lambda person, _i: [items[m] for m in abstract.FILMS.get(person["id"], [])]
            },
        },
    )


def requires_monolith() -> GraphQLSchema:
    def dimensions(parcel: dict[str, Any], _info: Any) -> dict[str, Any]:
        length, width, kilograms = requires.DIMENSIONS[parcel["id"]]
        return {"length": length, "width": width, "kg": kilograms}

    def cost(parcel: dict[str, Any], _info: Any, currency: str) -> str:
        length, width, kilograms = requires.DIMENSIONS[parcel["id"]]
        factor = 0.5 if requires.TIERS[parcel["id"]] == "gold" else 1.0
        return f"{length * width * round(kilograms * 2.2, 2) * factor:.2f} {currency}"

    return _build(
        "requires",
        {
            "Query": {
                "parcels": lambda *_: [{"id": i, "status": s} for i, s in requires.PARCELS.items()],
                "cheapestParcel": lambda *_: {"id": "x2", "status": requires.PARCELS["x2"]},
            },
            "Parcel": {
                "dimensions": dimensions,
                "owner": lambda parcel, _i: {"tier": requires.TIERS[parcel["id"]]},
                "cost": cost,
            },
            "Dimensions": {
                "weight": lambda d, _i, unit: round(d["kg"] * 2.2, 2) if unit == "LB" else d["kg"]
            },
        },
    )


def keys_monolith() -> GraphQLSchema:
    def sku(sku_id: str) -> dict[str, Any]:
        return keys.SKUS[sku_id]

    def warehouse(item: dict[str, Any], _info: Any) -> dict[str, Any]:
        city, country = item["city"]
        zone = "EMEA" if country == "DE" else "AMER"
        return {
            "location": {"city": city, "country": country, "zone": zone},
            "capacity": keys.CAPACITY[(city, country)],
        }

    return _build(
        "keys",
        {
            "Query": {
                "skus": lambda *_: [sku(i) for i in keys.SKUS],
                "cheapest": lambda *_: sku("s3"),
            },
            "Sku": {
                "price": lambda item, _i: keys.PRICES[(item["code"], item["region"])],
                "title": lambda item, _i: f"{item['code']}-{item['region']}",
                "stock": lambda item, _i: keys.STOCK[item["id"]],
                "topReview": lambda item, _i: (
                    {"id": item["review"], "stars": keys.STARS[item["review"]]}
                    if item["review"]
                    else None
                ),
                "warehouse": warehouse,
            },
        },
    )


def fragments_monolith() -> GraphQLSchema:
    items = fragments.ITEMS

    def load(_shelf: dict[str, Any], _info: Any) -> int:
        return sum(
            items[i]["pages"] if "pages" in items[i] else 2 * items[i]["minutes"]
            for i in fragments.SHELF
        )

    return _build(
        "fragments",
        {
            "Query": {
                "shelf": lambda *_: {"id": "s1", "items": [items[i] for i in fragments.SHELF]},
                "featured": lambda *_: [items["b2"], items["d1"]],
            },
            "Shelf": {"load": load},
        },
    )
