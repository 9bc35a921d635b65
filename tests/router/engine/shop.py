"""The "shop" scenario: users, products, reviews and inventory over in-memory data.

Covers root fields over several subgraphs, entity jumps several hops deep, @provides, @requires
(with an argument on the requiring field), @external, @inaccessible, mutations, and failures:
`User.name` of u3 raises (nullable), `Review.body` of r5 raises (non-null), product p4 and user
u404 are unknown to the subgraphs that would extend them (entity not found).
"""

from __future__ import annotations

from typing import Any

from tests.router.engine.subgraph_kit import InProcessTransport, TestSubgraph, read_sdl

USERS = {
    "u1": {"id": "u1", "username": "ada", "name": "Ada Lovelace"},
    "u2": {"id": "u2", "username": "bob", "name": "Bob Moore"},
    "u3": {"id": "u3", "username": "cy", "name": "Cy Sealed"},
}
PRODUCTS = {
    "p1": {"upc": "p1", "name": "Table", "price": 899, "weight": 100},
    "p2": {"upc": "p2", "name": "Couch", "price": 1299, "weight": 1000},
    "p3": {"upc": "p3", "name": "Chair", "price": 54, "weight": 50},
    "p4": {"upc": "p4", "name": "Lamp", "price": 20, "weight": 2},
}
STOCK = {"p1": True, "p2": False, "p3": True}
REVIEWS = [
    {"id": "r1", "upc": "p1", "author": "u1", "body": "Love it"},
    {"id": "r2", "upc": "p1", "author": "u2", "body": "Too expensive"},
    {"id": "r3", "upc": "p2", "author": "u3", "body": "Could be better"},
    {"id": "r4", "upc": "p3", "author": "u404", "body": "Unknown author"},
    {"id": "r5", "upc": "p4", "author": "u3", "body": None},
]
# reviews keeps its own copy of usernames, which is what lets it @provide them
USERNAMES = {"u1": "ada", "u2": "bob", "u3": "cy", "u404": "ghost"}


def _users() -> TestSubgraph:
    data = {k: dict(v) for k, v in USERS.items()}

    def name(user: dict[str, Any], _info: Any) -> str:
        if user["id"] == "u3":
            raise ValueError("name is sealed")
        return str(user["name"])

    def rename(_root: Any, _info: Any, id: str, name: str) -> dict[str, Any] | None:
        user = data.get(id)
        if user is not None:
            user["name"] = name
        return user

    return TestSubgraph(
        "users",
        read_sdl("shop", "users"),
        resolvers={
            "Query": {
                "me": lambda *_: data["u1"],
                "users": lambda *_: list(data.values()),
                "user": lambda _r, _i, id: data.get(id),
            },
            "Mutation": {"renameUser": rename},
            "User": {"name": name},
        },
        entities={"User": lambda rep: data.get(rep["id"])},
    )


def _products() -> TestSubgraph:
    return TestSubgraph(
        "products",
        read_sdl("shop", "products"),
        resolvers={
            "Query": {
                "topProducts": lambda _r, _i, first: list(PRODUCTS.values())[:first],
                "product": lambda _r, _i, upc: PRODUCTS.get(upc),
            }
        },
        entities={"Product": lambda rep: PRODUCTS.get(rep["upc"])},
    )


def _reviews() -> TestSubgraph:
    reviews = [dict(r) for r in REVIEWS]

    def review_view(review: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": review["id"],
            "body": review["body"],
            "author": {"id": review["author"], "username": USERNAMES[review["author"]]},
            "product": {"upc": review["upc"]},
        }

    def body(review: dict[str, Any], _info: Any) -> str | None:
        if review["body"] is None:
            raise ValueError(f"review {review['id']} body is unavailable")
        return str(review["body"])

    def add_review(_root: Any, _info: Any, upc: str, body: str) -> dict[str, Any]:
        review = {"id": f"r{len(reviews) + 1}", "upc": upc, "author": "u1", "body": body}
        reviews.append(review)
        return review_view(review)

    def by_author(user: dict[str, Any], _info: Any) -> list[dict[str, Any]]:
        return [review_view(r) for r in reviews if r["author"] == user["id"]]

    def by_product(product: dict[str, Any], _info: Any) -> list[dict[str, Any]]:
        return [review_view(r) for r in reviews if r["upc"] == product["upc"]]

    return TestSubgraph(
        "reviews",
        read_sdl("shop", "reviews"),
        resolvers={
            "Query": {"latestReviews": lambda *_: [review_view(r) for r in reversed(reviews)]},
            "Mutation": {"addReview": add_review},
            "Review": {"body": body},
            "User": {"reviews": by_author},
            "Product": {"reviews": by_product},
        },
        entities={
            "User": lambda rep: {"id": rep["id"]},
            "Product": lambda rep: {"upc": rep["upc"]},
            "Review": lambda rep: next(
                (review_view(r) for r in reviews if r["id"] == rep["id"]), None
            ),
        },
    )


def _inventory() -> TestSubgraph:
    def product(rep: dict[str, Any]) -> dict[str, Any] | None:
        if rep["upc"] not in STOCK:
            return None
        return {**rep, "inStock": STOCK[rep["upc"]]}

    def shipping_estimate(product: dict[str, Any], _info: Any, expedited: bool) -> int:
        # Only computable when the router sent the @requires fields in the representation.
        if "price" not in product or "weight" not in product:
            raise ValueError("price and weight are required")
        base = 0 if product["price"] > 1000 else product["weight"] // 2
        return base + (10 if expedited else 0)

    return TestSubgraph(
        "inventory",
        read_sdl("shop", "inventory"),
        resolvers={"Product": {"shippingEstimate": shipping_estimate}},
        entities={"Product": product},
    )


def shop_transport() -> InProcessTransport:
    """Fresh subgraphs (mutations change their data) behind a recording transport."""
    subgraphs = [_users(), _products(), _reviews(), _inventory()]
    return InProcessTransport({s.name: s for s in subgraphs})
