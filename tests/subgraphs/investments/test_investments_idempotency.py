"""createInvestmentAccount's idempotency key: a retry creates nothing (ADR 0027).

The case it exists for: the first request committed but its answer was lost, so the client
sends the same request again with the same key. That retry gets the account the first one
created, not a second account and not a ``DUPLICATE`` client-reference refusal.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from subgraphs.kit.testing import GraphQLResult, execute, state_of
from tests.subgraphs.investments.investments_support import (
    CREATE_ACCOUNT,
    account_input,
    create_user,
    move,
)

KEY = "open-gia-3b7d0c2e"


async def _create(client: httpx.AsyncClient, user_id: str, **fields: Any) -> GraphQLResult:
    return await execute(client, CREATE_ACCOUNT, {"input": account_input(user_id, **fields)})


async def _stored(app: FastAPI) -> list[tuple[str, str | None, str | None]]:
    async with state_of(app).database.engine.connect() as connection:
        result = await connection.execute(
            text(
                "SELECT id, idempotency_key, request_fingerprint FROM investment_accounts "
                "ORDER BY id"
            )
        )
        return [(row[0], row[1], row[2]) for row in result]


async def test_a_retry_after_a_lost_answer_returns_the_first_account(
    client: httpx.AsyncClient, users_client: httpx.AsyncClient, investments_app: FastAPI
) -> None:
    user_id = await create_user(users_client)
    first = (await _create(client, user_id, idempotencyKey=KEY)).ok()["createInvestmentAccount"]
    # The same request again, the default currency now spelled out: the same request.
    again = await _create(client, user_id, idempotencyKey=KEY, currency="GBP")

    assert again.ok()["createInvestmentAccount"] == first
    [(account_id, key, fingerprint)] = await _stored(investments_app)
    assert (account_id, key) == (first["id"], KEY)
    assert fingerprint is not None and "ADA-GIA-0001" not in fingerprint


async def test_a_replay_shows_the_account_as_it_is_now(
    client: httpx.AsyncClient, users_client: httpx.AsyncClient, investments_app: FastAPI
) -> None:
    user_id = await create_user(users_client)
    first = (await _create(client, user_id, idempotencyKey=KEY)).ok()["createInvestmentAccount"]
    active = await move(client, first, "ACTIVE")

    again = (await _create(client, user_id, idempotencyKey=KEY)).ok()["createInvestmentAccount"]

    assert again == active
    assert (again["id"], again["status"], again["version"]) == (first["id"], "ACTIVE", 2)
    assert len(await _stored(investments_app)) == 1


@pytest.mark.parametrize(
    "change",
    [
        {"clientReference": "ADA-GIA-0002"},
        {"accountType": "ISA"},
        {"name": "Another name"},
        {"currency": "EUR"},
        {"user": "other"},
    ],
    ids=lambda change: next(iter(change)),
)
async def test_the_same_key_with_another_request_is_a_conflict(
    change: dict[str, Any],
    client: httpx.AsyncClient,
    users_client: httpx.AsyncClient,
    investments_app: FastAPI,
) -> None:
    user_id = await create_user(users_client)
    first = (await _create(client, user_id, idempotencyKey=KEY)).ok()["createInvestmentAccount"]
    target = user_id
    if "user" in change:  # (the parameter is shared by both back-ends: never mutate it)
        target, change = await create_user(users_client, 1), {}

    refused = await _create(client, target, idempotencyKey=KEY, **change)

    error = refused.error()
    assert error["extensions"]["code"] == "CONFLICT"
    assert error["extensions"]["reason"] == "IDEMPOTENCY_KEY_REUSED"
    assert error["extensions"]["field"] == "idempotencyKey"
    assert "ADA-GIA-000" not in str(refused.errors)
    assert [row[0] for row in await _stored(investments_app)] == [first["id"]]


async def test_a_malformed_key_is_refused_and_nothing_is_written(
    client: httpx.AsyncClient, users_client: httpx.AsyncClient, investments_app: FastAPI
) -> None:
    user_id = await create_user(users_client)
    for key in ("", "has space", "x" * 256):
        refused = await _create(client, user_id, idempotencyKey=key)
        assert refused.error()["extensions"]["code"] == "BAD_USER_INPUT"
        assert refused.error()["extensions"]["field"] == "idempotencyKey"
    assert await _stored(investments_app) == []


async def test_without_a_key_a_second_create_is_a_duplicate_reference(
    client: httpx.AsyncClient, users_client: httpx.AsyncClient, investments_app: FastAPI
) -> None:
    user_id = await create_user(users_client)
    (await _create(client, user_id)).ok()
    refused = await _create(client, user_id)
    assert refused.error()["extensions"]["reason"] == "DUPLICATE"
    keyed = await _create(client, user_id, idempotencyKey=KEY)  # a key is no way past the rule
    assert keyed.error()["extensions"]["reason"] == "DUPLICATE"
    assert [(row[1], row[2]) for row in await _stored(investments_app)] == [(None, None)]


async def test_concurrent_creates_with_one_key_make_one_account(
    client: httpx.AsyncClient, users_client: httpx.AsyncClient, investments_app: FastAPI
) -> None:
    user_id = await create_user(users_client)
    results = await asyncio.gather(
        *(_create(client, user_id, idempotencyKey=KEY) for _ in range(6))
    )

    [(account_id, _, _)] = await _stored(investments_app)
    for result in results:
        if result.errors:  # lost the race inside the database: a conflict, nothing written
            assert result.error()["extensions"]["code"] == "CONFLICT", result.body
        else:
            assert result.data["createInvestmentAccount"]["id"] == account_id
    again = (await _create(client, user_id, idempotencyKey=KEY)).ok()
    assert again["createInvestmentAccount"]["id"] == account_id
