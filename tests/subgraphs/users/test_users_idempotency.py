"""createUser's idempotency key: a retry creates nothing, a reused key is refused (ADR 0027).

The case it exists for: the first request committed but its answer was lost (a timeout, a
dropped connection, a router restart), so the client sends the same request again with the
same key. That retry gets the user the first one created, not a second user and not a
``DUPLICATE`` e-mail refusal.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from subgraphs.kit.testing import GraphQLResult, execute, state_of
from tests.subgraphs.users.users_support import CREATE_USER, update_user, user_input

KEY = "create-user-5c1e9a7b"


async def _create(client: httpx.AsyncClient, **fields: Any) -> GraphQLResult:
    return await execute(client, CREATE_USER, {"input": user_input(**fields)})


async def _stored(app: FastAPI) -> list[tuple[str, str | None, str | None]]:
    async with state_of(app).database.engine.connect() as connection:
        result = await connection.execute(
            text("SELECT id, idempotency_key, request_fingerprint FROM users ORDER BY id")
        )
        return [(row[0], row[1], row[2]) for row in result]


async def test_a_retry_after_a_lost_answer_returns_the_first_user(
    client: httpx.AsyncClient, users_app: FastAPI
) -> None:
    first = (await _create(client, idempotencyKey=KEY)).ok()["createUser"]
    # The answer never reached the client; it sends the same request again (sources of wealth
    # in the same order, the amount with the same digits).
    again = (await _create(client, idempotencyKey=KEY)).ok()["createUser"]

    assert again == first
    [(user_id, key, fingerprint)] = await _stored(users_app)
    assert (user_id, key) == (first["id"], KEY)
    # A keyed fingerprint, not the request: no value of it shows in the column.
    assert fingerprint is not None
    for value in ("Lovelace", "85000", "Example.com", "1985-12-10", "7700"):
        assert value not in fingerprint


async def test_a_replay_shows_the_user_as_it_is_now(
    client: httpx.AsyncClient, users_app: FastAPI
) -> None:
    first = (await _create(client, idempotencyKey=KEY)).ok()["createUser"]
    changed = (await update_user(client, id=first["id"], version=1, lastName="King")).ok()

    again = (await _create(client, idempotencyKey=KEY)).ok()["createUser"]

    assert again == changed["updateUser"]
    assert (again["id"], again["version"], again["lastName"]) == (first["id"], 2, "King")
    assert len(await _stored(users_app)) == 1


@pytest.mark.parametrize(
    "change",
    [
        {"firstName": "Eve"},
        {"title": None},
        {"dateOfBirth": "1985-12-11"},
        {"emailAddress": "eve@example.com"},
        {"annualIncome": {"amount": "85000.0", "currency": "GBP"}},
        {"sourcesOfWealth": ["SAVINGS", "EMPLOYMENT_INCOME"]},
        {"employmentStatus": "RETIRED"},
    ],
    ids=lambda change: next(iter(change)),
)
async def test_the_same_key_with_another_request_is_a_conflict(
    change: dict[str, Any], client: httpx.AsyncClient, users_app: FastAPI
) -> None:
    first = (await _create(client, idempotencyKey=KEY)).ok()["createUser"]

    refused = await _create(client, idempotencyKey=KEY, **change)

    error = refused.error()
    assert error["extensions"]["code"] == "CONFLICT"
    assert error["extensions"]["reason"] == "IDEMPOTENCY_KEY_REUSED"
    assert error["extensions"]["field"] == "idempotencyKey"
    assert refused.data is None
    assert "eve@example.com" not in str(refused.errors)
    assert [row[0] for row in await _stored(users_app)] == [first["id"]]


@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "clé", "line\n"])
async def test_a_malformed_key_is_refused_and_nothing_is_written(
    key: str, client: httpx.AsyncClient, users_app: FastAPI
) -> None:
    refused = await _create(client, idempotencyKey=key)

    error = refused.error()
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["fields"] == [
        {
            "field": "idempotencyKey",
            "message": "must be 1 to 255 printable ASCII characters without spaces",
        }
    ]
    assert await _stored(users_app) == []


async def test_without_a_key_a_second_create_is_a_duplicate_e_mail(
    client: httpx.AsyncClient, users_app: FastAPI
) -> None:
    (await _create(client)).ok()
    refused = await _create(client, idempotencyKey=None)
    assert refused.error()["extensions"]["reason"] == "DUPLICATE"
    # A key does not let another request past the e-mail rule either.
    keyed = await _create(client, idempotencyKey=KEY)
    assert keyed.error()["extensions"]["reason"] == "DUPLICATE"
    assert [(row[1], row[2]) for row in await _stored(users_app)] == [(None, None)]


async def test_a_refused_request_stores_nothing_and_its_key_stays_free(
    client: httpx.AsyncClient, users_app: FastAPI
) -> None:
    invalid = await _create(client, idempotencyKey=KEY, emailAddress="not-an-address")
    assert invalid.error()["extensions"]["code"] == "BAD_USER_INPUT"
    fixed = (await _create(client, idempotencyKey=KEY)).ok()["createUser"]
    assert [row[0] for row in await _stored(users_app)] == [fixed["id"]]


async def test_concurrent_creates_with_one_key_make_one_user(
    client: httpx.AsyncClient, users_app: FastAPI
) -> None:
    results = await asyncio.gather(*(_create(client, idempotencyKey=KEY) for _ in range(6)))

    [(user_id, _, _)] = await _stored(users_app)
    for result in results:
        if result.errors:  # lost the race inside the database: a conflict, nothing written
            assert result.error()["extensions"]["code"] == "CONFLICT", result.body
        else:
            assert result.data["createUser"]["id"] == user_id
    # Whoever lost the race gets the one user on its retry.
    assert (await _create(client, idempotencyKey=KEY)).ok()["createUser"]["id"] == user_id
