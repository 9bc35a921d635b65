"""Idempotency-Key on REST POSTs: replay, clash, in-progress, and the transaction's own key."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import text

from router.rest.endpoints import REST_STATE_KEY
from tests.router.rest.platform import Platform
from tests.router.rest.rest_support import account_body, active_account, problem, user_body


async def _users(platform: Platform) -> list[str]:
    body = await platform.graphql("{ users { nodes { id } } }")
    return [node["id"] for node in body["data"]["users"]["nodes"]]


async def test_same_key_and_body_replays_the_first_response(platform: Platform) -> None:
    client = platform.router
    key = {"Idempotency-Key": "create-ada-1"}
    first = await client.post("/api/user", json=user_body(), headers=key)
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    # Same body with other key order and spacing: the same request.
    reordered = dict(reversed(list(user_body().items())))
    again = await client.post("/api/user", json=reordered, headers=key)
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["location"] == first.headers["location"]
    assert again.json() == first.json()
    assert await _users(platform) == [first.json()["id"]]  # created once

    # The same caller with a freshly minted token (a refresh between retries) still gets the replay.
    refreshed = await client.post(
        "/api/user", json=user_body(), headers={**key, **platform.caller_headers("test|rest-admin")}
    )
    assert (refreshed.status_code, refreshed.headers["idempotent-replayed"]) == (201, "true")

    clash = await client.post("/api/user", json=user_body(first_name="Eve"), headers=key)
    problem(clash, 409, "IDEMPOTENCY_KEY_REUSED")
    # Keys belong to one route and one caller: the same key elsewhere is independent.
    other_caller = await client.post(
        "/api/user",
        json=user_body(email_address="eve@example.com"),
        headers={**key, **platform.caller_headers("test|someone-else")},
    )
    assert other_caller.status_code == 201, other_caller.text
    assert len(await _users(platform)) == 2


async def test_a_failed_request_releases_its_key(platform: Platform) -> None:
    client = platform.router
    key = {"Idempotency-Key": "retry-me"}
    refused = await client.post("/api/user", json=user_body(email_address="nope"), headers=key)
    problem(refused, 422, "BAD_USER_INPUT")
    fixed = await client.post("/api/user", json=user_body(), headers=key)
    assert fixed.status_code == 201, fixed.text
    assert "idempotent-replayed" not in fixed.headers


async def test_a_concurrent_duplicate_is_409_in_progress(platform: Platform) -> None:
    client = platform.router
    key = {"Idempotency-Key": "slow-create"}
    platform.gate.hold("users")
    first = asyncio.create_task(client.post("/api/user", json=user_body(), headers=key))
    await platform.gate.waiting.wait()  # the first request now sits inside the users subgraph call
    second = await client.post("/api/user", json=user_body(), headers=key)
    problem(second, 409, "IDEMPOTENCY_REQUEST_IN_PROGRESS")
    platform.gate.release()
    assert (await first).status_code == 201
    replay = await client.post("/api/user", json=user_body(), headers=key)
    assert (replay.status_code, replay.headers["idempotent-replayed"]) == (201, "true")
    assert len(await _users(platform)) == 1


async def test_bad_keys_are_400(platform: Platform) -> None:
    client = platform.router
    for bad in ("", "x" * 256, "has space"):
        response = await client.post(
            "/api/user", json=user_body(), headers={"Idempotency-Key": bad}
        )
        problem(response, 400, "IDEMPOTENCY_KEY_INVALID")
    assert await _users(platform) == []


async def test_transactions_require_a_key_that_the_subgraph_honours(platform: Platform) -> None:
    client = platform.router
    _, account_id = await active_account(client)
    body = {"account_id": account_id, "type": "DEPOSIT", "consideration_amount": "250.00"}
    problem(await client.post("/api/transaction", json=body), 400, "IDEMPOTENCY_KEY_REQUIRED")

    key = {"Idempotency-Key": "deposit-250"}
    first = await client.post("/api/transaction", json=body, headers=key)
    assert first.status_code == 201, first.text
    retry = await client.post("/api/transaction", json=body, headers=key)
    assert retry.status_code == 201
    assert retry.json() == first.json()  # the first transaction, not a second one
    clash = await client.post(
        "/api/transaction", json={**body, "consideration_amount": "251.00"}, headers=key
    )
    problem(clash, 409, "CONFLICT")
    listed = await platform.graphql(
        "query($a: ID!) { investmentAccount(id: $a) { transactions { nodes { id } } } }",
        {"a": account_id},
    )
    nodes = listed["data"]["investmentAccount"]["transactions"]["nodes"]
    assert nodes == [{"id": first.json()["id"]}]


async def test_investment_and_compliance_posts_replay_too(platform: Platform) -> None:
    client = platform.router
    user = await client.post("/api/user", json=user_body())
    assert user.status_code == 201, user.text
    user_id = user.json()["id"]
    bodies = {
        "/api/investment": account_body(user_id),
        "/api/compliance": {
            "user_id": user_id,
            "event_type": "AML_SCREENING",
            "outcome": "PENDING",
            "log_details": {"note": "clear"},
            "response_id": "resp-replay",
            "performed_by": "ops@wealth.example",
        },
    }
    for path, body in bodies.items():
        key = {"Idempotency-Key": f"replay{path.replace('/', '-')}"}
        first = await client.post(path, json=body, headers=key)
        assert first.status_code == 201, first.text
        again = await client.post(path, json=body, headers=key)
        assert (again.status_code, again.headers["idempotent-replayed"]) == (201, "true"), path
        assert again.headers["location"] == first.headers["location"]
        assert again.json() == first.json()
        clash = await client.post(path, json={**body, "user_id": "usr_other"}, headers=key)
        problem(clash, 409, "IDEMPOTENCY_KEY_REUSED")
    # Each replayed POST created its entity once.
    listed = await platform.graphql(
        "query($u: ID!) { user(id: $u) { investmentAccounts { nodes { id } } "
        "complianceLogs { nodes { id } } } }",
        {"u": user_id},
    )
    user_data = listed["data"]["user"]
    assert len(user_data["investmentAccounts"]["nodes"]) == 1
    assert len(user_data["complianceLogs"]["nodes"]) == 1


async def test_a_compliance_key_holds_even_when_the_router_store_is_lost(
    platform: Platform,
) -> None:
    client = platform.router
    user = await client.post("/api/user", json=user_body())
    user_id = user.json()["id"]
    body = {
        "user_id": user_id,
        "event_type": "AML_SCREENING",
        "outcome": "CLEAR",
        "log_details": {"note": "clear"},
        "response_id": "resp-lost-store",
        "performed_by": "ops@wealth.example",
    }
    key = {"Idempotency-Key": "log-once"}
    first = await client.post("/api/compliance", json=body, headers=key)
    assert first.status_code == 201, first.text

    # The router's store forgets every key (a lost or expired store) ...
    store = getattr(platform.router_app.state, REST_STATE_KEY)
    async with store.engine.begin() as connection:
        await connection.execute(text("DELETE FROM router_rest_idempotency"))
    # ... and the subgraph, which was handed a key derived from the header, still knows it.
    again = await client.post("/api/compliance", json=body, headers=key)
    assert again.status_code == 201, again.text
    assert "idempotent-replayed" not in again.headers  # the router holds no stored response
    assert again.headers["location"] == first.headers["location"]
    assert again.json() == first.json()
    async with store.engine.begin() as connection:
        await connection.execute(text("DELETE FROM router_rest_idempotency"))
    clash = await client.post("/api/compliance", json={**body, "outcome": "CONSIDER"}, headers=key)
    problem(clash, 409, "CONFLICT")
    assert "resp-lost-store" not in clash.text

    # The key handed on is scoped to the caller: another caller's equal key is its own.
    other = await client.post(
        "/api/compliance",
        json={**body, "outcome": "CONSIDER"},
        headers={**key, **platform.caller_headers("test|someone-else")},
    )
    assert other.status_code == 201, other.text
    listed = await platform.graphql(
        "query($u: ID!) { user(id: $u) { complianceLogs { nodes { id } } } }", {"u": user_id}
    )
    ids = [node["id"] for node in listed["data"]["user"]["complianceLogs"]["nodes"]]
    assert ids == [first.json()["id"], other.json()["id"]]


async def _count(platform: Platform, query: str, path: tuple[str, ...]) -> int:
    data: Any = (await platform.graphql(query))["data"]
    for name in path:
        data = data[name]
    return len(data)


async def test_a_user_or_account_retry_after_a_lost_answer_creates_one_record(
    platform: Platform,
) -> None:
    """Issue 15.4: the subgraph committed, the answer was lost, the client retries with its key.

    The router's store holds only answers it got (a 503 releases the key), so it is the key the
    router hands the subgraph, derived from the header and the caller, that finds the first
    record: the retry answers 201 with it (no replay header) and nothing is created twice.
    """
    client = platform.router
    key = {"Idempotency-Key": "lost-answer-user"}
    platform.gate.lose_answers.add("users")
    lost = await client.post("/api/user", json=user_body(), headers=key)
    problem(lost, 503, "SUBREQUEST_HTTP_ERROR")
    platform.gate.lose_answers.clear()
    assert len(await _users(platform)) == 1  # committed, though the client never heard of it

    again = await client.post("/api/user", json=user_body(), headers=key)
    assert again.status_code == 201, again.text
    assert "idempotent-replayed" not in again.headers
    user = again.json()
    assert await _users(platform) == [user["id"]]
    assert again.headers["location"] == f"/api/user/{user['id']}"
    # Now the router holds the answer too: the next retry is its replay.
    replay = await client.post("/api/user", json=user_body(), headers=key)
    assert (replay.status_code, replay.headers["idempotent-replayed"]) == (201, "true")
    assert replay.json() == user
    # Another body sent again under a key whose answer was lost: the subgraph's key refuses it.
    platform.gate.lose_answers.add("users")
    problem(
        await client.post(
            "/api/user",
            json=user_body(email_address="x@example.com"),
            headers={"Idempotency-Key": "lost-2"},
        ),
        503,
        "SUBREQUEST_HTTP_ERROR",
    )
    platform.gate.lose_answers.clear()
    clash = await client.post(
        "/api/user",
        json=user_body(email_address="y@example.com"),
        headers={"Idempotency-Key": "lost-2"},
    )
    problem(clash, 409, "CONFLICT")
    assert len(await _users(platform)) == 2

    account_key = {"Idempotency-Key": "lost-answer-account"}
    platform.gate.lose_answers.add("investments")
    problem(
        await client.post("/api/investment", json=account_body(user["id"]), headers=account_key),
        503,
        "SUBREQUEST_HTTP_ERROR",
    )
    platform.gate.lose_answers.clear()
    first = await client.post("/api/investment", json=account_body(user["id"]), headers=account_key)
    assert first.status_code == 201, first.text
    second = await client.post(
        "/api/investment", json=account_body(user["id"]), headers=account_key
    )
    assert (second.status_code, second.json()["id"]) == (201, first.json()["id"])
    accounts = "{ investmentAccounts(first: 10) { nodes { id } } }"
    assert await _count(platform, accounts, ("investmentAccounts", "nodes")) == 1
