"""Our supergraphs load in our own router's supergraph loader, with the API schema they imply."""

from __future__ import annotations

import pytest
from graphql import GraphQLObjectType

from router.composition import compose
from router.supergraph import Supergraph
from tests.router.composition.graphs import INACCESSIBLE_AND_TAGS, VALID_GRAPHS


@pytest.mark.parametrize("name", sorted(VALID_GRAPHS))
def test_router_loads_every_composed_supergraph(name: str) -> None:
    graph = VALID_GRAPHS[name]
    supergraph = Supergraph.from_sdl(compose(graph))
    assert dict(supergraph.subgraph_urls) == {s.name: s.url for s in graph}


def test_inaccessible_elements_are_not_in_the_api_schema() -> None:
    api = Supergraph.from_sdl(compose(INACCESSIBLE_AND_TAGS)).api_schema
    user = api.get_type("User")
    assert isinstance(user, GraphQLObjectType)
    assert "internalNote" not in user.fields
    assert "nickname" in user.fields
    assert list(user.fields["risk"].args) == ["level"]
    assert api.get_type("Secret") is None
