"""What the composed supergraph says, feature by feature, on small graphs of our own."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import build_ast_schema, parse

from router.composition import SubgraphSource, compose, compose_supergraph
from router.composition._merge import graph_enum_names
from tests.router.composition.graphs import (
    ALIASED_IMPORTS,
    ENTITIES,
    ENUMS_UNIONS_INTERFACES,
    INACCESSIBLE_AND_TAGS,
    INTERFACE_OBJECT,
    ONE_OF_INPUTS,
    OVERRIDE_KEY_FIELD,
    PROGRESSIVE_OVERRIDE,
    REQUIRES_AND_PROVIDES,
    ROOT_RENAMED,
    SHAREABLE_AND_OVERRIDE,
    STRAWBERRY_STYLE,
    VALID_GRAPHS,
    link,
    sources,
)
from tests.router.composition.reference import normalise


def composed(graph: list[SubgraphSource]) -> dict[str, Any]:
    return normalise(compose(graph))


def fields(data: dict[str, Any], type_name: str) -> dict[str, list[str]]:
    return {name: f["directives"] for name, f in data["types"][type_name]["fields"].items()}


@pytest.mark.parametrize("name", sorted(VALID_GRAPHS))
def test_every_supergraph_is_a_valid_schema_with_the_standard_links(name: str) -> None:
    sdl = compose(VALID_GRAPHS[name])
    build_ast_schema(parse(sdl))  # raises if any directive or type is undefined
    data = normalise(sdl)
    assert any(
        link.startswith('@link(for: EXECUTION, url: "https://specs.apollo.dev/join/v0.')
        for link in data["links"]
    )
    assert '@link(url: "https://specs.apollo.dev/link/v1.0")' in data["links"]
    assert all(not t.startswith(("_", "federation__")) for t in data["types"])


def test_join_graph_lists_every_subgraph_with_its_url() -> None:
    data = composed(ENTITIES)
    assert data["graphs"] == [
        (
            "ACCOUNTS",
            ['@join__graph(name: "accounts", url: "http://accounts.example:4000/graphql")'],
        ),
        ("USERS", ['@join__graph(name: "users", url: "http://users.example:4000/graphql")']),
    ]


def test_entities_keys_compound_keys_and_unresolvable_keys() -> None:
    data = composed(ENTITIES)
    assert data["types"]["User"]["directives"] == [
        '@join__type(graph: ACCOUNTS, key: "id")',
        '@join__type(graph: USERS, key: "email")',
        '@join__type(graph: USERS, key: "id")',
    ]
    assert (
        '@join__type(graph: ACCOUNTS, key: "number branch { code }")'
        in (data["types"]["Account"]["directives"])
    )
    assert data["types"]["Org"]["directives"] == [
        '@join__type(graph: ACCOUNTS, key: "id", resolvable: false)',
        '@join__type(graph: USERS, key: "id")',
    ]
    user = fields(data, "User")
    assert user["id"] == []  # in every subgraph of the type: no @join__field needed
    assert user["accounts"] == ["@join__field(graph: ACCOUNTS)"]
    assert user["name"] == ["@join__field(graph: USERS)"]
    # A value type used only inside a key, in one subgraph: no join metadata on its fields.
    assert data["types"]["Branch"]["directives"] == ["@join__type(graph: ACCOUNTS)"]


def test_shareable_fields_are_resolved_by_every_subgraph_that_declares_them() -> None:
    data = composed(SHAREABLE_AND_OVERRIDE)
    assert fields(data, "Money") == {"amount": [], "currency": []}
    query = fields(data, "Query")
    assert query["products"] == []
    assert query["product"] == ["@join__field(graph: OLD)"]
    assert fields(data, "Product")["name"] == []


def test_override_moves_the_field_to_the_overriding_subgraph() -> None:
    data = composed(SHAREABLE_AND_OVERRIDE)
    assert fields(data, "Product")["price"] == ['@join__field(graph: NEW, override: "old")']


def test_overridden_key_field_stays_used_in_its_source() -> None:
    data = composed(OVERRIDE_KEY_FIELD)
    assert fields(data, "Thing")["sku"] == [
        "@join__field(graph: A, usedOverridden: true)",
        '@join__field(graph: B, override: "a")',
    ]


def test_progressive_override_labels_need_join_v0_4() -> None:
    data = composed(PROGRESSIVE_OVERRIDE)
    assert '@link(for: EXECUTION, url: "https://specs.apollo.dev/join/v0.4")' in data["links"]
    assert fields(data, "Thing")["price"] == [
        '@join__field(graph: A, overrideLabel: "percent(25)")',
        '@join__field(graph: B, override: "a", overrideLabel: "percent(25)")',
    ]


def test_inaccessible_and_tags_are_kept_through_their_specs() -> None:
    data = composed(INACCESSIBLE_AND_TAGS)
    assert (
        '@link(for: SECURITY, url: "https://specs.apollo.dev/inaccessible/v0.2")' in (data["links"])
    )
    assert '@link(url: "https://specs.apollo.dev/tag/v0.3")' in data["links"]
    user = data["types"]["User"]
    assert '@tag(name: "public")' in user["directives"]
    assert "@inaccessible" in user["fields"]["internalNote"]["directives"]
    assert user["fields"]["risk"]["arguments"]["model"]["directives"] == ["@inaccessible"]
    assert user["fields"]["risk"]["arguments"]["level"]["default"] == "1"
    assert '@tag(name: "risk")' in user["fields"]["risk"]["directives"]
    assert '@tag(name: "public")' in user["fields"]["nickname"]["directives"]
    assert "@inaccessible" in data["types"]["Tier"]["values"]["LEGACY"]
    assert "@inaccessible" in data["types"]["Secret"]["directives"]


def test_no_inaccessible_link_when_nothing_is_inaccessible() -> None:
    assert not any("inaccessible" in link for link in composed(ENTITIES)["links"])


def test_interface_object_adds_fields_to_every_implementation() -> None:
    data = composed(INTERFACE_OBJECT)
    media = data["types"]["Media"]
    assert media["kind"] == "InterfaceTypeDefinitionNode"
    assert media["directives"] == [
        '@join__type(graph: MEDIA, key: "id")',
        '@join__type(graph: REVIEWS, isInterfaceObject: true, key: "id")',
    ]
    assert media["fields"]["reviews"]["directives"] == ["@join__field(graph: REVIEWS)"]
    # The implementations get the field too, with a bare @join__field: resolved via the interface.
    assert fields(data, "Book")["reviews"] == ["@join__field"]
    assert fields(data, "Film")["reviews"] == ["@join__field"]
    assert (
        '@join__implements(graph: MEDIA, interface: "Media")'
        in (data["types"]["Book"]["directives"])
    )


def test_requires_external_and_provides() -> None:
    data = composed(REQUIRES_AND_PROVIDES)
    parcel = fields(data, "Parcel")
    assert parcel["cost"] == [
        '@join__field(graph: SHIPPING, requires: "weight dimensions { width height }")'
    ]
    assert parcel["weight"] == [
        "@join__field(external: true, graph: SHIPPING)",
        "@join__field(graph: CATALOG)",
    ]
    assert parcel["carrier"] == ['@join__field(graph: SHIPPING, provides: "name")']
    assert fields(data, "Carrier")["name"] == [
        "@join__field(external: true, graph: SHIPPING)",
        "@join__field(graph: CATALOG)",
    ]


def test_requires_is_written_compactly() -> None:
    sdl = compose(REQUIRES_AND_PROVIDES)
    assert 'requires: "weight dimensions{width height}"' in sdl


def test_enums_inputs_only_intersect_outputs_only_union() -> None:
    data = composed(ENUMS_UNIONS_INTERFACES)
    assert list(data["types"]["SortOrder"]["values"]) == ["ASC", "DESC"]
    colour = data["types"]["Colour"]["values"]
    assert colour == {
        "RED": ["@join__enumValue(graph: A)", "@join__enumValue(graph: B)"],
        "GREEN": ["@join__enumValue(graph: A)"],
        "BLUE": ["@join__enumValue(graph: B)"],
    }
    page = data["types"]["Page"]["fields"]
    assert list(page) == ["first", "after"]  # "note" is only in one subgraph
    assert page["first"]["default"] == "10"


def test_input_argument_nullability_merges_to_the_strictest() -> None:
    data = composed(ENUMS_UNIONS_INTERFACES)
    query = data["types"]["Query"]["fields"]
    assert query["stamps"]["arguments"]["sort"]["type"] == "SortOrder!"


def test_unions_and_interfaces_record_membership_per_subgraph() -> None:
    data = composed(ENUMS_UNIONS_INTERFACES)
    valuable = data["types"]["Valuable"]
    assert valuable["members"] == ["Card", "Coin", "Stamp"]
    assert '@join__unionMember(graph: A, member: "Card")' in valuable["directives"]
    assert '@join__unionMember(graph: B, member: "Stamp")' in valuable["directives"]
    assert '@join__unionMember(graph: B, member: "Card")' not in valuable["directives"]
    coin = data["types"]["Coin"]
    assert coin["interfaces"] == ["Node"]
    assert '@join__implements(graph: B, interface: "Node")' in coin["directives"]
    assert '@join__implements(graph: A, interface: "Node")' not in coin["directives"]


def test_output_field_nullability_merges_to_the_weakest_with_per_graph_types() -> None:
    graph = sources(
        a=link("@key", "@shareable")
        + 'type User @key(fields: "id") { id: ID! age: Int! @shareable } type Query { a: User }',
        b=link("@key", "@shareable")
        + 'type User @key(fields: "id") { id: ID! age: Int @shareable }',
    )
    user = composed(graph)["types"]["User"]["fields"]
    assert user["age"]["type"] == "Int"
    assert user["age"]["directives"] == [
        '@join__field(graph: A, type: "Int!")',
        '@join__field(graph: B, type: "Int")',
    ]


def test_renamed_and_prefixed_federation_directives() -> None:
    data = composed(ALIASED_IMPORTS)
    assert data["types"]["Account"]["directives"] == [
        '@join__type(graph: PREFIXED, key: "id")',
        '@join__type(graph: RENAMED, key: "id")',
    ]
    assert fields(data, "Account")["balance"] == ["@join__field(graph: PREFIXED)"]


def test_namespace_renamed_with_as() -> None:
    graph = sources(
        a='extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", as: "fed") '
        'type T @fed__key(fields: "id") { id: ID! } type Query { t: T }',
        b=link("@key") + ' type T @key(fields: "id") { id: ID! x: Int }',
    )
    data = composed(graph)
    assert '@join__type(graph: A, key: "id")' in data["types"]["T"]["directives"]


def test_subgraph_plumbing_is_dropped_and_descriptions_kept() -> None:
    sdl = compose(STRAWBERRY_STYLE)
    data = normalise(sdl)
    assert set(data["types"]) == {"Query", "Person"}
    assert "_entities" not in data["types"]["Query"]["fields"]
    assert '"""\nA person we know about.\n"""\ntype Person' in sdl
    assert '@link(for: EXECUTION, url: "https://specs.apollo.dev/join/v0.5")' in data["links"]


def test_renamed_root_types_become_query_and_mutation() -> None:
    data = composed(ROOT_RENAMED)
    assert data["roots"] == [("mutation", "Mutation"), ("query", "Query")]
    assert set(data["types"]) == {"Query", "Mutation"}


def test_graph_enum_names_are_constant_case_and_unique() -> None:
    assert graph_enum_names(["users", "my-service", "usersV2", "2fa"]) == {
        "users": "USERS",
        "my-service": "MY_SERVICE",
        "usersV2": "USERS_V2",
        "2fa": "_2FA_",
    }
    assert graph_enum_names(["a-b", "a_b"]) == {"a-b": "A_B_1", "a_b": "A_B_2"}


def test_output_does_not_depend_on_subgraph_order() -> None:
    graph = ENUMS_UNIONS_INTERFACES
    assert compose(graph) == compose(list(reversed(graph)))


def test_executable_directives_defined_everywhere_are_kept() -> None:
    definition = "directive @trace(level: Int) on FIELD | QUERY"
    graph = sources(
        a=link("@shareable") + f" {definition} type Query {{ a: Int }}",
        b=link("@shareable") + " directive @trace(level: Int) on FIELD type Query { b: Int }",
        c=link()
        + " directive @trace(level: Int) on FIELD | MUTATION directive @only(x: Int) on FIELD"
        + " type Query { c: Int }",
    )
    sdl = compose(graph)
    assert "directive @trace(level: Int) on FIELD\n" in sdl  # locations: intersection
    assert "@only" not in sdl  # not defined in every subgraph


def test_one_of_inputs_stay_one_of() -> None:
    sdl = compose(ONE_OF_INPUTS)
    assert "directive @oneOf on INPUT_OBJECT" in sdl
    assert "@oneOf" in normalise(sdl)["types"]["UserBy"]["directives"]


def test_composition_model_is_exposed() -> None:
    result = compose_supergraph(ENTITIES)
    assert [g.name for g in result.model.graphs] == ["accounts", "users"]
    assert result.model.join_version == "v0.3"
