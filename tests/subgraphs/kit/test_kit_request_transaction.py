"""One request, one transaction: an operation that reports any error leaves nothing behind."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from subgraphs.kit.testing import count_queries, execute, state_of
from tests.subgraphs.users.users_support import user_input

TWO_CREATES = """mutation($ok: CreateUserInput!, $bad: CreateUserInput!) {
    first: createUser(input: $ok) { id }
    second: createUser(input: $bad) { id } }"""


async def _count(app: FastAPI) -> int:
    async with state_of(app).database.engine.connect() as connection:
        return int((await connection.execute(text("SELECT count(*) FROM users"))).scalar_one())


async def test_an_error_in_a_later_mutation_rolls_back_the_earlier_one(
    client: httpx.AsyncClient, users_app: FastAPI
) -> None:
    with count_queries(state_of(users_app).database.engine) as queries:
        result = await execute(
            client,
            TWO_CREATES,
            {"ok": user_input(), "bad": user_input(emailAddress="x@example.com", nationality="XX")},
        )
    assert result.codes == ["BAD_USER_INPUT"]
    # The first mutation did write (its INSERT reached the database) and was then rolled back.
    assert any(s.lstrip().upper().startswith("INSERT") for s in queries.statements)
    assert await _count(users_app) == 0


async def test_a_successful_operation_is_committed(
    client: httpx.AsyncClient, users_app: FastAPI
) -> None:
    result = await execute(
        client,
        TWO_CREATES,
        {"ok": user_input(), "bad": user_input(emailAddress="other@example.com")},
    )
    result.ok()
    assert await _count(users_app) == 2


async def test_unexpected_errors_are_masked(client: httpx.AsyncClient, users_app: FastAPI) -> None:
    # Break the table behind the app's back: the SQL error must not reach the caller.
    async with state_of(users_app).database.engine.begin() as connection:
        await connection.execute(text("DROP TABLE users"))
    result = await execute(client, "{ users { nodes { id } } }")
    error = result.error()
    assert error["message"] == "Internal server error."
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
    assert "users" not in error["message"].lower()


async def test_request_errors_carry_codes(client: httpx.AsyncClient) -> None:
    syntax = await execute(client, "{ users { ")
    assert syntax.codes == ["GRAPHQL_PARSE_FAILED"]
    unknown = await execute(client, "{ nope }")
    assert unknown.codes == ["GRAPHQL_VALIDATION_FAILED"]
    missing = await execute(client, "query($id: ID!) { user(id: $id) { id } }", {})
    assert missing.codes == ["BAD_USER_INPUT"]
