"""createComplianceLog's idempotency key: a retry appends nothing, a reused key is refused.

Each rule is checked with its error code, that a refusal wrote nothing (logs, revisions and the
chain's tip), and that the chain still verifies with old (keyless) and new (keyed) logs in it.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from subgraphs.compliance.verification import ChainReport, verify_chain
from subgraphs.kit.testing import GraphQLResult, execute, state_of
from tests.subgraphs.compliance.compliance_support import (
    CREATE_LOG,
    Owners,
    amend_log,
    log_input,
    stored_counts,
)

KEY = "import-9f2c7d1e-0b4a"


async def _create(client: httpx.AsyncClient, **fields: Any) -> GraphQLResult:
    return await execute(client, CREATE_LOG, {"input": log_input(**fields)})


async def _verify(app: FastAPI) -> ChainReport:
    state = state_of(app)
    async with state.database.session() as session:
        return await verify_chain(session, encryption=state.encryption_services)


async def _stored_keys(app: FastAPI) -> list[tuple[str | None, str | None]]:
    async with state_of(app).database.engine.connect() as connection:
        result = await connection.execute(
            text("SELECT idempotency_key, request_fingerprint FROM compliance_logs ORDER BY id")
        )
        return [(row[0], row[1]) for row in result]


async def test_a_retry_returns_the_first_log_and_appends_nothing(
    client: httpx.AsyncClient, compliance_app: FastAPI, owners: Owners
) -> None:
    user_id = await owners.new_user()
    first = (await _create(client, userId=user_id, idempotencyKey=KEY)).ok()["createComplianceLog"]
    asked = len(owners.router.requests)
    details = dict(reversed(list(log_input()["logDetails"].items())))  # another key order
    again = await _create(client, userId=user_id, idempotencyKey=KEY, logDetails=details)

    assert again.ok()["createComplianceLog"] == first
    assert len(owners.router.requests) == asked  # a replay does not ask the owners
    assert await stored_counts(compliance_app) == (1, 1, 1)
    [(key, fingerprint)] = await _stored_keys(compliance_app)
    assert key == KEY
    # A keyed fingerprint, not the request: no sealed value shows in it.
    assert fingerprint is not None and "resp-7f3a9c21" not in fingerprint
    assert (await _verify(compliance_app)).ok


async def test_a_replay_needs_no_owner_and_shows_the_log_as_it_is_now(
    client: httpx.AsyncClient, compliance_app: FastAPI, owners: Owners
) -> None:
    user_id = await owners.new_user()
    first = (await _create(client, userId=user_id, idempotencyKey=KEY)).ok()["createComplianceLog"]
    amended = (await amend_log(client, id=first["id"], version=1, outcome="CONSIDER")).ok()
    owners.router.down.add("users")

    again = (await _create(client, userId=user_id, idempotencyKey=KEY)).ok()["createComplianceLog"]

    assert again == amended["amendComplianceLog"]
    assert (again["id"], again["version"], again["outcome"]) == (first["id"], 2, "CONSIDER")
    assert await stored_counts(compliance_app) == (1, 2, 2)
    assert (await _verify(compliance_app)).ok


@pytest.mark.parametrize(
    "change",
    [
        {"responseId": "resp-other-0001"},
        {"logDetails": {"matches": 1}},
        {"outcome": "CONSIDER"},
        {"provider": None},
        {"performedBy": "someone-else"},
        {"eventType": "SANCTIONS_SCREENING"},
        {"subject": "account"},
    ],
    ids=lambda change: next(iter(change)),
)
async def test_the_same_key_with_another_request_is_a_conflict(
    change: dict[str, Any],
    client: httpx.AsyncClient,
    compliance_app: FastAPI,
    owners: Owners,
) -> None:
    user_id = await owners.new_user()
    first = (await _create(client, userId=user_id, idempotencyKey=KEY)).ok()["createComplianceLog"]
    if "subject" in change:  # (the parameter is shared by both back-ends: never mutate it)
        change = {"accountId": owners.new_account(user_id)}
    before = await stored_counts(compliance_app)

    refused = await _create(client, userId=user_id, idempotencyKey=KEY, **change)

    error = refused.error()
    assert error["extensions"]["code"] == "CONFLICT"
    assert error["extensions"]["reason"] == "IDEMPOTENCY_KEY_REUSED"
    assert error["extensions"]["field"] == "idempotencyKey"
    assert refused.data is None
    # No sensitive value of either request in the refusal.
    for secret in ("resp-7f3a9c21", "resp-other-0001", "matches"):
        assert secret not in str(refused.errors)
    assert await stored_counts(compliance_app) == before == (1, 1, 1)
    assert (await _verify(compliance_app)).ok
    assert (await _create(client, userId=user_id, idempotencyKey=KEY)).ok()["createComplianceLog"][
        "id"
    ] == first["id"]


@pytest.mark.parametrize(
    "key",
    ["", "has space", "tab\there", "x" * 256, "clé", "line\n", "\x00nul"],
    ids=["empty", "space", "tab", "too-long", "non-ascii", "trailing-newline", "control"],
)
async def test_a_malformed_key_is_refused_and_nothing_is_written(
    key: str, client: httpx.AsyncClient, compliance_app: FastAPI, owners: Owners
) -> None:
    user_id = await owners.new_user()
    asked = len(owners.router.requests)

    refused = await _create(client, userId=user_id, idempotencyKey=key)

    error = refused.error()
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == "idempotencyKey"
    assert error["extensions"]["fields"] == [
        {
            "field": "idempotencyKey",
            "message": "must be 1 to 255 printable ASCII characters without spaces",
        }
    ]
    assert len(owners.router.requests) == asked  # refused before any owner is asked
    assert await stored_counts(compliance_app) == (0, 0, 0)


async def test_the_longest_key_and_every_printable_character_are_accepted(
    client: httpx.AsyncClient, owners: Owners
) -> None:
    user_id = await owners.new_user()
    for key in ("k" * 255, "".join(chr(code) for code in range(0x21, 0x7F))):
        (await _create(client, userId=user_id, idempotencyKey=key)).ok()


async def test_without_a_key_every_create_appends(
    client: httpx.AsyncClient, compliance_app: FastAPI, owners: Owners
) -> None:
    user_id = await owners.new_user()
    first = (await _create(client, userId=user_id)).ok()["createComplianceLog"]
    second = (await _create(client, userId=user_id, idempotencyKey=None)).ok()
    assert second["createComplianceLog"]["id"] != first["id"]
    assert await stored_counts(compliance_app) == (2, 2, 2)
    assert await _stored_keys(compliance_app) == [(None, None), (None, None)]


async def test_a_refused_request_stores_nothing_and_its_key_stays_free(
    client: httpx.AsyncClient, compliance_app: FastAPI, owners: Owners
) -> None:
    user_id = await owners.new_user()
    unknown = await _create(client, accountId="acc_" + "0" * 26, idempotencyKey=KEY)
    assert unknown.error()["extensions"]["code"] == "BAD_USER_INPUT"
    owners.router.down.add("users")
    down = await _create(client, userId=user_id, idempotencyKey=KEY)
    assert down.error()["extensions"]["code"] == "DEPENDENCY_UNAVAILABLE"
    owners.router.down.clear()
    invalid = await _create(client, userId=user_id, idempotencyKey=KEY, performedBy="")
    assert invalid.error()["extensions"]["field"] == "performedBy"
    assert await stored_counts(compliance_app) == (0, 0, 0)

    (await _create(client, userId=user_id, idempotencyKey=KEY)).ok()
    assert await stored_counts(compliance_app) == (1, 1, 1)


async def test_concurrent_creates_with_one_key_make_one_log(
    client: httpx.AsyncClient, compliance_app: FastAPI, owners: Owners
) -> None:
    user_id = await owners.new_user()
    results = await asyncio.gather(
        *(_create(client, userId=user_id, idempotencyKey=KEY) for _ in range(6))
    )
    ids = {result.ok()["createComplianceLog"]["id"] for result in results}
    assert len(ids) == 1
    assert await stored_counts(compliance_app) == (1, 1, 1)

    # The same key with different requests at once: one wins, every other is a conflict.
    racing = await asyncio.gather(
        *(
            _create(client, userId=user_id, idempotencyKey="race", responseId=f"r-{n}")
            for n in range(6)
        )
    )
    outcomes = sorted(
        result.error()["extensions"]["reason"] if result.errors else "OK" for result in racing
    )
    assert outcomes == ["IDEMPOTENCY_KEY_REUSED"] * 5 + ["OK"]
    assert await stored_counts(compliance_app) == (2, 2, 2)
    report = await _verify(compliance_app)
    assert report.ok and report.checked == 2


async def test_the_chain_verifies_with_keyless_and_keyed_logs(
    client: httpx.AsyncClient, compliance_app: FastAPI, owners: Owners
) -> None:
    user_id = await owners.new_user()
    old = (await _create(client, userId=user_id)).ok()["createComplianceLog"]
    new = (await _create(client, userId=user_id, idempotencyKey=KEY)).ok()["createComplianceLog"]
    (await amend_log(client, id=new["id"], version=1, outcome="FAIL")).ok()
    (await amend_log(client, id=old["id"], version=1, outcome="FAIL")).ok()
    (await _create(client, userId=user_id, idempotencyKey=KEY)).ok()

    report = await _verify(compliance_app)
    assert report.ok, report.broken
    assert report.checked == 4
    state = state_of(compliance_app)
    async with state.database.session() as session:
        assert (await verify_chain(session, encryption=None)).ok  # --structure-only


async def test_the_database_keeps_a_key_where_it_was_written(
    client: httpx.AsyncClient, compliance_app: FastAPI, owners: Owners
) -> None:
    user_id = await owners.new_user()
    keyed = (await _create(client, userId=user_id, idempotencyKey=KEY)).ok()["createComplianceLog"]
    (await _create(client, userId=user_id)).ok()
    engine = state_of(compliance_app).database.engine
    for statement in (
        "UPDATE compliance_logs SET idempotency_key = 'moved' WHERE idempotency_key IS NOT NULL",
        "UPDATE compliance_logs SET idempotency_key = NULL",
        "UPDATE compliance_logs SET request_fingerprint = 'x' WHERE idempotency_key IS NULL",
        "UPDATE compliance_logs SET idempotency_key = 'late' WHERE idempotency_key IS NULL",
        # The revisions' own guard (migration 0002) still refuses edits.
        "UPDATE compliance_log_revisions SET outcome = 'FAIL'",
        "DELETE FROM compliance_logs",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            async with engine.begin() as connection:
                await connection.execute(text(statement))
    # The unique index refuses a second row with the key, even one written behind the service.
    async with engine.connect() as connection:
        log = (
            await connection.execute(text("SELECT * FROM compliance_logs WHERE id = :id"), keyed)
        ).mappings()
        row = dict(log.one())
    row.update(id="cpl_" + "0" * 26)
    with pytest.raises(DBAPIError):
        async with engine.begin() as connection:
            columns = ", ".join(row)
            values = ", ".join(f":{name}" for name in row)
            await connection.execute(
                text(f"INSERT INTO compliance_logs ({columns}) VALUES ({values})"), row
            )
    # An amendment (which bumps the log's version) leaves the key alone and is allowed.
    (await amend_log(client, id=keyed["id"], version=1, outcome="FAIL")).ok()
    assert await stored_counts(compliance_app) == (2, 3, 3)
    assert (await _verify(compliance_app)).ok
