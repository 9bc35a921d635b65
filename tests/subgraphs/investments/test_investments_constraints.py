"""The database itself refuses what the service checks first (the backstop against races).

Two requests racing past the service's checks would both try to insert; these tests skip the
checks and flush conflicting rows straight through the repository, as the loser of such a race
would, and expect the same clear errors as the service gives.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from subgraphs.investments.models import InvestmentAccountRow
from subgraphs.investments.repository import InvestmentAccountRepository
from subgraphs.kit import RuleViolation, SubgraphError, new_id, seal_field, utcnow
from subgraphs.kit.testing import state_of
from tests.subgraphs.investments.investments_support import create_account, create_user, move


async def _flush_raw_account(app: FastAPI, **columns: Any) -> None:
    """Insert one account through the repository, bypassing the service's checks."""
    state = state_of(app)
    encryption = state.encryption_services.session()
    now = utcnow()
    reference = columns.pop("reference")
    row = InvestmentAccountRow(
        id=new_id("acc"),
        created_at=now,
        updated_at=now,
        name="Raced",
        currency="GBP",
        status="PENDING",
        client_reference_blind_index=encryption.blind_index_reference(reference),
        **columns,
    )
    seal_field(encryption, row, "client_reference", reference)
    async with state.database.session() as session:
        repository = InvestmentAccountRepository(session)
        repository.add(row)
        try:
            await repository.flush()
        finally:
            await session.rollback()


async def test_a_second_open_isa_is_refused_by_the_database(
    client: httpx.AsyncClient, users_client: httpx.AsyncClient, investments_app: FastAPI
) -> None:
    user_id = await create_user(users_client)
    isa = await create_account(client, user_id, accountType="ISA", clientReference="ISA-1")

    with pytest.raises(RuleViolation) as refused:
        await _flush_raw_account(
            investments_app, user_id=user_id, account_type="ISA", reference="ISA-2"
        )
    assert refused.value.extensions["reason"] == "ISA_ALREADY_OPEN"

    # Once the first ISA is closed, the index no longer holds it (nothing raised).
    await move(client, await move(client, isa, "CLOSING"), "CLOSED")
    await _flush_raw_account(
        investments_app, user_id=user_id, account_type="ISA", reference="ISA-2"
    )


async def test_a_duplicate_reference_is_refused_by_the_database(
    client: httpx.AsyncClient, users_client: httpx.AsyncClient, investments_app: FastAPI
) -> None:
    user_id = await create_user(users_client)
    await create_account(client, user_id, clientReference="REF-1")

    with pytest.raises(SubgraphError) as refused:
        await _flush_raw_account(
            investments_app, user_id=user_id, account_type="GIA", reference="REF-1"
        )
    assert refused.value.extensions == {
        "code": "CONFLICT",
        "reason": "DUPLICATE",
        "field": "clientReference",
    }
    # The same reference for another user is fine.
    await _flush_raw_account(
        investments_app, user_id="usr_other", account_type="GIA", reference="REF-1"
    )
