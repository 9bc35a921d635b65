"""Conformance: interfaces, unions, entities implementing interfaces across subgraphs,
@interfaceObject and __typename."""

from __future__ import annotations

import pytest

from router.gateway import Gateway
from tests.router.engine.abstract import abstract_transport
from tests.router.engine.subgraph_kit import InProcessTransport, load_supergraph

SUPERGRAPH = load_supergraph("abstract")


@pytest.fixture
def transport() -> InProcessTransport:
    return abstract_transport()


@pytest.fixture
def gateway(transport: InProcessTransport) -> Gateway:
    return Gateway(SUPERGRAPH, transport)


async def test_interface_fields_and_type_conditions(gateway: Gateway) -> None:
    outcome = await gateway.execute(
        "{ library { __typename id title ... on Book { author } ... on Movie { director } } }"
    )
    assert outcome.response == {
        "data": {
            "library": [
                {"__typename": "Book", "id": "b1", "title": "Dune", "author": "Herbert"},
                {"__typename": "Movie", "id": "m1", "title": "Alien", "director": "Scott"},
                {"__typename": "Movie", "id": "m2", "title": "Heat", "director": "Mann"},
            ]
        }
    }


async def test_entity_implementing_interface_gets_fields_from_another_subgraph(
    gateway: Gateway, transport: InProcessTransport
) -> None:
    outcome = await gateway.execute("{ library { title ... on Movie { gross } } }")
    assert outcome.response == {
        "data": {
            "library": [
                {"title": "Dune"},
                {"title": "Alien", "gross": 100},
                {"title": "Heat", "gross": 50},
            ]
        }
    }
    (payload,) = [p for name, p in transport.requests if name == "boxoffice"]
    # only the movies are sent, in one batch
    assert [r["id"] for r in payload["variables"]["representations"]] == ["m1", "m2"]


async def test_union_members_across_subgraphs(gateway: Gateway) -> None:
    outcome = await gateway.execute(
        """{ search(term: "i") {
              __typename
              ... on Book { title }
              ... on Movie { gross }
              ... on Person { name films { title gross } }
        } }"""
    )
    assert outcome.response == {
        "data": {
            "search": [
                {"__typename": "Movie", "gross": 100},
                {
                    "__typename": "Person",
                    "name": "Sigourney",
                    "films": [{"title": "Alien", "gross": 100}],
                },
            ]
        }
    }


async def test_fragment_on_interface_inside_union_and_node(gateway: Gateway) -> None:
    outcome = await gateway.execute(
        """{ search(term: "") { ... on Media { title } ... on Node { id } }
             node(id: "m2") { id ... on Movie { director gross } } }"""
    )
    assert outcome.response == {
        "data": {
            "search": [
                {"title": "Dune", "id": "b1"},
                {"title": "Alien", "id": "m1"},
                {"title": "Heat", "id": "m2"},
                {"id": "p1"},
            ],
            "node": {"id": "m2", "director": "Mann", "gross": 50},
        }
    }


async def test_interface_object_adds_a_field_to_every_implementation(gateway: Gateway) -> None:
    outcome = await gateway.execute("{ library { title rating } }")
    assert outcome.response == {
        "data": {
            "library": [
                {"title": "Dune", "rating": 5},
                {"title": "Alien", "rating": 4},
                {"title": "Heat", "rating": 3},
            ]
        }
    }


async def test_interface_object_root_field_resolves_real_types(
    gateway: Gateway, transport: InProcessTransport
) -> None:
    outcome = await gateway.execute(
        "{ topRated { __typename id rating title ... on Book { author } ... on Movie { gross } } }"
    )
    assert outcome.response == {
        "data": {
            "topRated": [
                {
                    "__typename": "Book",
                    "id": "b1",
                    "rating": 5,
                    "title": "Dune",
                    "author": "Herbert",
                },
                {"__typename": "Movie", "id": "m1", "rating": 4, "title": "Alien", "gross": 100},
                {"__typename": "Movie", "id": "m2", "rating": 3, "title": "Heat", "gross": 50},
            ]
        }
    }
    media = [p for name, p in transport.requests if name == "media"]
    assert media[0]["variables"]["representations"][0] == {"__typename": "Media", "id": "b1"}


async def test_type_condition_below_interface_object_without_typename(gateway: Gateway) -> None:
    outcome = await gateway.execute("{ topRated { ... on Node { id } rating } }")
    assert outcome.response == {
        "data": {
            "topRated": [
                {"id": "b1", "rating": 5},
                {"id": "m1", "rating": 4},
                {"id": "m2", "rating": 3},
            ]
        }
    }


async def test_interface_object_field_through_union_and_nested_fragments(gateway: Gateway) -> None:
    outcome = await gateway.execute(
        """{ search(term: "") { __typename ...F } }
           fragment F on SearchResult {
             ... on Media { rating } ... on Person { films { ... on Media { rating } } } }"""
    )
    assert outcome.response == {
        "data": {
            "search": [
                {"__typename": "Book", "rating": 5},
                {"__typename": "Movie", "rating": 4},
                {"__typename": "Movie", "rating": 3},
                {"__typename": "Person", "films": [{"rating": 4}]},
            ]
        }
    }
