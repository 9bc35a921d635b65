"""The lean POST /graphql path (kit/graphql_http.py) answers exactly as FastAPI's route does.

Each case is sent twice to the same running users app: once as the router sends it (POST, JSON:
the lean path) and once in a form only FastAPI's route serves, or with the lean path switched
off, and the two answers are compared.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from crypto import INTERNAL_TOKEN_HEADER
from subgraphs.kit.document_cache import DocumentCache, DocumentCacheExtension
from subgraphs.kit.graphql_http import GraphQLEndpoint, SubgraphApp
from subgraphs.kit.testing import InternalTokenAuth, execute, running_app

CREATE = "mutation($input: CreateUserInput!) { createUser(input: $input) { id emailAddress } }"
READ = "query($id: ID!) { user(id: $id) { id firstName emailAddress } }"
USER = {
    "firstName": "Ada",
    "lastName": "Lovelace",
    "dateOfBirth": "1985-12-10",
    "nationality": "GB",
    "emailAddress": "ada@example.com",
    "telephoneNumber": "+447700900123",
    "employmentStatus": "EMPLOYED",
    "annualIncome": {"amount": "85000.00", "currency": "GBP"},
    "sourcesOfWealth": ["SAVINGS"],
}


@pytest.fixture
async def both(users_app: FastAPI) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """A client of the app, and one of the same app with the lean path switched off."""
    assert isinstance(users_app, SubgraphApp)
    async with running_app(users_app) as lean:
        plain_app = _PlainPath(users_app)
        auth = lean.auth
        assert isinstance(auth, InternalTokenAuth)
        transport = httpx.ASGITransport(app=plain_app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://subgraph", auth=auth
        ) as plain:
            yield lean, plain


class _PlainPath:
    """The same app, called past SubgraphApp.__call__: FastAPI's own path for everything."""

    def __init__(self, app: SubgraphApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.app.middleware_stack is None:
            self.app.middleware_stack = self.app.build_middleware_stack()
        scope["app"] = self.app
        await self.app.middleware_stack(scope, receive, send)


def _same(first: httpx.Response, second: httpx.Response) -> None:
    assert first.status_code == second.status_code
    assert first.headers.get("content-type") == second.headers.get("content-type")
    assert first.headers.get("www-authenticate") == second.headers.get("www-authenticate")
    if first.headers.get("content-type", "").startswith("application/json"):
        assert first.json() == second.json()
    else:
        assert first.text == second.text


async def _both(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient], **request: Any
) -> tuple[httpx.Response, httpx.Response]:
    lean, plain = clients
    first = await lean.post("/graphql", **request)
    second = await plain.post("/graphql", **request)
    _same(first, second)
    return first, second


async def test_a_query_and_a_mutation_answer_alike_on_both_paths(
    both: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    lean, plain = both
    created = await execute(lean, CREATE, {"input": USER})
    user_id = created.ok()["createUser"]["id"]
    other = await execute(plain, CREATE, {"input": {**USER, "emailAddress": "b@example.com"}})
    assert other.ok()["createUser"]["emailAddress"] == "b@example.com"
    first, _ = await _both(both, json={"query": READ, "variables": {"id": user_id}})
    assert first.json()["data"]["user"]["emailAddress"] == "ada@example.com"
    # The refused mutation: same error body, and nothing stored by either path.
    duplicate, _ = await _both(both, json={"query": CREATE, "variables": {"input": USER}})
    assert duplicate.json()["errors"][0]["extensions"]["code"] == "CONFLICT"


@pytest.mark.parametrize(
    "request_args",
    [
        {"json": {"query": "{ nope }"}},  # validation error
        {"json": {"query": "{ user(id: "}},  # syntax error
        {"json": {"query": "query A { __typename } query B { __typename }"}},  # which one?
        {"json": {"query": "query A { __typename }", "operationName": "B"}},  # unknown name
        {"json": {"query": "{ __typename }", "variables": []}},  # variables not an object
        {"json": {"query": None}},  # no query
        {"json": [{"query": "{ __typename }"}]},  # a batch (not enabled)
        {"content": b"{not json", "headers": {"content-type": "application/json"}},
        {"content": b"query=x", "headers": {"content-type": "text/plain"}},
        {"json": {"query": "{ __typename }", "unknown": 1}},
    ],
)
async def test_bad_requests_answer_alike_on_both_paths(
    both: tuple[httpx.AsyncClient, httpx.AsyncClient], request_args: dict[str, Any]
) -> None:
    await _both(both, **request_args)


async def test_without_a_token_both_paths_refuse_alike_before_reading(
    both: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    lean, plain = both
    for headers in ({}, {INTERNAL_TOKEN_HEADER: "not-a-token"}):
        request = {"json": {"query": "{ __typename }"}, "headers": headers}
        first = await lean.post("/graphql", auth=httpx.Auth(), **request)
        second = await plain.post("/graphql", auth=httpx.Auth(), **request)
        _same(first, second)
        assert first.status_code == 401
        assert first.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_middleware_added_to_the_app_sees_the_lean_path(users_app: FastAPI) -> None:
    seen: list[str] = []

    class Recorder:
        def __init__(self, app: ASGIApp) -> None:
            self.app = app

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http":
                seen.append(f"{scope['method']} {scope['path']}")
            await self.app(scope, receive, send)

    users_app.add_middleware(Recorder)
    async with running_app(users_app) as client:
        assert (await execute(client, "{ __typename }")).ok() == {"__typename": "Query"}
        await client.get("/healthz")
    assert seen == ["POST /graphql", "GET /healthz"]
    assert isinstance(users_app, SubgraphApp)
    stack = users_app._graphql_stack
    assert isinstance(stack, Recorder) and isinstance(stack.app, GraphQLEndpoint)


async def test_an_unexpected_failure_is_a_json_500(users_app: FastAPI) -> None:
    async with running_app(users_app) as client:
        (await execute(client, "{ __typename }")).ok()  # the stack is built on first use
        assert isinstance(users_app, SubgraphApp)
        endpoint = users_app._graphql_stack
        assert isinstance(endpoint, GraphQLEndpoint)

        async def broken(*_args: Any, **_kwargs: Any) -> Any:
            raise RuntimeError("boom")

        endpoint.schema = type("Broken", (), {"execute": staticmethod(broken)})()  # type: ignore[assignment]
        transport = httpx.ASGITransport(app=users_app, raise_app_exceptions=False)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://subgraph", auth=client.auth
        ) as raw:
            response = await raw.post("/graphql", json={"query": "{ __typename }"})
    assert response.status_code == 500
    assert response.json()["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert "boom" not in response.text


# -- the document cache ---------------------------------------------------------------------------


async def test_each_operation_text_is_parsed_and_validated_once(
    client: httpx.AsyncClient, users_app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    import strawberry.schema.schema as strawberry_schema

    calls = {"parse": 0, "validate": 0}
    parse, validate = strawberry_schema.parse, strawberry_schema.validate_document

    def counting_parse(*args: Any, **kwargs: Any) -> Any:
        calls["parse"] += 1
        return parse(*args, **kwargs)

    def counting_validate(*args: Any, **kwargs: Any) -> Any:
        calls["validate"] += 1
        return validate(*args, **kwargs)

    from subgraphs.users.schema import schema

    assert schema.document_cache is not None
    schema.document_cache.clear()
    monkeypatch.setattr(strawberry_schema, "parse", counting_parse)
    monkeypatch.setattr(strawberry_schema, "validate_document", counting_validate)
    user_id = (await execute(client, CREATE, {"input": USER})).ok()["createUser"]["id"]
    for _ in range(3):
        found = (await execute(client, READ, {"id": user_id})).ok()
        assert found["user"]["emailAddress"] == "ada@example.com"
    assert (await execute(client, READ, {"id": "usr_missing"})).ok() == {"user": None}
    assert calls == {"parse": 2, "validate": 2}  # CREATE once, READ once
    # Invalid operations are judged every time, with their errors each time: a text that
    # parses but does not validate is parsed once and validated each time; one that does not
    # parse is parsed (and refused) each time.
    for _ in range(2):
        assert (await execute(client, "{ nope }")).codes == ["GRAPHQL_VALIDATION_FAILED"]
        assert (await execute(client, "{ user(id: ")).codes == ["GRAPHQL_PARSE_FAILED"]
    assert calls == {"parse": 2 + 1 + 2, "validate": 2 + 2}


async def test_the_document_cache_is_bounded() -> None:
    from graphql import parse

    cache = DocumentCache(size=2)
    for text in ("{ a }", "{ b }", "{ c }"):
        cache.put(text, parse(text))
    assert len(cache) == 2 and cache.get("{ a }") is None and cache.get("{ c }") is not None
    assert DocumentCacheExtension(cache=cache).cache is cache
