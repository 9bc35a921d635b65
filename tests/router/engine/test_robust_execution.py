"""Robust execution (issue #11, point 5): a subgraph that answers wrongly costs only its own fields.

Real HTTP all the way: the "shop" and "abstract" scenarios' subgraphs are served on loopback by
uvicorn, the router talks to them through its real `SubgraphClient`, and a per-test `tamper` hook
rewrites (or delays, or fails) one subgraph's answer. Every case pins the exact response: `null`
at the broken position, an error at its exact path (GraphQL spec 7.1.2), null propagation to the
nearest nullable parent (spec 6.4.4), and every sibling's data intact. ADR 0017 says why each
malformation is treated the way it is.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import orjson
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from router.gateway import Gateway
from router.resilience import SubgraphPolicy
from router.subgraph_client import SubgraphClient
from router.supergraph import Supergraph
from tests.router.differential.scenario_server import point_supergraph_at
from tests.router.engine.abstract import abstract_transport
from tests.router.engine.shop import shop_transport
from tests.router.engine.subgraph_kit import FIXTURES, TestSubgraph
from tests.router.standins import serve_in_thread

MALFORMED = "SUBREQUEST_MALFORMED_RESPONSE"
# (subgraph, payload, the subgraph's real answer) -> the answer sent, or (HTTP status, body)
Tamper = Callable[[str, dict[str, Any], dict[str, Any]], Any]


class _Tampering:
    """Serves real test subgraphs; `tamper` (set by a test) rewrites their answers."""

    def __init__(self, subgraphs: dict[str, TestSubgraph]) -> None:
        self.subgraphs = subgraphs
        self.tamper: Tamper | None = None
        self.delay: dict[str, float] = {}

    async def endpoint(self, request: Request) -> Response:
        name = request.path_params["name"]
        payload = orjson.loads(await request.body())
        if name in self.delay:
            await asyncio.sleep(self.delay[name])
        result: Any = await self.subgraphs[name].execute(payload)
        if self.tamper is not None:
            result = self.tamper(name, payload, result)
        status = 200
        if isinstance(result, tuple):
            status, result = result
        body = result if isinstance(result, bytes) else orjson.dumps(result)
        return Response(body, status_code=status, media_type="application/json")

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/{name}/graphql", self.endpoint, methods=["POST"])])


@contextmanager
def _serve(scenario: str, subgraphs: dict[str, TestSubgraph]) -> Iterator[tuple[_Tampering, str]]:
    tampering = _Tampering(subgraphs)
    with serve_in_thread(tampering.app()) as running:
        sdl = (FIXTURES / scenario / "supergraph.graphql").read_text(encoding="utf-8")
        yield tampering, point_supergraph_at(sdl, running.base_url)


@pytest.fixture(scope="module")
def shop_server() -> Iterator[tuple[_Tampering, str]]:
    with _serve("shop", shop_transport().subgraphs) as served:
        yield served


@pytest.fixture(scope="module")
def abstract_server() -> Iterator[tuple[_Tampering, str]]:
    with _serve("abstract", abstract_transport().subgraphs) as served:
        yield served


# no retries and a breaker that never opens: each test sees its own failure; timeouts long
# enough for a loaded machine, except for the one subgraph a timeout test delays
_POLICY = SubgraphPolicy(
    read_timeout=10.0, fetch_timeout=20.0, retry_attempts=0, breaker_failure_threshold=1000
)
_SHORT = SubgraphPolicy(
    read_timeout=0.5, fetch_timeout=20.0, retry_attempts=0, breaker_failure_threshold=1000
)
_DELAY = 3.0  # seconds the delayed subgraph waits: far beyond its 0.5 s read timeout


async def _gateway(
    served: tuple[_Tampering, str], slow: str | None = None
) -> AsyncIterator[tuple[Gateway, _Tampering]]:
    tampering, sdl = served
    tampering.tamper = None
    tampering.delay = {} if slow is None else {slow: _DELAY}
    supergraph = Supergraph.from_sdl(sdl)
    policies = {} if slow is None else {slow: _SHORT}
    client = SubgraphClient(supergraph.subgraph_urls, policy=_POLICY, policies=policies)
    try:
        yield Gateway(supergraph, client), tampering
    finally:
        await client.aclose()
        tampering.tamper = None
        tampering.delay = {}


@pytest.fixture
async def shop(
    shop_server: tuple[_Tampering, str],
) -> AsyncIterator[tuple[Gateway, _Tampering]]:
    async for pair in _gateway(shop_server):
        yield pair


@pytest.fixture
async def abstract(
    abstract_server: tuple[_Tampering, str],
) -> AsyncIterator[tuple[Gateway, _Tampering]]:
    async for pair in _gateway(abstract_server):
        yield pair


def _entities_of(subgraph: str, change: Callable[[list[Any]], Any]) -> Tamper:
    """Rewrite the `_entities` list that `subgraph` answers (root fetches stay untouched)."""

    def tamper(name: str, payload: dict[str, Any], result: dict[str, Any]) -> Any:
        if name != subgraph or "_entities" not in payload["query"]:
            return result
        return {**result, "data": {"_entities": change(result["data"]["_entities"])}}

    return tamper


def _root_of(subgraph: str, change: Callable[[dict[str, Any]], Any]) -> Tamper:
    """Rewrite the `data` of `subgraph`'s root (non-entity) answers."""

    def tamper(name: str, payload: dict[str, Any], result: dict[str, Any]) -> Any:
        if name != subgraph or "_entities" in payload["query"]:
            return result
        return {**result, "data": change(result["data"])}

    return tamper


def _errors(response: dict[str, Any]) -> list[tuple[list[Any] | None, str | None]]:
    return [
        (e.get("path"), (e.get("extensions") or {}).get("code"))
        for e in response.get("errors") or ()
    ]


REVIEWS = "{ latestReviews { id product { name } } }"
REVIEW_IDS = ["r5", "r4", "r3", "r2", "r1"]  # products p4, p3, p2, p1, p1: 4 representations
NAMES = ["Lamp", "Chair", "Couch", "Table", "Table"]


def _reviews(names: list[str | None]) -> dict[str, Any]:
    return {
        "latestReviews": [
            {"id": rid, "product": {"name": name}}
            for rid, name in zip(REVIEW_IDS, names, strict=True)
        ]
    }


async def test_untampered_answer_is_complete(shop: tuple[Gateway, _Tampering]) -> None:
    gateway, _ = shop
    outcome = await gateway.execute(REVIEWS)
    assert outcome.response == {"data": _reviews(list(NAMES))}


# ---- _entities answers of the wrong length, with wrong items, or missing --------------------


async def test_fewer_entities_than_representations_refuses_the_whole_answer(
    shop: tuple[Gateway, _Tampering],
) -> None:
    gateway, tampering = shop
    tampering.tamper = _entities_of("products", lambda items: items[:-1])
    outcome = await gateway.execute(REVIEWS)
    # matched by position, a short list cannot say which entity is missing: none is trusted
    assert outcome.response["data"] == _reviews([None] * 5)
    assert _errors(outcome.response) == [
        (["latestReviews", index, "product", "name"], MALFORMED) for index in range(5)
    ]
    assert outcome.response["errors"][0]["message"] == (
        "Malformed response from 'products': 3 entities for 4 representations in _entities."
    )


async def test_more_entities_than_representations_is_refused_too(
    shop: tuple[Gateway, _Tampering],
) -> None:
    gateway, tampering = shop
    tampering.tamper = _entities_of("products", lambda items: [*items, {"name": "Extra"}])
    outcome = await gateway.execute(REVIEWS)
    assert outcome.response["data"] == _reviews([None] * 5)
    assert len(outcome.response["errors"]) == 5


async def test_an_item_that_is_not_an_object_costs_only_its_entity(
    shop: tuple[Gateway, _Tampering],
) -> None:
    gateway, tampering = shop
    # the first representation is p4 (review r5); the last, p1, stands for r2 and r1
    tampering.tamper = _entities_of("products", lambda items: ["oops", *items[1:-1], 7])
    outcome = await gateway.execute(REVIEWS)
    assert outcome.response["data"] == _reviews([None, "Chair", "Couch", None, None])
    assert _errors(outcome.response) == [
        (["latestReviews", 0, "product", "name"], MALFORMED),
        (["latestReviews", 3, "product", "name"], MALFORMED),
        (["latestReviews", 4, "product", "name"], MALFORMED),
    ]


async def test_an_item_of_another_concrete_type_is_refused(
    shop: tuple[Gateway, _Tampering],
) -> None:
    gateway, tampering = shop

    def change(items: list[Any]) -> list[Any]:
        return [{"__typename": "User", "name": "Ada Lovelace"}, *items[1:]]

    tampering.tamper = _entities_of("products", change)
    outcome = await gateway.execute(REVIEWS)
    assert outcome.response["data"] == _reviews([None, *NAMES[1:]])
    assert _errors(outcome.response) == [(["latestReviews", 0, "product", "name"], MALFORMED)]


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        ({"data": {"_entities": {"name": "x"}}}, MALFORMED),
        ({"data": {}}, MALFORMED),
        ({"data": None}, MALFORMED),
        ({}, "SUBREQUEST_HTTP_ERROR"),  # refused by the subgraph client: not a GraphQL response
    ],
    ids=["not a list", "no _entities", "data null", "nothing"],
)
async def test_an_answer_without_an_entities_list_errors_at_every_entity_field(
    shop: tuple[Gateway, _Tampering], answer: dict[str, Any], code: str
) -> None:
    gateway, tampering = shop

    def tamper(name: str, payload: dict[str, Any], result: dict[str, Any]) -> Any:
        return answer if name == "products" else result

    tampering.tamper = tamper
    outcome = await gateway.execute(REVIEWS)
    assert outcome.response["data"] == _reviews([None] * 5)
    assert _errors(outcome.response) == [
        (["latestReviews", index, "product", "name"], code) for index in range(5)
    ]


async def test_a_null_item_is_an_unknown_entity_null_without_error_where_nullable(
    shop: tuple[Gateway, _Tampering],
) -> None:
    # federation: `_entities` answers null for a representation the subgraph cannot resolve
    gateway, tampering = shop
    tampering.tamper = _entities_of("products", lambda items: [None, *items[1:]])
    outcome = await gateway.execute(REVIEWS)
    assert outcome.response == {"data": _reviews([None, *NAMES[1:]])}


async def test_a_null_item_under_a_non_null_field_propagates_to_the_nullable_parent(
    shop: tuple[Gateway, _Tampering],
) -> None:
    gateway, tampering = shop
    tampering.tamper = _entities_of("inventory", lambda items: [None])
    outcome = await gateway.execute('{ product(upc: "p1") { upc inStock } me { username } }')
    assert outcome.response == {
        "data": {"product": None, "me": {"username": "ada"}},
        "errors": [
            {
                "message": "Cannot return null for non-nullable field Product.inStock.",
                "path": ["product", "inStock"],
            }
        ],
    }


async def test_an_entity_error_with_a_path_lands_on_that_entity_only(
    shop: tuple[Gateway, _Tampering],
) -> None:
    gateway, tampering = shop

    def tamper(name: str, payload: dict[str, Any], result: dict[str, Any]) -> Any:
        if name != "products":
            return result
        items = list(result["data"]["_entities"])
        items[1] = {"name": None}
        error = {"message": "name sealed", "path": ["_entities", 1, "name"]}
        return {"data": {"_entities": items}, "errors": [error]}

    tampering.tamper = tamper
    outcome = await gateway.execute(REVIEWS)
    assert outcome.response == {
        "data": _reviews(["Lamp", None, "Couch", "Table", "Table"]),
        "errors": [{"message": "name sealed", "path": ["latestReviews", 1, "product", "name"]}],
    }


# ---- entities whose key is missing, unknown __typenames ---------------------------------------


async def test_an_entity_without_its_key_is_not_sent_and_errors_at_its_fields(
    shop: tuple[Gateway, _Tampering],
) -> None:
    gateway, tampering = shop

    def drop_key(data: dict[str, Any]) -> dict[str, Any]:
        reviews = [dict(review) for review in data["latestReviews"]]
        reviews[1]["product"] = {"__typename": "Product"}  # no upc
        return {"latestReviews": reviews}

    tampering.tamper = _root_of("reviews", drop_key)
    outcome = await gateway.execute(REVIEWS)
    assert outcome.response["data"] == _reviews(["Lamp", None, "Couch", "Table", "Table"])
    assert _errors(outcome.response) == [(["latestReviews", 1, "product", "name"], MALFORMED)]
    assert outcome.response["errors"][0]["message"] == (
        "Cannot fetch from 'products': an entity whose key or required fields are missing or null."
    )


async def test_an_unknown_typename_at_an_object_position_nulls_that_object(
    shop: tuple[Gateway, _Tampering],
) -> None:
    gateway, tampering = shop
    tampering.tamper = _root_of("users", lambda data: {"me": {**data["me"], "__typename": "Ghost"}})
    outcome = await gateway.execute("{ me { __typename username } topProducts(first: 1) { name } }")
    assert outcome.response["data"] == {"me": None, "topProducts": [{"name": "Table"}]}
    assert _errors(outcome.response) == [(["me"], MALFORMED)]


async def test_an_unknown_typename_at_an_abstract_position_nulls_up_to_the_nullable_parent(
    abstract: tuple[Gateway, _Tampering],
) -> None:
    gateway, tampering = abstract

    def ghost(data: dict[str, Any]) -> dict[str, Any]:
        if "search" not in data:
            return data
        found = [dict(item) for item in data["search"]]
        found[0]["__typename"] = "Ghost"
        return {**data, "search": found}

    tampering.tamper = _root_of("media", ghost)
    outcome = await gateway.execute(
        '{ node(id: "b1") { id } search(term: "") { __typename ... on Book { title } } }'
    )
    # search is [SearchResult!]!: the bad member's null reaches data
    assert outcome.response["data"] is None
    assert _errors(outcome.response) == [(["search", 0], MALFORMED)]
    assert "not a possible type of SearchResult" in outcome.response["errors"][0]["message"]
    assert "Ghost" not in str(outcome.response)  # a type the API does not have is not named

    outcome = await gateway.execute('{ node(id: "b1") { __typename id } }')
    assert outcome.response == {"data": {"node": {"__typename": "Book", "id": "b1"}}}


# ---- values of the wrong shape ---------------------------------------------------------------


async def test_leaves_are_coerced_as_graphql_js_does_or_nulled_with_an_error(
    shop: tuple[Gateway, _Tampering],
) -> None:
    gateway, tampering = shop
    tampering.tamper = _root_of(
        "users", lambda data: {"me": {"id": 1, "username": "ada", "name": {"first": "Ada"}}}
    )
    outcome = await gateway.execute("{ me { id username name } }")
    assert outcome.response["data"] == {"me": {"id": "1", "username": "ada", "name": None}}
    (error,) = outcome.response["errors"]
    assert error["path"] == ["me", "name"]
    assert error["message"] == (
        "Invalid value for User.name: the subgraph returned a value that is not a valid String."
    )
    assert "first" not in error["message"]  # the value is never repeated (it may be sensitive)


async def test_a_wrong_non_null_leaf_propagates(shop: tuple[Gateway, _Tampering]) -> None:
    gateway, tampering = shop
    tampering.tamper = _entities_of("inventory", lambda items: [{"inStock": "yes"}])
    outcome = await gateway.execute('{ product(upc: "p1") { upc inStock } me { username } }')
    assert outcome.response["data"] == {"product": None, "me": {"username": "ada"}}
    assert _errors(outcome.response) == [(["product", "inStock"], MALFORMED)]


async def test_a_string_where_an_object_is_expected(shop: tuple[Gateway, _Tampering]) -> None:
    gateway, tampering = shop
    tampering.tamper = _root_of("users", lambda data: {"me": "not an object"})
    outcome = await gateway.execute("{ me { name } topProducts(first: 1) { name } }")
    assert outcome.response == {
        "data": {"me": None, "topProducts": [{"name": "Table"}]},
        "errors": [
            {
                "message": "Invalid value for Query.me: the subgraph returned a string where an "
                "object (User) is expected.",
                "path": ["me"],
                "extensions": {"code": MALFORMED},
            }
        ],
    }


async def test_an_object_where_a_list_is_expected_under_a_nullable_parent(
    shop: tuple[Gateway, _Tampering],
) -> None:
    gateway, tampering = shop

    def tamper(name: str, payload: dict[str, Any], result: dict[str, Any]) -> Any:
        if name == "reviews" and "_entities" in payload["query"]:
            return {"data": {"_entities": [{"reviews": {"id": "r1"}}]}}
        return result

    tampering.tamper = tamper
    outcome = await gateway.execute('{ product(upc: "p1") { name reviews { id } } me { id } }')
    # Product.reviews is [Review!]!: product (nullable) becomes null, me is untouched
    assert outcome.response["data"] == {"product": None, "me": {"id": "u1"}}
    assert _errors(outcome.response) == [(["product", "reviews"], MALFORMED)]


async def test_a_list_item_of_the_wrong_kind_errors_at_its_index(
    shop: tuple[Gateway, _Tampering],
) -> None:
    gateway, tampering = shop
    tampering.tamper = _root_of("users", lambda data: {"users": [data["users"][0], 7]})
    outcome = await gateway.execute("{ users { id } }")
    assert outcome.response["data"] is None  # [User!]! all the way up
    assert _errors(outcome.response) == [(["users", 1], MALFORMED)]


async def test_a_root_answer_without_data_or_errors_errors_at_its_root_fields(
    shop: tuple[Gateway, _Tampering],
) -> None:
    gateway, tampering = shop

    def tamper(name: str, payload: dict[str, Any], result: dict[str, Any]) -> Any:
        return {"data": None} if name == "users" else result

    tampering.tamper = tamper
    outcome = await gateway.execute('{ me { id } a: user(id: "u2") { id } topProducts { upc } }')
    assert outcome.response["data"]["me"] is None
    assert outcome.response["data"]["a"] is None
    assert len(outcome.response["data"]["topProducts"]) == 4
    assert _errors(outcome.response) == [(["me"], MALFORMED), (["a"], MALFORMED)]


# ---- subgraph errors and timeouts ------------------------------------------------------------


async def test_an_http_error_status_errors_at_the_fields_of_that_fetch(
    shop: tuple[Gateway, _Tampering],
) -> None:
    gateway, tampering = shop

    def tamper(name: str, payload: dict[str, Any], result: dict[str, Any]) -> Any:
        return (500, b'{"errors":[{"message":"boom"}]}') if name == "products" else result

    tampering.tamper = tamper
    outcome = await gateway.execute(REVIEWS)
    assert outcome.response["data"] == _reviews([None] * 5)
    paths = [path for path, _ in _errors(outcome.response)]
    assert paths == [["latestReviews", index, "product", "name"] for index in range(5)]
    assert {e["message"] for e in outcome.response["errors"]} == {"boom"}


async def test_an_entity_fetch_timeout_errors_at_its_fields_and_keeps_the_rest(
    shop_server: tuple[_Tampering, str],
) -> None:
    async for gateway, _ in _gateway(shop_server, slow="products"):
        outcome = await gateway.execute(REVIEWS)
        assert outcome.response["data"] == _reviews([None] * 5)
        assert _errors(outcome.response) == [
            (["latestReviews", index, "product", "name"], "SUBREQUEST_HTTP_ERROR")
            for index in range(5)
        ]
        assert "products" in outcome.response["errors"][0]["message"]


async def test_a_root_fetch_timeout_nulls_its_fields_only(
    shop_server: tuple[_Tampering, str],
) -> None:
    async for gateway, _ in _gateway(shop_server, slow="users"):
        outcome = await gateway.execute("{ me { username } topProducts(first: 2) { name } }")
        assert outcome.response["data"] == {
            "me": None,
            "topProducts": [{"name": "Table"}, {"name": "Couch"}],
        }
        assert _errors(outcome.response) == [(["me"], "SUBREQUEST_HTTP_ERROR")]


async def test_a_timeout_under_a_non_null_field_propagates_with_one_error(
    shop_server: tuple[_Tampering, str],
) -> None:
    async for gateway, _ in _gateway(shop_server, slow="inventory"):
        outcome = await gateway.execute('{ product(upc: "p1") { name inStock } me { username } }')
        assert outcome.response["data"] == {"product": None, "me": {"username": "ada"}}
        assert _errors(outcome.response) == [(["product", "inStock"], "SUBREQUEST_HTTP_ERROR")]
