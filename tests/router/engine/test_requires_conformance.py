"""Conformance: nested @requires with arguments from two subgraphs, @extends/extend type."""

from __future__ import annotations

import pytest

from router.gateway import Gateway
from tests.router.engine.requires import requires_transport
from tests.router.engine.subgraph_kit import InProcessTransport, load_supergraph

SUPERGRAPH = load_supergraph("requires")


@pytest.fixture
def transport() -> InProcessTransport:
    return requires_transport()


@pytest.fixture
def gateway(transport: InProcessTransport) -> Gateway:
    return Gateway(SUPERGRAPH, transport)


async def test_nested_requires_with_arguments_from_two_subgraphs(
    gateway: Gateway, transport: InProcessTransport
) -> None:
    outcome = await gateway.execute('{ parcels { id status cost(currency: "USD") } }')
    assert outcome.response == {
        "data": {
            "parcels": [
                {"id": "x1", "status": "SHIPPED", "cost": "440.00 USD"},
                {"id": "x2", "status": "NEW", "cost": "55.00 USD"},
            ]
        }
    }
    (shipping,) = [p for name, p in transport.requests if name == "shipping"]
    assert shipping["variables"]["representations"][0] == {
        "__typename": "Parcel",
        "id": "x1",
        "dimensions": {"length": 10, "width": 20, "weight": 4.4},
        "owner": {"tier": "gold"},
    }
    assert [name for name, _ in transport.requests][-1] == "shipping"


async def test_requirement_and_client_selection_of_the_same_field_with_other_arguments(
    gateway: Gateway,
) -> None:
    outcome = await gateway.execute(
        "{ parcels { cost dimensions { weight width } owner { tier } } }"
    )
    assert outcome.response == {
        "data": {
            "parcels": [
                {
                    "cost": "440.00 EUR",
                    "dimensions": {"weight": 2.0, "width": 20},
                    "owner": {"tier": "gold"},
                },
                {
                    "cost": "55.00 EUR",
                    "dimensions": {"weight": 1.0, "width": 5},
                    "owner": {"tier": "basic"},
                },
            ]
        }
    }


async def test_extension_types_resolve_their_fields(gateway: Gateway) -> None:
    outcome = await gateway.execute("{ parcels { dimensions { length } owner { tier } } }")
    assert outcome.response["data"]["parcels"][1] == {
        "dimensions": {"length": 5},
        "owner": {"tier": "basic"},
    }


async def test_requires_from_the_subgraph_that_returned_the_entity(
    gateway: Gateway, transport: InProcessTransport
) -> None:
    # shipping returns the parcel and resolves `cost`, but only once the router has fetched the
    # required fields from warehouse and crm and sent them back in a representation.
    outcome = await gateway.execute("{ cheapestParcel { id cost status } }")
    assert outcome.response == {
        "data": {"cheapestParcel": {"id": "x2", "cost": "55.00 EUR", "status": "NEW"}}
    }
    names = [name for name, _ in transport.requests]
    assert names[0] == "shipping" and names[-1] == "shipping"
    assert sorted(names[1:-1]) == ["crm", "tracking", "warehouse"]
