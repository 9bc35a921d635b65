"""Content negotiation and request parsing of GraphQL over HTTP (pure functions)."""

from __future__ import annotations

import pytest

from router.http.protocol import (
    APPLICATION_JSON,
    GRAPHQL_RESPONSE_JSON,
    BadRequest,
    accepts_html,
    negotiate_media_type,
    params_from_json_body,
    params_from_query_string,
)


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, APPLICATION_JSON),
        ("", APPLICATION_JSON),
        ("application/graphql-response+json", GRAPHQL_RESPONSE_JSON),
        ("application/json", APPLICATION_JSON),
        ("application/graphql-response+json, application/json;q=0.9", GRAPHQL_RESPONSE_JSON),
        ("application/json, application/graphql-response+json;q=0.9", APPLICATION_JSON),
        ("application/json;q=0.2, application/graphql-response+json;q=0.8", GRAPHQL_RESPONSE_JSON),
        ("*/*", APPLICATION_JSON),
        ("application/*", APPLICATION_JSON),
        ("*/*;q=0.5, application/graphql-response+json", GRAPHQL_RESPONSE_JSON),
        ("text/html;q=1, application/json;q=0.5", APPLICATION_JSON),
        ("application/json;q=0", None),
        ("text/csv", None),
    ],
)
def test_negotiation(accept: str | None, expected: str | None) -> None:
    assert negotiate_media_type(accept) == expected


def test_accepts_html() -> None:
    assert accepts_html("text/html,application/xhtml+xml,*/*;q=0.8")
    assert not accepts_html("*/*")
    assert not accepts_html(None)


def test_json_body_with_charset_and_all_parameters() -> None:
    params = params_from_json_body(
        "application/json; charset=utf-8",
        b'{"query": "{ a }", "variables": {"x": 1}, "operationName": "Q", "extensions": {"e": 1}}',
    )
    assert (params.query, params.variables, params.operation_name, params.extensions) == (
        "{ a }",
        {"x": 1},
        "Q",
        {"e": 1},
    )


def test_json_body_nulls_are_absent_values() -> None:
    params = params_from_json_body(
        "application/json", b'{"query": "{ a }", "variables": null, "operationName": null}'
    )
    assert (params.variables, params.operation_name) == (None, None)


@pytest.mark.parametrize(
    ("content_type", "body", "status"),
    [
        (None, b'{"query": "{ a }"}', 415),
        ("text/plain", b'{"query": "{ a }"}', 415),
        ("application/json", b"not json", 400),
        ("application/json", b'"{ a }"', 400),
        ("application/json", b'{"query": "{ a }", "operationName": 5}', 400),
        ("application/json", b'{"query": "{ a }", "extensions": "x"}', 400),
    ],
)
def test_bad_bodies(content_type: str | None, body: bytes, status: int) -> None:
    with pytest.raises(BadRequest) as caught:
        params_from_json_body(content_type, body)
    assert caught.value.status == status


def test_query_string_decodes_json_parameters() -> None:
    params = params_from_query_string(
        {"query": "{ a }", "variables": '{"x": [1]}', "operationName": "", "extensions": ""}
    )
    assert (params.variables, params.operation_name, params.extensions) == ({"x": [1]}, None, None)
