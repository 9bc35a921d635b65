"""Sensitive user fields never reach the database in the clear, and stay bound to their row."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.engine import make_url

from subgraphs.kit.testing import execute, running_app, state_of
from subgraphs.users.app import create_app
from subgraphs.users.settings import UsersSettings
from tests.subgraphs.support import make_encryption_services
from tests.subgraphs.users.users_support import GET_USER, create_user, update_user

SECRETS = {
    "emailAddress": "grace.hopper@navy.example",
    "telephoneNumber": "+12025550147",
    "dateOfBirth": "1936-12-09",
    "annualIncome": {"amount": "987654.32", "currency": "USD"},
    "sourcesOfWealth": ["INHERITANCE", "PROPERTY"],
}
# How each plaintext could appear if it leaked: as sent, normalised, and in JSON form.
NEEDLES = [
    "grace.hopper",
    "navy.example",
    "12025550147",
    "1936-12-09",
    "987654.32",
    "987654",
    "INHERITANCE",
    "PROPERTY",
]


async def _raw_rows(app: FastAPI) -> list[dict[str, object]]:
    engine = state_of(app).database.engine
    async with engine.connect() as connection:
        result = await connection.execute(text("SELECT * FROM users"))
        return [dict(row._mapping) for row in result]


async def test_database_holds_no_plaintext_of_sensitive_fields(
    client: httpx.AsyncClient, users_app: FastAPI
) -> None:
    user = await create_user(client, **SECRETS)
    # An update re-seals; the old and new values must both stay out of the database.
    updated = await update_user(client, id=user["id"], version=1, telephoneNumber="+1 202 555 0199")
    assert updated.ok()["updateUser"]["telephoneNumber"] == "+12025550199"

    rows = await _raw_rows(users_app)
    assert len(rows) == 1
    dump = " ".join(str(value) for value in rows[0].values())
    for needle in [*NEEDLES, "12025550199"]:
        assert needle.lower() not in dump.lower(), needle
    assert rows[0]["first_name"] == "Ada"  # non-sensitive columns stay queryable

    url = make_url(state_of(users_app).database.url)
    if url.get_backend_name() == "sqlite":
        # Every file of the database (main file, write-ahead log, shared memory), pages, free
        # lists and all: not a byte of plaintext anywhere.
        path = Path(str(url.database))
        files = [f for f in path.parent.iterdir() if f.name.startswith(path.name)]
        assert path in files
        for file in files:
            raw = (await asyncio.to_thread(file.read_bytes)).lower()
            for needle in [*NEEDLES, "12025550199"]:
                assert needle.lower().encode() not in raw, (file.name, needle)


async def test_ciphertext_copied_to_another_row_does_not_open(
    client: httpx.AsyncClient, users_app: FastAPI
) -> None:
    grace = await create_user(client, **SECRETS)
    ada = await create_user(client)
    engine = state_of(users_app).database.engine
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "UPDATE users SET email_address = "
                "(SELECT email_address FROM users WHERE id = :source) WHERE id = :target"
            ),
            {"source": grace["id"], "target": ada["id"]},
        )

    result = await execute(client, GET_USER, {"id": ada["id"]})

    assert result.codes == ["DECRYPTION_FAILED"]
    assert result.errors[0]["path"] == ["user", "emailAddress"]
    assert "grace" not in str(result.body).lower()
    # Fields that were not tampered with still open, for the row that owns them.
    intact = await execute(
        client, "query($id: ID!) { user(id: $id) { id dateOfBirth } }", {"id": ada["id"]}
    )
    assert intact.ok()["user"] == {"id": ada["id"], "dateOfBirth": "1985-12-10"}


async def test_ciphertext_moved_to_another_column_does_not_open(
    client: httpx.AsyncClient, users_app: FastAPI
) -> None:
    grace = await create_user(client, **SECRETS)
    engine = state_of(users_app).database.engine
    async with engine.begin() as connection:
        await connection.execute(
            text("UPDATE users SET telephone_number = email_address WHERE id = :id"),
            {"id": grace["id"]},
        )

    result = await execute(
        client, "query($id: ID!) { user(id: $id) { telephoneNumber } }", {"id": grace["id"]}
    )

    assert result.codes == ["DECRYPTION_FAILED"]
    assert "grace" not in str(result.body).lower()


async def test_other_keys_cannot_open_the_rows(
    client: httpx.AsyncClient, users_app: FastAPI, database_url: str, tmp_path: Path
) -> None:
    grace = await create_user(client, **SECRETS)
    stranger = create_app(
        UsersSettings(database_url=database_url, data_dir=tmp_path / "other"),
        encryption_services=make_encryption_services("users"),
    )
    async with running_app(stranger) as other:
        result = await execute(
            other, "query($id: ID!) { user(id: $id) { emailAddress } }", {"id": grace["id"]}
        )
    assert result.codes == ["DECRYPTION_FAILED"]
    assert "grace" not in str(result.body).lower()
