"""The client reference never reaches the database in the clear, and stays bound to its row."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.engine import make_url

from subgraphs.kit.testing import execute, running_app, state_of
from tests.subgraphs.investments.investments_support import (
    CREATE_ACCOUNT,
    account_input,
    create_account,
    create_user,
    make_investments_app,
    update_account,
)
from tests.subgraphs.support import make_encryption_services

SECRET = "Hopper-Family-Trust-7731"
RENAMED = "Hopper-Pension-5521"
NEEDLES = [SECRET, "Hopper", "7731", RENAMED, "5521"]
GET_REFERENCE = "query($id: ID!) { investmentAccount(id: $id) { id clientReference } }"


async def _raw_rows(app: FastAPI) -> list[dict[str, object]]:
    engine = state_of(app).database.engine
    async with engine.connect() as connection:
        result = await connection.execute(text("SELECT * FROM investment_accounts ORDER BY id"))
        return [dict(row._mapping) for row in result]


async def test_database_holds_no_plaintext_reference(
    client: httpx.AsyncClient, users_client: httpx.AsyncClient, investments_app: FastAPI
) -> None:
    user_id = await create_user(users_client)
    account = await create_account(client, user_id, clientReference=SECRET)
    # An update re-seals; neither the old nor the new value may be stored in the clear.
    updated = await update_account(client, id=account["id"], version=1, clientReference=RENAMED)
    assert updated.ok()["updateInvestmentAccount"]["clientReference"] == RENAMED

    rows = await _raw_rows(investments_app)
    assert len(rows) == 1
    dump = " ".join(str(value) for value in rows[0].values()).lower()
    for needle in NEEDLES:
        assert needle.lower() not in dump, needle
    assert str(rows[0]["client_reference"]).startswith("wt1.")  # an envelope
    assert rows[0]["name"] == "Long-term growth"  # non-sensitive columns stay queryable

    url = make_url(state_of(investments_app).database.url)
    if url.get_backend_name() == "sqlite":
        # Every file of the database (main file, write-ahead log, shared memory), pages, free
        # lists and all: not a byte of plaintext anywhere.
        path = Path(str(url.database))
        files = [f for f in path.parent.iterdir() if f.name.startswith(path.name)]
        assert path in files
        for file in files:
            raw = (await asyncio.to_thread(file.read_bytes)).lower()
            for needle in NEEDLES:
                assert needle.lower().encode() not in raw, (file.name, needle)


async def test_ciphertext_copied_to_another_row_does_not_open(
    client: httpx.AsyncClient, users_client: httpx.AsyncClient, investments_app: FastAPI
) -> None:
    user_id = await create_user(users_client)
    source = await create_account(client, user_id, clientReference=SECRET)
    target = await create_account(client, user_id, clientReference="PLAIN-1")
    engine = state_of(investments_app).database.engine
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "UPDATE investment_accounts SET client_reference = (SELECT client_reference "
                "FROM investment_accounts WHERE id = :source) WHERE id = :target"
            ),
            {"source": source["id"], "target": target["id"]},
        )

    result = await execute(client, GET_REFERENCE, {"id": target["id"]})

    assert result.codes == ["DECRYPTION_FAILED"]
    assert result.errors[0]["path"] == ["investmentAccount", "clientReference"]
    assert "hopper" not in str(result.body).lower()
    # The account's other fields still read; the source row still opens for itself.
    intact = await execute(
        client, "query($id: ID!) { investmentAccount(id: $id) { name } }", {"id": target["id"]}
    )
    assert intact.ok()["investmentAccount"] == {"name": "Long-term growth"}
    own = await execute(client, GET_REFERENCE, {"id": source["id"]})
    assert own.ok()["investmentAccount"]["clientReference"] == SECRET


async def test_other_keys_cannot_open_the_rows(
    client: httpx.AsyncClient,
    users_client: httpx.AsyncClient,
    database_url: str,
    tmp_path: Path,
) -> None:
    user_id = await create_user(users_client)
    account = await create_account(client, user_id, clientReference=SECRET)
    stranger = make_investments_app(
        database_url, tmp_path / "other", make_encryption_services("investments"), {}
    )
    async with running_app(stranger) as other:
        result = await execute(other, GET_REFERENCE, {"id": account["id"]})
        # Nor does the blind index of another key find it.
        lookup = await execute(
            other,
            """query($u: ID!, $r: String!) {
                investmentAccountByReference(userId: $u, clientReference: $r) { id } }""",
            {"u": user_id, "r": SECRET},
        )
    assert result.codes == ["DECRYPTION_FAILED"]
    assert "hopper" not in str(result.body).lower()
    assert lookup.ok()["investmentAccountByReference"] is None


async def test_logs_and_errors_never_carry_the_reference(
    client: httpx.AsyncClient,
    users_client: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    user_id = await create_user(users_client)
    with caplog.at_level(logging.DEBUG):
        account = await create_account(client, user_id, clientReference=SECRET)
        duplicate = await execute(
            client,
            CREATE_ACCOUNT,
            {"input": account_input(user_id, clientReference=SECRET, accountType="SIPP")},
        )
        too_long = await update_account(
            client, id=account["id"], version=1, clientReference=SECRET * 3
        )
        lookup = await execute(
            client,
            """query($u: ID!, $r: String!) {
                investmentAccountByReference(userId: $u, clientReference: $r) { id } }""",
            {"u": user_id, "r": SECRET},
        )
    assert duplicate.codes == ["CONFLICT"] and too_long.codes == ["BAD_USER_INPUT"]
    assert lookup.ok()["investmentAccountByReference"] == {"id": account["id"]}
    for body in (duplicate.body, too_long.body, lookup.body):
        assert "hopper" not in str(body).lower()
    assert caplog.records  # the requests were logged, just not the value
    assert "hopper" not in caplog.text.lower()
