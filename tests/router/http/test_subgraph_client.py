"""The subgraph client: loopback requests, forwarded headers, failures as SubgraphUnavailable."""

from __future__ import annotations

import json

import httpx
import pytest

from router.execution import RequestContext, SubgraphUnavailable
from router.subgraph_client import SubgraphClient
from tests.router.standins import RunningFleet, free_port


async def test_sends_to_the_subgraph_url_and_decodes_the_response(fleet: RunningFleet) -> None:
    client = SubgraphClient({"users": fleet.url("users")})
    try:
        body = await client.send(
            "users",
            {
                "query": "query($id: ID!) { user(id: $id) { name } }",
                "variables": {"id": "usr_0004"},
            },
            RequestContext(),
        )
    finally:
        await client.aclose()
    assert body == {"data": {"user": {"name": "User 004"}}}


async def test_forwards_context_headers_and_request_id() -> None:
    seen: list[httpx.Request] = []

    def subgraph(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"data": {"__typename": "Query"}})

    client = SubgraphClient(
        {"users": "http://users.test/graphql"}, transports={"users": httpx.MockTransport(subgraph)}
    )
    context = RequestContext(headers={"authorization": "Bearer t0k"}, request_id="req-1")
    try:
        await client.send("users", {"query": "{ __typename }"}, context)
    finally:
        await client.aclose()
    (request,) = seen
    assert str(request.url) == "http://users.test/graphql"
    assert request.headers["authorization"] == "Bearer t0k"
    assert request.headers["x-request-id"] == "req-1"
    assert request.headers["content-type"] == "application/json"
    assert "application/graphql-response+json" in request.headers["accept"]
    assert json.loads(request.content) == {"query": "{ __typename }"}


async def test_unreachable_subgraph_raises_subgraph_unavailable_from_the_httpx_error() -> None:
    client = SubgraphClient({"users": f"http://127.0.0.1:{free_port()}/graphql"})
    try:
        with pytest.raises(SubgraphUnavailable) as caught:
            await client.send("users", {"query": "{ __typename }"}, RequestContext())
    finally:
        await client.aclose()
    assert isinstance(caught.value.__cause__, httpx.ConnectError)
    assert "could not connect" in str(caught.value)


@pytest.mark.parametrize(
    ("response", "reason"),
    [
        (httpx.Response(502, text="<html>Bad gateway</html>"), "not JSON"),
        (httpx.Response(200, json=[1, 2]), "not a GraphQL response"),
        (httpx.Response(500, json={"data": None}), "HTTP 500"),
    ],
)
async def test_non_graphql_answers_raise_subgraph_unavailable(
    response: httpx.Response, reason: str
) -> None:
    client = SubgraphClient(
        {"users": "http://users.test/graphql"},
        transports={"users": httpx.MockTransport(lambda request: response)},
    )
    try:
        with pytest.raises(SubgraphUnavailable, match=reason):
            await client.send(
                "users", {"query": "{ __typename }", "variables": {"ssn": "123"}}, RequestContext()
            )
    finally:
        await client.aclose()


async def test_timeout_raises_subgraph_unavailable_without_leaking_variables() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("read timed out", request=request)

    client = SubgraphClient(
        {"users": "http://users.test/graphql"}, transports={"users": httpx.MockTransport(slow)}
    )
    try:
        with pytest.raises(SubgraphUnavailable) as caught:
            await client.send(
                "users",
                {"query": "{ __typename }", "variables": {"ssn": "078-05-1120"}},
                RequestContext(),
            )
    finally:
        await client.aclose()
    assert "timed out" in str(caught.value)
    assert "078-05-1120" not in str(caught.value)
    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)


async def test_graphql_error_response_with_4xx_is_returned_not_raised() -> None:
    answer = {"errors": [{"message": "Cannot query field 'x'"}]}
    client = SubgraphClient(
        {"users": "http://users.test/graphql"},
        transports={"users": httpx.MockTransport(lambda request: httpx.Response(400, json=answer))},
    )
    try:
        body = await client.send("users", {"query": "{ x }"}, RequestContext())
    finally:
        await client.aclose()
    assert body == answer


async def test_unknown_subgraph_is_unavailable() -> None:
    client = SubgraphClient({})
    with pytest.raises(SubgraphUnavailable, match="unknown subgraph"):
        await client.send("ghost", {"query": "{ __typename }"}, RequestContext())


async def test_cookies_set_by_a_subgraph_are_never_replayed() -> None:
    seen: list[httpx.Request] = []

    def subgraph(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200, json={"data": {"__typename": "Query"}}, headers={"set-cookie": "session=caller-1"}
        )

    client = SubgraphClient(
        {"users": "http://users.test/graphql"}, transports={"users": httpx.MockTransport(subgraph)}
    )
    try:
        for _ in range(2):
            await client.send("users", {"query": "{ __typename }"}, RequestContext())
    finally:
        await client.aclose()
    assert [request.headers.get("cookie") for request in seen] == [None, None]


def test_only_queries_are_marked_safe_to_send_twice() -> None:
    from router.subgraph_client import _is_query

    for query in (
        "{ a }",
        "  query { a }",
        "query($r: [_Any!]!) { _entities(representations: $r) { __typename } }",
        "query Q { a }",
    ):
        assert _is_query(query), query
    for document in ("mutation { a }", " mutation M { a }", "queryX { a }", "query_x", "", None, 3):
        assert not _is_query(document), document
