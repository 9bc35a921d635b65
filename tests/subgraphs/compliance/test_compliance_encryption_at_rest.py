"""Sealed log fields never reach the database (or the hash chain) in the clear, and stay bound
to their revision."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.engine import make_url

from subgraphs.kit.testing import execute, state_of
from tests.subgraphs.compliance.compliance_support import Owners, amend_log, create_log

DETAILS = {"applicant": "Grace Brewster Hopper", "document": "passport-PX998877", "score": 87}
RESPONSE_ID = "onfido-check-5b1e9d4c"
AMENDED_RESPONSE_ID = "onfido-check-77aa31f0"
NEEDLES = ["grace", "brewster", "hopper", "px998877", "onfido-check", "5b1e9d4c", "77aa31f0"]


def _database_files(path: Path) -> dict[str, bytes]:
    """The bytes of the SQLite file and, in WAL mode, its log and shared-memory files."""
    found = [path.with_name(path.name + suffix) for suffix in ("", "-wal", "-shm")]
    return {file.name: file.read_bytes() for file in found if file.exists()}


async def _dump(app: FastAPI) -> str:
    engine = state_of(app).database.engine
    texts: list[str] = []
    async with engine.connect() as connection:
        for table in ("compliance_logs", "compliance_log_revisions", "compliance_chain"):
            result = await connection.execute(text(f"SELECT * FROM {table}"))
            texts += [str(value) for row in result for value in row]
    return " ".join(texts).lower()


async def test_database_holds_no_plaintext_of_sealed_fields(
    client: httpx.AsyncClient, compliance_app: FastAPI, owners: Owners
) -> None:
    log = await create_log(
        client, userId=await owners.new_user(), logDetails=DETAILS, responseId=RESPONSE_ID
    )
    amended = await amend_log(client, id=log["id"], version=1, responseId=AMENDED_RESPONSE_ID)
    assert amended.ok()["amendComplianceLog"]["responseId"] == AMENDED_RESPONSE_ID
    assert amended.ok()["amendComplianceLog"]["logDetails"] == DETAILS

    dump = await _dump(compliance_app)
    for needle in NEEDLES:
        assert needle not in dump, needle
    assert "aml_screening" in dump  # the non-sensitive columns stay queryable

    url = make_url(state_of(compliance_app).database.url)
    if url.get_backend_name() == "sqlite":
        # The whole file and its write-ahead log (recent pages live there in WAL mode).
        files = await asyncio.to_thread(_database_files, Path(str(url.database)))
        assert files, "the SQLite database file is missing"
        for name, raw in files.items():
            for needle in NEEDLES:
                assert needle.encode() not in raw.lower(), (name, needle)


async def test_ciphertext_copied_to_another_revision_does_not_open(
    client: httpx.AsyncClient, compliance_app: FastAPI, owners: Owners
) -> None:
    user_id = await owners.new_user()
    secret = await create_log(client, userId=user_id, logDetails=DETAILS, responseId=RESPONSE_ID)
    other = await create_log(client, userId=user_id)
    async with state_of(compliance_app).database.engine.begin() as connection:
        await connection.execute(
            text(
                "UPDATE compliance_log_revisions SET log_details = (SELECT log_details FROM "
                "compliance_log_revisions WHERE log_id = :source) WHERE log_id = :target"
            ),
            {"source": secret["id"], "target": other["id"]},
        )

    result = await execute(
        client, "query($id: ID!) { complianceLog(id: $id) { logDetails } }", {"id": other["id"]}
    )
    assert result.codes == ["DECRYPTION_FAILED"]
    assert result.errors[0]["path"] == ["complianceLog", "logDetails"]
    assert "hopper" not in str(result.body).lower()
    # The untouched field of that revision still opens.
    intact = await execute(
        client, "query($id: ID!) { complianceLog(id: $id) { responseId } }", {"id": other["id"]}
    )
    assert intact.ok()["complianceLog"]["responseId"] == "resp-7f3a9c21"


async def test_an_earlier_revisions_ciphertext_does_not_open_in_a_later_one(
    client: httpx.AsyncClient, compliance_app: FastAPI, owners: Owners
) -> None:
    log = await create_log(client, userId=await owners.new_user(), responseId=RESPONSE_ID)
    await amend_log(client, id=log["id"], version=1, responseId=AMENDED_RESPONSE_ID)
    # Rolling the current revision's value back to the old ciphertext is refused.
    async with state_of(compliance_app).database.engine.begin() as connection:
        await connection.execute(
            text(
                "UPDATE compliance_log_revisions SET response_id = (SELECT response_id FROM "
                "compliance_log_revisions WHERE log_id = :id AND revision = 1) "
                "WHERE log_id = :id AND revision = 2"
            ),
            {"id": log["id"]},
        )
    # Only the current revision (revision 1, listed under revisions, still opens: its own value).
    result = await execute(
        client, "query($id: ID!) { complianceLog(id: $id) { id responseId } }", {"id": log["id"]}
    )
    assert result.codes == ["DECRYPTION_FAILED"]
    assert result.data == {"complianceLog": {"id": log["id"], "responseId": None}}
    assert "5b1e9d4c" not in str(result.body)
