"""Client references stay findable and unique while the blind-index key rotates."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from crypto import BlindIndexKeyring, EncryptionServices, Keyring
from subgraphs.kit.testing import execute, running_app, state_of
from tests.subgraphs.investments.investments_support import (
    CREATE_ACCOUNT,
    account_input,
    create_account,
    create_user,
    make_investments_app,
    update_account,
)

BY_REFERENCE = """query($u: ID!, $r: String!) {
    investmentAccountByReference(userId: $u, clientReference: $r) { id clientReference } }"""


async def test_rotated_blind_index_still_finds_and_guards_old_references(
    database_url: str,
    tmp_path: Path,
    users_app: FastAPI,
    users_client: httpx.AsyncClient,
) -> None:
    keyring, blind = Keyring.generate(), BlindIndexKeyring.generate()
    rotated = blind.with_new_active_version()
    owners = {"users": users_app}
    before = make_investments_app(
        database_url, tmp_path / "a", EncryptionServices("investments", keyring, blind), owners
    )
    after = make_investments_app(
        database_url, tmp_path / "b", EncryptionServices("investments", keyring, rotated), owners
    )
    user_id = await create_user(users_client)

    async with running_app(before) as client:
        old = await create_account(client, user_id, clientReference="REF-1")

    async with running_app(after) as client:
        found = await execute(client, BY_REFERENCE, {"u": user_id, "r": "REF-1"})
        assert found.ok()["investmentAccountByReference"]["id"] == old["id"]

        duplicate = await execute(
            client, CREATE_ACCOUNT, {"input": account_input(user_id, clientReference="REF-1")}
        )
        assert duplicate.error()["extensions"]["reason"] == "DUPLICATE"

        moved = await update_account(client, id=old["id"], version=1, clientReference="REF-2")
        assert moved.ok()["updateInvestmentAccount"]["clientReference"] == "REF-2"
        renamed = await execute(client, BY_REFERENCE, {"u": user_id, "r": "REF-2"})
        assert renamed.ok()["investmentAccountByReference"]["id"] == old["id"]

        engine = state_of(after).database.engine
        async with engine.connect() as connection:
            digest = await connection.scalar(
                text("SELECT client_reference_blind_index FROM investment_accounts")
            )
    assert str(digest).startswith(f"{rotated.active_version}:")
    assert rotated.active_version != blind.active_version
