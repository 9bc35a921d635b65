"""Every validation rule of an account: refused with a code naming the field, nothing written."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from subgraphs.kit.testing import execute
from tests.subgraphs.investments.investments_support import (
    CREATE_ACCOUNT,
    GET_ACCOUNT,
    account_count,
    account_input,
    create_account,
    create_user,
    update_account,
)

INVALID: list[tuple[str, dict[str, Any], str]] = [
    ("blank client reference", {"clientReference": "   "}, "clientReference"),
    ("client reference over 50", {"clientReference": "R" * 51}, "clientReference"),
    ("control character in reference", {"clientReference": "REF\u00001"}, "clientReference"),
    ("blank name", {"name": ""}, "name"),
    ("name over 100", {"name": "N" * 101}, "name"),
    ("control character in name", {"name": "Gro\nwth"}, "name"),
    ("tab inside name", {"name": "Long\tterm"}, "name"),
    ("unknown currency", {"currency": "XYZ"}, "currency"),
    ("alpha-2 currency", {"currency": "GB"}, "currency"),
    ("blank currency", {"currency": ""}, "currency"),
]
# Values the GraphQL layer itself refuses (enum, types): still BAD_USER_INPUT naming the field.
INVALID_SHAPE: list[tuple[str, dict[str, Any], str]] = [
    ("unknown account type", {"accountType": "SAVINGS"}, "accountType"),
    ("number as reference", {"clientReference": 12}, "clientReference"),
]


async def test_create_refuses_each_invalid_field(
    client: httpx.AsyncClient, users_client: httpx.AsyncClient, subtests: pytest.Subtests
) -> None:
    user_id = await create_user(users_client)
    for name, overrides, field in [*INVALID, *INVALID_SHAPE]:
        with subtests.test(msg=name):
            result = await execute(
                client, CREATE_ACCOUNT, {"input": account_input(user_id, **overrides)}
            )

            error = result.error()
            assert error["extensions"]["code"] == "BAD_USER_INPUT"
            assert field in error["extensions"]["field"]
            assert field in error["message"]
            assert result.data is None
    assert await account_count(client) == 0


async def test_create_refuses_a_malformed_user_id_without_asking_users(
    client: httpx.AsyncClient,
) -> None:
    for user_id in ("", "u" * 49):
        result = await execute(client, CREATE_ACCOUNT, {"input": account_input(user_id)})
        assert result.error()["extensions"]["field"] == "userId"
    assert await account_count(client) == 0


async def test_update_refuses_each_invalid_field(
    client: httpx.AsyncClient, users_client: httpx.AsyncClient, subtests: pytest.Subtests
) -> None:
    user_id = await create_user(users_client)
    account = await create_account(client, user_id)
    nulls = [(f"null {f}", {f: None}, f) for f in ("clientReference", "name", "currency")]
    for name, overrides, field in [*INVALID, *INVALID_SHAPE, *nulls]:
        with subtests.test(msg=name):
            result = await update_account(client, id=account["id"], version=1, **overrides)

            error = result.error()
            assert error["extensions"]["code"] == "BAD_USER_INPUT"
            assert field in error["extensions"]["field"]
            after = (await execute(client, GET_ACCOUNT, {"id": account["id"]})).ok()
            assert after["investmentAccount"] == account


async def test_every_bad_field_is_listed_at_once(
    client: httpx.AsyncClient, users_client: httpx.AsyncClient
) -> None:
    user_id = await create_user(users_client)
    result = await execute(
        client,
        CREATE_ACCOUNT,
        {"input": account_input(user_id, clientReference="", name="", currency="??")},
    )
    fields = [issue["field"] for issue in result.error()["extensions"]["fields"]]
    assert fields == ["clientReference", "name", "currency"]
    assert await account_count(client) == 0


async def test_bad_cursor_and_page_size_are_refused(client: httpx.AsyncClient) -> None:
    query = """query($first: Int, $after: String) {
        investmentAccounts(first: $first, after: $after) { nodes { id } } }"""
    bad_cursor = await execute(client, query, {"after": "not-a-cursor"})
    assert bad_cursor.error()["extensions"]["code"] == "BAD_USER_INPUT"
    assert bad_cursor.error()["extensions"]["field"] == "after"
    for first in (0, 101):
        too_many = await execute(client, query, {"first": first})
        assert too_many.error()["extensions"]["field"] == "first"
