"""Conformance: @requires and @provides field sets with type conditions."""

from __future__ import annotations

import pytest

from router.gateway import Gateway
from tests.router.engine.fragments import fragments_transport
from tests.router.engine.subgraph_kit import InProcessTransport, load_supergraph

SUPERGRAPH = load_supergraph("fragments")


@pytest.fixture
def transport() -> InProcessTransport:
    return fragments_transport()


@pytest.fixture
def gateway(transport: InProcessTransport) -> Gateway:
    return Gateway(SUPERGRAPH, transport)


async def test_requires_with_type_conditions(
    gateway: Gateway, transport: InProcessTransport
) -> None:
    outcome = await gateway.execute("{ shelf { id load } }")
    assert outcome.response == {"data": {"shelf": {"id": "s1", "load": 600 + 234 + 400}}}
    (payload,) = [p for name, p in transport.requests if name == "logistics"]
    assert payload["variables"]["representations"] == [
        {
            "__typename": "Shelf",
            "id": "s1",
            "items": [
                {"__typename": "Book", "pages": 600},
                {"__typename": "Dvd", "minutes": 117},
                {"__typename": "Book", "pages": 400},
            ],
        }
    ]


async def test_provides_with_type_conditions(
    gateway: Gateway, transport: InProcessTransport
) -> None:
    outcome = await gateway.execute(
        "{ featured { __typename ... on Book { title } ... on Dvd { title } } }"
    )
    assert outcome.response == {
        "data": {
            "featured": [
                {"__typename": "Book", "title": "Emma"},
                {"__typename": "Dvd", "title": "Alien"},
            ]
        }
    }
    # the book's title was provided; only the DVD's was fetched from catalog
    (payload,) = [p for name, p in transport.requests if name == "catalog"]
    assert payload["variables"]["representations"] == [{"__typename": "Dvd", "id": "d1"}]
