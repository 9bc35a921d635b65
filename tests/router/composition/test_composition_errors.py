"""Composition refuses broken subgraphs and says why: one test per error, by code and wording."""

from __future__ import annotations

import pytest

from router.composition import CompositionError, CompositionIssue, SubgraphSource, compose
from tests.router.composition.graphs import ENTITIES, link, sources
from tests.router.composition.invalid_graphs import INVALID_GRAPHS


def composition_error(graph: list[SubgraphSource]) -> CompositionError:
    with pytest.raises(CompositionError) as caught:
        compose(graph)
    return caught.value


@pytest.mark.parametrize("name", sorted(INVALID_GRAPHS))
def test_invalid_graph_is_refused_with_its_code_and_an_explanation(name: str) -> None:
    case = INVALID_GRAPHS[name]
    error = composition_error(case.subgraphs)
    matching = [issue for issue in error.issues if issue.code == case.code]
    assert matching, f"expected {case.code}, got {error.codes}"
    explained = [
        issue for issue in matching if all(part in issue.message for part in case.message_parts)
    ]
    assert explained, (
        f"no {case.code} message names all of {case.message_parts}: {[i.message for i in matching]}"
    )
    # The error names the subgraphs involved, for tools that group problems by subgraph.
    if case.code != "NO_QUERIES":
        assert explained[0].subgraphs


def test_the_exception_lists_every_issue_with_its_code() -> None:
    error = composition_error(INVALID_GRAPHS["enum_value_mismatch"].subgraphs)
    assert error.codes == ["ENUM_VALUE_MISMATCH", "ENUM_VALUE_MISMATCH"]
    text = str(error)
    assert text.startswith("composition failed with 2 errors:")
    assert text.count("ENUM_VALUE_MISMATCH: ") == 2


def test_issue_carries_the_schema_coordinate() -> None:
    error = composition_error(INVALID_GRAPHS["non_shareable_field"].subgraphs)
    assert error.issues[0].coordinate == "User.name"
    assert error.issues[0].subgraphs == ("a", "b")


def test_federation_1_subgraph_is_refused_with_how_to_upgrade() -> None:
    error = composition_error(
        sources(a='type Query { a: Int } type T @key(fields: "id") { id: ID }')
    )
    assert error.codes == ["UNSUPPORTED_FEDERATION_VERSION"]
    assert "https://specs.apollo.dev/federation/v2.x" in error.issues[0].message


@pytest.mark.parametrize("directive", ["authenticated", "requiresScopes", "policy", "cost"])
def test_unsupported_federation_directives_are_refused_not_dropped(directive: str) -> None:
    arguments = {
        "authenticated": "",
        "requiresScopes": '(scopes: [["read"]])',
        "policy": '(policies: [["p"]])',
        "cost": "(weight: 5)",
    }[directive]
    graph = sources(
        a=link(f"@{directive}", version="v2.9")
        + f" type Query {{ secret: String @{directive}{arguments} }}"
    )
    error = composition_error(graph)
    assert error.codes == ["UNSUPPORTED_FEDERATION_FEATURE"]
    assert '"Query.secret"' in error.issues[0].message


def test_subgraph_names_must_be_unique_and_urls_present() -> None:
    users = ENTITIES[1]
    error = composition_error([users, SubgraphSource(users.name, "", users.sdl)])
    assert error.codes == ["INVALID_SUBGRAPH_NAME", "INVALID_SUBGRAPH_URL"]


def test_no_subgraphs() -> None:
    assert composition_error([]).codes == ["NO_SUBGRAPHS"]


def test_subgraph_level_errors_are_all_reported_before_merging() -> None:
    graph = sources(
        a=link("@key") + ' type User @key(fields: "nope") { id: ID! } type Query { u: User }',
        b=link("@key") + " type Query { b: Missing }",
    )
    error = composition_error(graph)
    assert sorted(error.codes) == ["INVALID_GRAPHQL", "KEY_INVALID_FIELDS"]
    assert {issue.subgraphs for issue in error.issues} == {("a",), ("b",)}


def test_issue_str_is_code_and_message() -> None:
    issue = CompositionIssue("FIELD_TYPE_MISMATCH", "Type of field ...")
    assert str(issue) == "FIELD_TYPE_MISMATCH: Type of field ..."
