"""Racing writers: whatever the interleaving, exactly one wins and the other gets the clear error.

The service checks uniqueness and the ISA rule before writing; two requests running at once can
both pass those checks. The database's constraints then refuse the loser, and the repository turns
that refusal into the same error the service gives. The outcome (one account, one refusal) does
not depend on timing; only which of the two wins does.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from subgraphs.kit.testing import execute
from tests.subgraphs.investments.investments_support import (
    CREATE_ACCOUNT,
    account_count,
    account_input,
    create_user,
)

RACES: list[tuple[str, dict[str, Any], dict[str, Any], str, str]] = [
    (
        "two ISAs",
        {"accountType": "ISA", "clientReference": "ISA-A"},
        {"accountType": "ISA", "clientReference": "ISA-B"},
        "RULE_VIOLATION",
        "ISA_ALREADY_OPEN",
    ),
    (
        "one reference",
        {"accountType": "GIA", "clientReference": "SAME"},
        {"accountType": "SIPP", "clientReference": "SAME"},
        "CONFLICT",
        "DUPLICATE",
    ),
]


@pytest.mark.parametrize(
    ("first", "second", "code", "reason"), [r[1:] for r in RACES], ids=[r[0] for r in RACES]
)
async def test_concurrent_creates_let_exactly_one_through(
    client: httpx.AsyncClient,
    users_client: httpx.AsyncClient,
    first: dict[str, Any],
    second: dict[str, Any],
    code: str,
    reason: str,
) -> None:
    user_id = await create_user(users_client)

    results = await asyncio.gather(
        execute(client, CREATE_ACCOUNT, {"input": account_input(user_id, **first)}),
        execute(client, CREATE_ACCOUNT, {"input": account_input(user_id, **second)}),
    )

    succeeded = [r for r in results if not r.errors]
    refused = [r for r in results if r.errors]
    assert len(succeeded) == 1 and len(refused) == 1, [r.body for r in results]
    error = refused[0].error()
    assert (error["extensions"]["code"], error["extensions"]["reason"]) == (code, reason)
    assert await account_count(client) == 1
