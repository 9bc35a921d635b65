"""Accounts reference users owned by the users subgraph: it is asked before anything is written."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from crypto import EncryptionServices
from subgraphs.kit.testing import execute, running_app
from tests.subgraphs.investments.investments_support import (
    CREATE_ACCOUNT,
    GET_ACCOUNT,
    UNKNOWN_USER,
    account_count,
    account_input,
    create_account,
    create_user,
    make_investments_app,
    move,
    set_user_status,
    update_account,
)


async def test_unknown_user_is_refused_and_nothing_written(client: httpx.AsyncClient) -> None:
    result = await execute(client, CREATE_ACCOUNT, {"input": account_input(UNKNOWN_USER)})

    error = result.error()
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == "userId"
    assert await account_count(client) == 0


async def test_closed_user_is_refused_suspended_user_is_not(
    client: httpx.AsyncClient, users_client: httpx.AsyncClient
) -> None:
    user_id = await create_user(users_client)
    await set_user_status(users_client, user_id, "CLOSED")

    result = await execute(client, CREATE_ACCOUNT, {"input": account_input(user_id)})

    error = result.error()
    assert error["extensions"]["code"] == "RULE_VIOLATION"
    assert error["extensions"]["reason"] == "REFERENCE_NOT_USABLE"
    assert error["extensions"]["field"] == "userId"
    assert await account_count(client) == 0

    # A suspended user is not closed: their accounts may still be opened (and wait in PENDING).
    suspended = await create_user(users_client, 2)
    await set_user_status(users_client, suspended, "SUSPENDED")
    account = await create_account(client, suspended)
    assert account["status"] == "PENDING"


async def test_an_account_of_a_closed_user_cannot_be_activated(
    client: httpx.AsyncClient, users_client: httpx.AsyncClient
) -> None:
    user_id = await create_user(users_client)
    account = await create_account(client, user_id)
    await set_user_status(users_client, user_id, "CLOSED")

    result = await update_account(client, id=account["id"], version=1, status="ACTIVE")

    assert result.error()["extensions"]["reason"] == "REFERENCE_NOT_USABLE"
    after = (await execute(client, GET_ACCOUNT, {"id": account["id"]})).ok()
    assert after["investmentAccount"] == account
    # Winding it down needs no user check.
    assert (await move(client, account, "CLOSING"))["status"] == "CLOSING"


@pytest.fixture
async def cut_off_client(
    database_url: str, tmp_path: Path, encryption_services: EncryptionServices
) -> AsyncIterator[httpx.AsyncClient]:
    """The investments app whose users subgraph cannot be reached (the connection is refused)."""
    app = make_investments_app(database_url, tmp_path / "cut-off", encryption_services, {})
    async with running_app(app) as client:
        yield client


async def test_unreachable_users_service_refuses_the_write_as_retryable(
    cut_off_client: httpx.AsyncClient,
) -> None:
    result = await execute(
        cut_off_client, CREATE_ACCOUNT, {"input": account_input("usr_0190000000007000800000000000")}
    )

    error = result.error()
    assert error["extensions"]["code"] == "DEPENDENCY_UNAVAILABLE"
    assert error["extensions"]["dependency"] == "users"
    assert error["extensions"]["retryable"] is True
    assert await account_count(cut_off_client) == 0
