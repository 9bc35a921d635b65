"""Conformance: keys (multiple, compound, nested, resolvable: false), @override, @shareable."""

from __future__ import annotations

import pytest

from router.gateway import Gateway
from tests.router.engine.keys import keys_transport
from tests.router.engine.subgraph_kit import InProcessTransport, load_supergraph

SUPERGRAPH = load_supergraph("keys")


@pytest.fixture
def transport() -> InProcessTransport:
    return keys_transport()


@pytest.fixture
def gateway(transport: InProcessTransport) -> Gateway:
    return Gateway(SUPERGRAPH, transport)


async def test_compound_key_and_second_key_of_the_same_entity(
    gateway: Gateway, transport: InProcessTransport
) -> None:
    outcome = await gateway.execute("{ skus { id price stock } }")
    assert outcome.response == {
        "data": {
            "skus": [
                {"id": "s1", "price": 10, "stock": 5},
                {"id": "s2", "price": 12, "stock": 0},
                {"id": "s3", "price": 7, "stock": 9},
            ]
        }
    }
    reps = {
        name: payload["variables"]["representations"][0]
        for name, payload in transport.requests
        if "_entities" in payload["query"]
    }
    assert reps == {
        "pricing": {"__typename": "Sku", "code": "A1", "region": "EU"},
        "stock": {"__typename": "Sku", "id": "s1"},
    }


async def test_key_chain_through_a_third_subgraph(
    gateway: Gateway, transport: InProcessTransport
) -> None:
    # pricing knows Sku only by `code region`; stock only by `id`: catalog bridges them.
    outcome = await gateway.execute("{ cheapest { price stock } }")
    assert outcome.response == {"data": {"cheapest": {"price": 7, "stock": 9}}}
    assert [name for name, _ in transport.requests] == ["pricing", "catalog", "stock"]


async def test_nested_key(gateway: Gateway) -> None:
    outcome = await gateway.execute("{ skus { warehouse { location { city } capacity } } }")
    capacities = [s["warehouse"] for s in outcome.response["data"]["skus"]]
    assert capacities == [
        {"location": {"city": "Berlin"}, "capacity": 100},
        {"location": {"city": "Berlin"}, "capacity": 100},
        {"location": {"city": "Austin"}, "capacity": 50},
    ]


async def test_resolvable_false_reference_is_resolved_by_its_owner(gateway: Gateway) -> None:
    outcome = await gateway.execute("{ skus { topReview { id stars } } }")
    assert [s["topReview"] for s in outcome.response["data"]["skus"]] == [
        {"id": "rv1", "stars": 5},
        None,
        {"id": "rv2", "stars": 3},
    ]


async def test_override_takes_the_field_from_the_overriding_subgraph(gateway: Gateway) -> None:
    outcome = await gateway.execute("{ skus { title } }")
    assert [s["title"] for s in outcome.response["data"]["skus"]] == ["A1-EU", "A1-US", "B7-EU"]


async def test_shareable_field_is_taken_from_the_subgraph_in_use(
    gateway: Gateway, transport: InProcessTransport
) -> None:
    outcome = await gateway.execute("{ skus { name } }")
    assert [s["name"] for s in outcome.response["data"]["skus"]] == [
        "catalog s1",
        "catalog s2",
        "catalog s3",
    ]
    assert [name for name, _ in transport.requests] == ["catalog"]
    transport.requests.clear()
    outcome = await gateway.execute("{ skus { stock name } }")
    assert [name for name, _ in transport.requests] == ["catalog", "stock"]
    assert outcome.response["data"]["skus"][0] == {"stock": 5, "name": "catalog s1"}


async def test_cheapest_shareable_from_stock_after_jump(gateway: Gateway) -> None:
    outcome = await gateway.execute("{ cheapest { stock name } }")
    # after pricing -> catalog -> stock, `name` comes from catalog, the first subgraph reached
    # that has it; either is valid for a shareable field, so only check it resolved
    assert outcome.response["data"]["cheapest"]["stock"] == 9
    assert outcome.response["data"]["cheapest"]["name"] in ("catalog s3", "stock s3")


async def test_value_type_field_reached_through_the_enclosing_entity(
    gateway: Gateway, transport: InProcessTransport
) -> None:
    # Location has no key; `zone` exists only in stock, reached through Warehouse's nested key.
    outcome = await gateway.execute("{ skus { warehouse { location { city zone } } } }")
    assert [s["warehouse"]["location"] for s in outcome.response["data"]["skus"]] == [
        {"city": "Berlin", "zone": "EMEA"},
        {"city": "Berlin", "zone": "EMEA"},
        {"city": "Austin", "zone": "AMER"},
    ]
    assert [name for name, _ in transport.requests] == ["catalog", "stock"]
