"""Owner checks against the real users app, and refusals when the owner cannot answer."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from subgraphs.kit import (
    BadUserInput,
    DependencyUnavailable,
    OwnerClient,
    RuleViolation,
    Unauthenticated,
)
from subgraphs.kit.testing import (
    TEST_PRINCIPAL,
    HostRouterTransport,
    InternalTokenAuth,
    running_app,
)
from tests.subgraphs.users.users_support import create_user, update_user

NOT_CLOSED = {"usable": lambda user: user["status"] != "CLOSED"}


@pytest.fixture
async def owner(users_app: FastAPI) -> AsyncIterator[tuple[OwnerClient, httpx.AsyncClient]]:
    async with running_app(users_app) as client:
        http = httpx.AsyncClient(transport=HostRouterTransport({"users": users_app}))
        async with http:
            assert isinstance(client.auth, InternalTokenAuth)
            # An owner check carries the caller's internal token, as a request context binds it.
            token = client.auth.mint(TEST_PRINCIPAL)
            yield OwnerClient("users", "http://users/graphql", http).with_token(token), client


async def test_owner_check_without_a_token_is_refused(users_app: FastAPI) -> None:
    async with (
        running_app(users_app),
        httpx.AsyncClient(transport=HostRouterTransport({"users": users_app})) as http,
    ):
        with pytest.raises(Unauthenticated):
            await OwnerClient("users", "http://users/graphql", http).fetch("User", ["usr_x"])


async def test_existing_user_is_returned(owner: tuple[OwnerClient, httpx.AsyncClient]) -> None:
    users, client = owner
    user = await create_user(client)

    found = await users.require("User", user["id"], field="userId", **NOT_CLOSED)
    assert found == {"id": user["id"], "status": "ACTIVE"}

    batch = await users.fetch("User", [user["id"], "usr_nope"], ("id", "firstName"))
    assert batch == [{"id": user["id"], "firstName": "Ada"}, None]


async def test_unknown_user_is_bad_input(owner: tuple[OwnerClient, httpx.AsyncClient]) -> None:
    users, _ = owner
    with pytest.raises(BadUserInput) as caught:
        await users.require("User", "usr_unknown", field="userId", **NOT_CLOSED)
    assert caught.value.extensions["field"] == "userId"


async def test_closed_user_is_refused(owner: tuple[OwnerClient, httpx.AsyncClient]) -> None:
    users, client = owner
    user = await create_user(client)
    (await update_user(client, id=user["id"], version=1, status="CLOSED")).ok()

    with pytest.raises(RuleViolation) as caught:
        await users.require("User", user["id"], field="userId", **NOT_CLOSED)
    assert caught.value.extensions == {
        "code": "RULE_VIOLATION",
        "reason": "REFERENCE_NOT_USABLE",
        "field": "userId",
    }


async def test_unreachable_owner_is_a_retryable_refusal() -> None:
    # Nothing listens on port 9 of localhost (the discard port): a real connection failure.
    async with httpx.AsyncClient(timeout=2) as http:
        users = OwnerClient("users", "http://127.0.0.1:9/graphql", http)
        with pytest.raises(DependencyUnavailable) as caught:
            await users.require("User", "usr_x", field="userId")
    assert caught.value.extensions["code"] == "DEPENDENCY_UNAVAILABLE"
    assert caught.value.extensions["retryable"] is True


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (500, {"error": "boom"}),
        (200, {"data": None, "errors": [{"message": "x", "extensions": {"code": "INTERNAL"}}]}),
        (200, {"data": {"_entities": []}}),  # wrong length: not an answer to our question
    ],
)
async def test_owner_answering_badly_is_a_retryable_refusal(
    status: int, body: dict[str, object]
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=body)

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        users = OwnerClient("users", "http://users/graphql", http)
        with pytest.raises(DependencyUnavailable):
            await users.require("User", "usr_x", field="userId")


async def test_host_router_refuses_unknown_hosts_like_a_dead_server(users_app: FastAPI) -> None:
    async with httpx.AsyncClient(transport=HostRouterTransport({"users": users_app})) as http:
        investments = OwnerClient("investments", "http://investments/graphql", http)
        with pytest.raises(DependencyUnavailable) as caught:
            await investments.require("InvestmentAccount", "acc_x", field="accountId")
    assert caught.value.extensions["dependency"] == "investments"


async def test_an_owner_check_names_the_callers_request(users_app: FastAPI) -> None:
    seen: list[httpx.Request] = []
    inner = HostRouterTransport({"users": users_app})

    class Recording(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return await inner.handle_async_request(request)

    async with running_app(users_app) as client, httpx.AsyncClient(transport=Recording()) as http:
        assert isinstance(client.auth, InternalTokenAuth)
        user = await create_user(client)
        token = client.auth.mint(TEST_PRINCIPAL)
        owners = OwnerClient("users", "http://users/graphql", http)
        await owners.with_token(token, "req-owner-7").fetch("User", [user["id"]])
        await owners.with_token(token).fetch("User", [user["id"]])
    assert [r.headers.get("x-request-id") for r in seen] == ["req-owner-7", None]
    assert all(r.headers["x-internal-token"] == token for r in seen)
