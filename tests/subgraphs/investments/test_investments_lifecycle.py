"""The account lifecycle (DESIGN §3), its timestamps, and the one-open-ISA-per-user rule."""

from __future__ import annotations

import itertools
from typing import Any

import httpx
import pytest

from subgraphs.investments.domain import ALLOWED_STATUS_MOVES, InvestmentAccountStatus
from subgraphs.kit.testing import execute
from tests.subgraphs.investments.investments_support import (
    CREATE_ACCOUNT,
    GET_ACCOUNT,
    account_count,
    account_input,
    create_account,
    create_user,
    move,
    update_account,
)

# The shortest way to reach each status from a new (PENDING) account.
PATH_TO = {
    "PENDING": [],
    "ACTIVE": ["ACTIVE"],
    "SUSPENDED": ["SUSPENDED"],
    "CLOSING": ["CLOSING"],
    "CLOSED": ["CLOSING", "CLOSED"],
}
ALLOWED = {
    ("PENDING", "ACTIVE"),
    ("PENDING", "SUSPENDED"),
    ("PENDING", "CLOSING"),
    ("ACTIVE", "SUSPENDED"),
    ("ACTIVE", "CLOSING"),
    ("SUSPENDED", "ACTIVE"),
    ("SUSPENDED", "CLOSING"),
    ("CLOSING", "CLOSED"),
}
STATUSES = list(PATH_TO)
REFUSED = [
    (a, b) for a, b in itertools.product(STATUSES, STATUSES) if a != b and (a, b) not in ALLOWED
]


def test_the_lifecycle_table_is_the_one_in_the_design() -> None:
    table = {
        (current.value, target.value)
        for current, targets in ALLOWED_STATUS_MOVES.items()
        for target in targets
    }
    assert table == ALLOWED
    assert set(ALLOWED_STATUS_MOVES) == set(InvestmentAccountStatus)


async def _account_in(
    client: httpx.AsyncClient, user_id: str, status: str, **overrides: Any
) -> dict[str, Any]:
    account = await create_account(client, user_id, **overrides)
    for step in PATH_TO[status]:
        account = await move(client, account, step)
    assert account["status"] == status
    return account


async def test_every_allowed_move(
    client: httpx.AsyncClient, users_client: httpx.AsyncClient, subtests: pytest.Subtests
) -> None:
    user_id = await create_user(users_client)
    for n, (current, target) in enumerate(sorted(ALLOWED)):
        with subtests.test(msg=f"{current} -> {target}"):
            account = await _account_in(client, user_id, current, clientReference=f"R{n}")

            moved = await move(client, account, target)

            assert moved["status"] == target
            assert moved["version"] == account["version"] + 1


async def test_every_other_move_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, users_client: httpx.AsyncClient, subtests: pytest.Subtests
) -> None:
    user_id = await create_user(users_client)
    accounts = {
        status: await _account_in(client, user_id, status, clientReference=status)
        for status in STATUSES
    }
    for current, target in REFUSED:
        with subtests.test(msg=f"{current} -> {target}"):
            account = accounts[current]

            result = await update_account(
                client, id=account["id"], version=account["version"], status=target, name="New"
            )

            error = result.error()
            assert error["extensions"]["code"] == "RULE_VIOLATION"
            assert error["extensions"]["reason"] == "INVALID_STATUS_TRANSITION"
            assert error["extensions"]["field"] == "status"
            assert current in error["message"] and target in error["message"]
            after = (await execute(client, GET_ACCOUNT, {"id": account["id"]})).ok()
            assert after["investmentAccount"] == account


async def test_opened_at_is_set_once_and_closed_at_on_close(
    client: httpx.AsyncClient, users_client: httpx.AsyncClient
) -> None:
    user_id = await create_user(users_client)
    account = await create_account(client, user_id)

    active = await move(client, account, "ACTIVE")
    assert active["openedAt"] is not None and active["closedAt"] is None
    suspended = await move(client, active, "SUSPENDED")
    reactivated = await move(client, suspended, "ACTIVE")
    assert reactivated["openedAt"] == active["openedAt"]  # first activation only
    closing = await move(client, reactivated, "CLOSING")
    assert closing["closedAt"] is None
    closed = await move(client, closing, "CLOSED")
    assert closed["closedAt"] is not None
    assert closed["closedAt"] >= closed["openedAt"]
    assert closed["version"] == 6

    never_activated = await _account_in(client, user_id, "CLOSED", clientReference="R2")
    assert never_activated["openedAt"] is None and never_activated["closedAt"] is not None


async def test_a_closed_account_cannot_be_changed(
    client: httpx.AsyncClient, users_client: httpx.AsyncClient
) -> None:
    user_id = await create_user(users_client)
    closed = await _account_in(client, user_id, "CLOSED")

    rename = await update_account(client, id=closed["id"], version=closed["version"], name="X")

    assert rename.error()["extensions"]["code"] == "RULE_VIOLATION"
    assert rename.error()["extensions"]["reason"] == "ACCOUNT_CLOSED"
    after = (await execute(client, GET_ACCOUNT, {"id": closed["id"]})).ok()
    assert after["investmentAccount"] == closed


# -- one open ISA per user ------------------------------------------------------------------------


async def test_second_open_isa_is_refused_in_every_open_status(
    client: httpx.AsyncClient, users_client: httpx.AsyncClient
) -> None:
    user_id = await create_user(users_client)
    isa = await create_account(client, user_id, accountType="ISA", clientReference="ISA-1")
    for status in ("PENDING", "ACTIVE", "SUSPENDED", "CLOSING"):
        if status != isa["status"]:
            isa = await move(client, isa, status)
        result = await execute(
            client,
            CREATE_ACCOUNT,
            {"input": account_input(user_id, accountType="ISA", clientReference="ISA-2")},
        )
        error = result.error()
        assert error["extensions"]["code"] == "RULE_VIOLATION", status
        assert error["extensions"]["reason"] == "ISA_ALREADY_OPEN"
        assert error["extensions"]["field"] == "accountType"
    assert await account_count(client) == 1

    await move(client, isa, "CLOSED")
    second = await create_account(client, user_id, accountType="ISA", clientReference="ISA-2")
    assert second["status"] == "PENDING"


async def test_other_types_and_other_users_are_not_limited(
    client: httpx.AsyncClient, users_client: httpx.AsyncClient
) -> None:
    ada = await create_user(users_client, 1)
    grace = await create_user(users_client, 2)
    await create_account(client, ada, accountType="ISA", clientReference="A-ISA")
    await create_account(client, grace, accountType="ISA", clientReference="G-ISA")
    for n, kind in enumerate(["JISA", "LISA", "GIA", "GIA", "SIPP"]):
        await create_account(client, ada, accountType=kind, clientReference=f"A-{n}")
    assert await account_count(client) == 7


async def test_changing_a_pending_account_into_a_second_isa_is_refused(
    client: httpx.AsyncClient, users_client: httpx.AsyncClient
) -> None:
    user_id = await create_user(users_client)
    await create_account(client, user_id, accountType="ISA", clientReference="ISA-1")
    gia = await create_account(client, user_id, accountType="GIA", clientReference="GIA-1")

    result = await update_account(client, id=gia["id"], version=1, accountType="ISA")

    assert result.error()["extensions"]["reason"] == "ISA_ALREADY_OPEN"
    after = (await execute(client, GET_ACCOUNT, {"id": gia["id"]})).ok()
    assert after["investmentAccount"]["accountType"] == "GIA"
