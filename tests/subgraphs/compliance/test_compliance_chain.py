"""The hash chain: intact after every append, and each kind of tampering found at its link."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from crypto import Sealed
from subgraphs.compliance.chain import GENESIS_HASH, link_hash
from subgraphs.compliance.models import ComplianceChainRow, ComplianceLogRevisionRow
from subgraphs.compliance.verification import ChainReport, verify_chain
from subgraphs.kit.testing import execute, state_of
from tests.subgraphs.compliance.compliance_support import (
    CREATE_LOG,
    Owners,
    amend_log,
    create_log,
    guards_lifted,
    log_input,
    stored_counts,
)


async def _verify(
    app: FastAPI, *, keys: bool = True, expect_head: str | None = None
) -> ChainReport:
    state = state_of(app)
    async with state.database.session() as session:
        return await verify_chain(
            session,
            encryption=state.encryption_services if keys else None,
            expect_head=expect_head,
        )


async def _sql(app: FastAPI, statement: str, **params: Any) -> None:
    async with state_of(app).database.engine.begin() as connection:
        await connection.execute(text(statement), params)


async def _revisions(app: FastAPI) -> list[dict[str, Any]]:
    async with state_of(app).database.engine.connect() as connection:
        result = await connection.execute(
            text("SELECT * FROM compliance_log_revisions ORDER BY chain_index")
        )
        return [dict(row._mapping) for row in result]


@pytest.fixture
async def four_links(
    client: httpx.AsyncClient, compliance_app: FastAPI, owners: Owners
) -> AsyncIterator[list[dict[str, Any]]]:
    """Three logs, the first amended once: chain positions 1-4 (log A, B, C, A again).

    The tests below play the forger, so the database's append-only guards are lifted.
    """
    user_id = await owners.new_user()
    account_id = owners.new_account()
    first = await create_log(client, userId=user_id, outcome="CONSIDER", responseId="resp-A")
    second = await create_log(client, accountId=account_id, responseId="resp-B")
    third = await create_log(client, userId=user_id, eventType="DATA_ACCESS", responseId="resp-C")
    amended = await amend_log(client, id=first["id"], version=1, outcome="CLEAR")
    async with guards_lifted(compliance_app):
        yield [first, second, third, amended.ok()["amendComplianceLog"]]


async def test_an_untouched_chain_verifies(
    compliance_app: FastAPI, four_links: list[dict[str, Any]]
) -> None:
    for keys in (True, False):
        report = await _verify(compliance_app, keys=keys)
        assert report.ok, report.broken
        assert report.checked == 4
        assert report.contents_checked is keys
        assert report.head_hash == four_links[-1]["hash"]
    rows = await _revisions(compliance_app)
    assert [row["chain_index"] for row in rows] == [1, 2, 3, 4]
    assert rows[0]["previous_hash"] == GENESIS_HASH
    assert all(rows[n]["previous_hash"] == rows[n - 1]["hash"] for n in range(1, 4))
    assert [row["revision"] for row in rows] == [1, 1, 1, 2]


async def test_an_empty_chain_verifies(compliance_app: FastAPI, client: httpx.AsyncClient) -> None:
    report = await _verify(compliance_app)
    assert report.ok and report.checked == 0 and report.head_hash == GENESIS_HASH


ALTERATIONS: list[tuple[str, Any]] = [
    ("outcome", "FAIL"),
    ("performed_by", "someone-else"),
    ("user_id", "usr_00000000000070008000000000000000"),
    ("provider", None),
    ("content_digest", "v1:" + "0" * 64),
    ("created_at", dt.timedelta(microseconds=1)),
    ("revision", 2),
    ("hash", "f" * 64),
]


async def _alter(app: FastAPI, column: str, value: Any) -> Any:
    """Set one column of the revision at position 2; return its old value."""
    async with state_of(app).database.session() as session:
        row = await session.scalar(
            select(ComplianceLogRevisionRow).where(ComplianceLogRevisionRow.chain_index == 2)
        )
        assert row is not None
        old = getattr(row, column)
        setattr(row, column, old + value if isinstance(value, dt.timedelta) else value)
        await session.commit()
    return old


async def test_an_altered_revision_breaks_its_own_link(
    compliance_app: FastAPI, four_links: list[dict[str, Any]]
) -> None:
    for column, value in ALTERATIONS:
        old = await _alter(compliance_app, column, value)
        for keys in (True, False):
            report = await _verify(compliance_app, keys=keys)
            assert report.broken is not None, column
            assert report.broken.chain_index == 2, column
            assert report.broken.reason == "HASH_MISMATCH", column
            assert report.broken.log_id == four_links[1]["id"]
            assert report.checked == 1  # everything before the break was fine
        await _alter(compliance_app, column, old)
        assert (await _verify(compliance_app)).ok, column  # restored: intact again


async def _delete(app: FastAPI, where: str, **params: Any) -> list[dict[str, Any]]:
    """Delete revisions matching ``where``; return them for :func:`_restore`."""
    async with state_of(app).database.engine.begin() as connection:
        result = await connection.execute(
            text(f"SELECT * FROM compliance_log_revisions WHERE {where}"), params
        )
        rows = [dict(row._mapping) for row in result]
        await connection.execute(
            text(f"DELETE FROM compliance_log_revisions WHERE {where}"), params
        )
    return rows


async def _restore(app: FastAPI, rows: list[dict[str, Any]]) -> None:
    async with state_of(app).database.engine.begin() as connection:
        for row in rows:
            columns = ", ".join(row)
            values = ", ".join(f":{name}" for name in row)
            await connection.execute(
                text(f"INSERT INTO compliance_log_revisions ({columns}) VALUES ({values})"), row
            )


async def test_removed_revisions_are_missing_links(
    compliance_app: FastAPI, four_links: list[dict[str, Any]]
) -> None:
    second_log = four_links[1]["id"]
    cases = [
        # (which revisions go, where the chain must break, why)
        ("chain_index = 3", {}, 3, "MISSING_REVISION"),
        ("chain_index = 1", {}, 1, "MISSING_REVISION"),
        # Log B's only revision: with one global chain a whole log cannot vanish unseen.
        ("log_id = :log_id", {"log_id": second_log}, 2, "MISSING_REVISION"),
        # The end of the chain: only the tip row shows it.
        ("chain_index = 4", {}, 4, "TIP_MISMATCH"),
    ]
    for where, params, position, reason in cases:
        removed = await _delete(compliance_app, where, **params)
        assert removed, where
        for keys in (True, False):
            report = await _verify(compliance_app, keys=keys)
            assert report.broken is not None, where
            assert (report.broken.chain_index, report.broken.reason) == (position, reason), where
            assert report.checked == position - 1, where
        await _restore(compliance_app, removed)
        assert (await _verify(compliance_app)).ok, where


async def test_a_current_view_that_disagrees_with_the_chain_is_found(
    compliance_app: FastAPI, four_links: list[dict[str, Any]]
) -> None:
    first = four_links[0]["id"]
    await _sql(compliance_app, "UPDATE compliance_logs SET version = 1 WHERE id = :id", id=first)
    report = await _verify(compliance_app, keys=False)
    assert report.broken is not None
    assert report.broken.reason == "CURRENT_VIEW_MISMATCH"
    assert (report.broken.log_id, report.broken.chain_index) == (first, 4)

    await _sql(compliance_app, "UPDATE compliance_logs SET version = 2 WHERE id = :id", id=first)
    assert (await _verify(compliance_app, keys=False)).ok
    await _sql(
        compliance_app,
        "UPDATE compliance_logs SET event_type = 'KYC_CHECK_PASSED' WHERE id = :id",
        id=first,
    )
    report = await _verify(compliance_app, keys=False)
    assert report.broken is not None and report.broken.reason == "CURRENT_VIEW_MISMATCH"


async def test_a_recorded_head_catches_a_fully_rewritten_chain(
    compliance_app: FastAPI, four_links: list[dict[str, Any]]
) -> None:
    recorded = f"2:{(await _revisions(compliance_app))[1]['hash']}"
    assert (await _verify(compliance_app, expect_head=recorded)).ok

    # Someone with write access rewrites revision 1 and recomputes every later hash and the tip:
    # the chain is self-consistent again, and only an anchor kept elsewhere can tell.
    async with state_of(compliance_app).database.session() as session:
        rows = list(
            await session.scalars(
                select(ComplianceLogRevisionRow).order_by(ComplianceLogRevisionRow.chain_index)
            )
        )
        rows[0].performed_by = "nobody"
        previous = GENESIS_HASH
        for row in rows:
            row.previous_hash = previous
            row.hash = previous = link_hash(row)
        tip = await session.get(ComplianceChainRow, 1)
        assert tip is not None
        tip.head_hash = previous
        await session.commit()
    assert (await _verify(compliance_app)).ok
    report = await _verify(compliance_app, expect_head=recorded)
    assert report.broken is not None
    assert (report.broken.chain_index, report.broken.reason) == (2, "HEAD_MISMATCH")
    unknown = await _verify(compliance_app, expect_head="ab" * 32)
    assert unknown.broken is not None and unknown.broken.reason == "HEAD_MISMATCH"


async def test_concurrent_appends_never_fork_the_chain(
    client: httpx.AsyncClient, compliance_app: FastAPI, owners: Owners
) -> None:
    user_id = await owners.new_user()
    results = await asyncio.gather(
        *(
            execute(client, CREATE_LOG, {"input": log_input(userId=user_id, responseId=f"r-{n}")})
            for n in range(8)
        )
    )
    logs = [result.ok()["createComplianceLog"] for result in results]
    amendments = await asyncio.gather(
        *(
            amend_log(client, id=logs[0]["id"], version=1, outcome=outcome)
            for outcome in ("FAIL", "CONSIDER", "PENDING", "FAIL")
        )
    )
    codes = sorted(str(result.codes[0]) if result.errors else "OK" for result in amendments)
    assert codes == ["CONFLICT", "CONFLICT", "CONFLICT", "OK"]

    report = await _verify(compliance_app)
    assert report.ok, report.broken
    assert report.checked == 9
    rows = await _revisions(compliance_app)
    assert [row["chain_index"] for row in rows] == list(range(1, 10))
    assert len({row["previous_hash"] for row in rows}) == 9  # no two links share a parent


async def _forge(app: FastAPI, position: int, column: str, value: Any, *, rehash: bool) -> Any:
    """Set a column of the revision at ``position`` (and recompute its hash); return the old."""
    async with state_of(app).database.session() as session:
        row = await session.scalar(
            select(ComplianceLogRevisionRow).where(ComplianceLogRevisionRow.chain_index == position)
        )
        assert row is not None
        old = (getattr(row, column), row.hash)
        setattr(row, column, value)
        if rehash:
            row.hash = link_hash(row)
        await session.commit()
    return old


async def _unforge(app: FastAPI, position: int, column: str, old: Any) -> None:
    async with state_of(app).database.session() as session:
        row = await session.scalar(
            select(ComplianceLogRevisionRow).where(ComplianceLogRevisionRow.chain_index == position)
        )
        assert row is not None
        setattr(row, column, old[0])
        row.hash = old[1]
        await session.commit()


async def test_a_rehashed_forgery_breaks_a_later_check(
    compliance_app: FastAPI, four_links: list[dict[str, Any]]
) -> None:
    # A careful forger recomputes the altered revision's own hash.
    cases = [
        # Its successor still names the old hash.
        (2, "outcome", "FAIL", 3, "PREVIOUS_HASH_MISMATCH"),
        # The last link has no successor, but log A's revision 2 renumbered 3 leaves a gap.
        (4, "revision", 3, 4, "REVISION_NUMBER_GAP"),
    ]
    for position, column, value, broken_at, reason in cases:
        old = await _forge(compliance_app, position, column, value, rehash=True)
        report = await _verify(compliance_app, keys=False)
        assert report.broken is not None, column
        assert (report.broken.chain_index, report.broken.reason) == (broken_at, reason)
        await _unforge(compliance_app, position, column, old)
        assert (await _verify(compliance_app)).ok, column


async def test_sealed_contents_are_checked_with_the_keys(
    compliance_app: FastAPI, four_links: list[dict[str, Any]]
) -> None:
    rows = await _revisions(compliance_app)
    services = state_of(compliance_app).encryption_services
    resealed = services.session().seal(
        {"matches": 0}, table="compliance_log_revisions", column="log_details", row_id=rows[1]["id"]
    )
    cases = [
        # Revision 1's sealed response id copied into position 3: a valid envelope, wrong row.
        (3, "response_id", Sealed(rows[0]["response_id"]), "CONTENT_UNREADABLE"),
        # Someone holding the data key (not the blind-index key) seals new details into
        # position 2: the envelope opens, but it is not the content the chain covers.
        (2, "log_details", resealed, "CONTENT_DIGEST_MISMATCH"),
    ]
    for position, column, value, reason in cases:
        old = await _forge(compliance_app, position, column, value, rehash=False)
        report = await _verify(compliance_app)
        assert report.broken is not None, reason
        assert (report.broken.chain_index, report.broken.reason) == (position, reason)
        # Without keys the links hold: sealed values are covered through their keyed digest.
        assert (await _verify(compliance_app, keys=False)).ok
        await _unforge(compliance_app, position, column, old)
        assert (await _verify(compliance_app)).ok, reason


async def test_the_database_refuses_edits_and_deletions(
    client: httpx.AsyncClient, compliance_app: FastAPI, owners: Owners
) -> None:
    await create_log(client, userId=await owners.new_user())
    for statement in (
        "UPDATE compliance_log_revisions SET outcome = 'FAIL'",
        "UPDATE compliance_log_revisions SET hash = previous_hash",
        "UPDATE compliance_log_revisions SET revision = revision + 1, response_id = response_id",
        "DELETE FROM compliance_log_revisions",
        "DELETE FROM compliance_logs",
        "DELETE FROM compliance_chain",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            await _sql(compliance_app, statement)
    # Re-encryption in place (the sealed columns only) stays possible.
    await _sql(
        compliance_app,
        "UPDATE compliance_log_revisions SET response_id = response_id, log_details = log_details",
    )
    assert await stored_counts(compliance_app) == (1, 1, 1)
    assert (await _verify(compliance_app)).ok
