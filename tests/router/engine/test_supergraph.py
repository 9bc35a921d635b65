"""Loading supergraphs: join spec versions, @link renames, the API schema, clear errors."""

from __future__ import annotations

import re

import pytest
from graphql import GraphQLObjectType, print_schema

from router.gateway import Gateway
from router.supergraph import Supergraph, SupergraphError
from tests.router.engine.shop import shop_transport
from tests.router.engine.subgraph_kit import FIXTURES

SHOP = (FIXTURES / "shop" / "supergraph.graphql").read_text("utf-8")
QUERY = "{ me { username reviews { product { name inStock } } } }"
EXPECTED = {
    "data": {
        "me": {"username": "ada", "reviews": [{"product": {"name": "Table", "inStock": True}}]}
    }
}


@pytest.mark.parametrize(
    "scenario", ["shop", "keys", "abstract", "requires", "features", "fragments"]
)
def test_fixture_supergraphs_load_with_a_clean_api_schema(scenario: str) -> None:
    supergraph = Supergraph.from_sdl((FIXTURES / scenario / "supergraph.graphql").read_text())
    api = print_schema(supergraph.api_schema)
    assert "join__" not in api
    assert "link__" not in api
    assert "@link" not in api
    assert "inaccessible" not in api
    assert set(supergraph.subgraph_urls.values()) == {
        f"http://{name}.test/graphql" for name in supergraph.subgraph_urls
    }


def test_inaccessible_elements_are_removed_from_the_api_schema() -> None:
    supergraph = Supergraph.from_sdl(SHOP)
    user = supergraph.api_schema.type_map["User"]
    assert isinstance(user, GraphQLObjectType)
    assert "riskScore" not in user.fields
    assert "riskScore" in supergraph.types["User"].fields  # still known to the planner


def _join_v02(sdl: str) -> str:
    """Rewrite a join v0.3 supergraph as Federation 2.0 composition writes it (join v0.2)."""
    sdl = sdl.replace("https://specs.apollo.dev/join/v0.3", "https://specs.apollo.dev/join/v0.2")
    sdl = re.sub(r"\s*isInterfaceObject: Boolean! = false", "", sdl)
    sdl = re.sub(r"directive @join__unionMember[^\n]*\n", "", sdl)
    sdl = re.sub(r"directive @join__enumValue[^\n]*\n", "", sdl)
    return re.sub(r" @join__enumValue\(graph: \w+\)", "", sdl)


def _renamed(sdl: str) -> str:
    """The same supergraph with the join spec linked `as: "fed"` and @inaccessible imported as
    @hidden, plus a @tag spec, as other composers may write it."""
    sdl = sdl.replace(
        '@link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION)',
        '@link(url: "https://specs.apollo.dev/join/v0.3", as: "fed", for: EXECUTION)'
        ' @link(url: "https://specs.apollo.dev/tag/v0.3")',
    )
    sdl = sdl.replace("join__", "fed__").replace("@inaccessible", "@hidden")
    sdl = sdl.replace(
        '@link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY)',
        '@link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY,'
        ' import: [{name: "@inaccessible", as: "@hidden"}])',
    )
    sdl = sdl.replace("type Product ", 'type Product @tag(name: "catalog") ', 1)
    return sdl + "\ndirective @tag(name: String!) repeatable on FIELD_DEFINITION | OBJECT\n"


@pytest.mark.parametrize("rewrite", [_join_v02, _renamed], ids=["join-v0.2", "renamed"])
async def test_spec_variants_give_the_same_answers(rewrite: object) -> None:
    assert callable(rewrite)
    sdl = rewrite(SHOP)
    assert sdl != SHOP
    supergraph = Supergraph.from_sdl(sdl)
    api = print_schema(supergraph.api_schema)
    assert "riskScore" not in api
    assert "@tag" not in api and "fed__" not in api
    outcome = await Gateway(supergraph, shop_transport()).execute(QUERY)
    assert outcome.response == EXPECTED


def test_newer_join_directives_are_tolerated() -> None:
    sdl = SHOP.replace("join/v0.3", "join/v0.5") + (
        "\ndirective @join__directive(graphs: [join__Graph!], name: String!,"
        " args: join__DirectiveArguments)"
        " repeatable on SCHEMA | OBJECT | INTERFACE | FIELD_DEFINITION"
        "\nscalar join__DirectiveArguments\n"
    )
    sdl = sdl.replace(
        "type Review ", 'type Review @join__directive(graphs: [REVIEWS], name: "x", args: {}) ', 1
    )
    supergraph = Supergraph.from_sdl(sdl)
    assert "join__DirectiveArguments" not in print_schema(supergraph.api_schema)


@pytest.mark.parametrize(
    ("sdl", "message"),
    [
        ("type Query { a: Int", "cannot parse"),
        ("type Query { a: Int }", "not a federation supergraph"),
        (
            SHOP.replace("join/v0.3", "join/v0.1"),
            "Federation 1",
        ),
        (SHOP.replace('@join__graph(name: "users"', '@nothing(name: "users"'), "@join__graph"),
    ],
    ids=["syntax", "plain-schema", "fed1", "graph-without-url"],
)
def test_unusable_supergraphs_are_refused_with_a_clear_error(sdl: str, message: str) -> None:
    with pytest.raises(SupergraphError, match=message):
        Supergraph.from_sdl(sdl)


async def test_unions_without_member_directives_fall_back_to_type_membership() -> None:
    # join v0.2 has no @join__unionMember: a member belongs to a union in every subgraph that
    # defines both.
    from tests.router.engine.abstract import abstract_transport

    sdl = (FIXTURES / "abstract" / "supergraph.graphql").read_text("utf-8")
    stripped = re.sub(r" @join__unionMember\(graph: \w+, member: \"\w+\"\)", "", sdl)
    assert " @join__unionMember(graph: MEDIA" not in stripped
    query = '{ search(term: "i") { __typename ... on Movie { gross } ... on Person { name } } }'
    expected = await Gateway(Supergraph.from_sdl(sdl), abstract_transport()).execute(query)
    outcome = await Gateway(Supergraph.from_sdl(stripped), abstract_transport()).execute(query)
    assert outcome.response == expected.response
    assert outcome.response["data"]["search"] == [
        {"__typename": "Movie", "gross": 100},
        {"__typename": "Person", "name": "Sigourney"},
    ]
