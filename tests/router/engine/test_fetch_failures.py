"""A fetch that fails as a whole is reported as field errors at the fields it was to resolve.

GraphQL spec 7.1.2: a field error carries the response path of its field. Hive Gateway reports a
failed subgraph request once per field of that request (root fields, or each entity's fields at
its path); these tests pin the same for our router over the "shop" scenario, with null
propagation per spec and no extra "Cannot return null" error where an error already covers the
position. Subgraphs fail by being unreachable (`InProcessTransport.down`) or by refusing the
request: errors and no `data`, as a subgraph does for a variable it cannot coerce.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from router.execution import RequestContext
from router.gateway import Gateway
from tests.router.engine.shop import shop_transport
from tests.router.engine.subgraph_kit import InProcessTransport, load_supergraph

SUPERGRAPH = load_supergraph("shop")
UNREACHABLE = {"code": "SUBREQUEST_HTTP_ERROR", "service": "users"}


@dataclass
class _Refusing:
    """Like the shop transport, but `refused` subgraphs answer errors without `data`."""

    inner: InProcessTransport
    refused: set[str] = field(default_factory=set)

    async def send(
        self, subgraph: str, payload: dict[str, Any], context: RequestContext
    ) -> dict[str, Any]:
        if subgraph in self.refused:
            return {"errors": [{"message": "refused", "extensions": {"code": "BAD_USER_INPUT"}}]}
        return await self.inner.send(subgraph, payload, context)


def _down(*subgraphs: str) -> Gateway:
    transport = shop_transport()
    transport.down.update(subgraphs)
    return Gateway(SUPERGRAPH, transport)


def _paths(response: dict[str, Any]) -> list[list[str | int] | None]:
    return [error.get("path") for error in response["errors"]]


async def test_root_fetch_failure_is_reported_at_each_root_field_it_served() -> None:
    outcome = await _down("users").execute(
        '{ me { username } a: user(id: "u2") { id } topProducts(first: 1) { name } }'
    )
    assert outcome.response["data"] == {"me": None, "a": None, "topProducts": [{"name": "Table"}]}
    assert _paths(outcome.response) == [["me"], ["a"]]
    for error in outcome.response["errors"]:
        assert error["extensions"] == UNREACHABLE
        assert error["message"].startswith("HTTP fetch failed from 'users'")


async def test_root_fetch_failure_on_a_non_null_field_nulls_data_without_a_second_error() -> None:
    outcome = await _down("users").execute("{ users { id } topProducts(first: 1) { name } }")
    assert outcome.response["data"] is None
    assert _paths(outcome.response) == [["users"]]
    assert outcome.response["errors"][0]["extensions"] == UNREACHABLE


async def test_refused_root_fetch_copies_the_subgraph_error_to_each_root_field() -> None:
    gateway = Gateway(SUPERGRAPH, _Refusing(shop_transport(), {"users"}))
    outcome = await gateway.execute('{ me { username } a: user(id: "u2") { id } }')
    assert outcome.response == {
        "data": {"me": None, "a": None},
        "errors": [
            {"message": "refused", "path": ["me"], "extensions": {"code": "BAD_USER_INPUT"}},
            {"message": "refused", "path": ["a"], "extensions": {"code": "BAD_USER_INPUT"}},
        ],
    }


async def test_entity_fetch_failure_on_nullable_fields_errors_at_each_entity_field() -> None:
    # a list of entities: one error per product and per field the failed fetch was to fill
    outcome = await _down("products").execute("{ latestReviews { id product { name price } } }")
    reviews = outcome.response["data"]["latestReviews"]
    assert [r["id"] for r in reviews] == ["r5", "r4", "r3", "r2", "r1"]
    assert all(r["product"] == {"name": None, "price": None} for r in reviews)
    assert _paths(outcome.response) == [
        ["latestReviews", index, "product", key] for index in range(5) for key in ("name", "price")
    ]
    codes = {error["extensions"]["code"] for error in outcome.response["errors"]}
    assert codes == {"SUBREQUEST_HTTP_ERROR"}


async def test_refused_entity_fetch_is_reported_at_the_entity_fields() -> None:
    gateway = Gateway(SUPERGRAPH, _Refusing(shop_transport(), {"users"}))
    outcome = await gateway.execute('{ product(upc: "p1") { reviews { author { name } } } }')
    assert outcome.response["data"] == {
        "product": {"reviews": [{"author": {"name": None}}, {"author": {"name": None}}]}
    }
    assert _paths(outcome.response) == [
        ["product", "reviews", 0, "author", "name"],
        ["product", "reviews", 1, "author", "name"],
    ]
    assert {e["message"] for e in outcome.response["errors"]} == {"refused"}


async def test_entity_fetch_failure_on_a_non_null_field_propagates_with_one_error() -> None:
    outcome = await _down("inventory").execute('{ product(upc: "p1") { name inStock } }')
    assert outcome.response["data"] == {"product": None}
    assert _paths(outcome.response) == [["product", "inStock"]]
    assert outcome.response["errors"][0]["extensions"]["service"] == "inventory"
    assert "Cannot return null" not in str(outcome.response)


async def test_entity_fetch_failure_under_a_list_of_non_null_entities() -> None:
    outcome = await _down("reviews").execute("{ topProducts(first: 2) { name reviews { id } } }")
    # Product.reviews is non-null, so is each Product and topProducts: the null reaches data.
    # Every entity's field is reported (graphql-js stops at the first; the spec fixes neither).
    assert outcome.response["data"] is None
    assert _paths(outcome.response) == [
        ["topProducts", 0, "reviews"],
        ["topProducts", 1, "reviews"],
    ]
    assert "Cannot return null" not in str(outcome.response)


async def test_failure_of_a_requirement_the_client_did_not_ask_for_is_not_lost() -> None:
    # products resolves price and weight only as requirements of inventory's shippingEstimate;
    # the client sees neither, so the error stands at the product that could not be completed
    outcome = await _down("products").execute(
        "{ me { reviews { product { upc shippingEstimate } } } }"
    )
    assert outcome.response["data"] == {
        "me": {"reviews": [{"product": {"upc": "p1", "shippingEstimate": None}}]}
    }
    assert _paths(outcome.response) == [["me", "reviews", 0, "product"]]
    assert outcome.response["errors"][0]["extensions"]["service"] == "products"


async def test_failure_alongside_an_error_at_a_requested_field_is_not_duplicated() -> None:
    outcome = await _down("products").execute(
        "{ me { reviews { product { name shippingEstimate } } } }"
    )
    assert _paths(outcome.response) == [["me", "reviews", 0, "product", "name"]]
