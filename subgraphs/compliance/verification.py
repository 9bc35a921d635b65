"""Verifying the compliance hash chain and reporting its first broken link.

:func:`verify_chain` walks every revision in chain order and checks, stopping at the first
failure:

1. positions are 1, 2, 3, ... without a gap (a gap is a removed revision);
2. each revision names its predecessor's hash (64 zeros for the first);
3. each revision's stored hash is the SHA-256 of its content (:func:`.chain.link_hash`);
4. a log's revisions are numbered 1, 2, 3, ... in chain order;
5. with keys (``encryption`` given): its sealed details and response id open under their
   binding, and their keyed digest is the one the chain covers;

then that the chain's tip row names the last revision (revisions removed from the end), and that
every log's current view (``compliance_logs``) agrees with its revisions. Without keys, checks
1-4 and the tip still hold anyone to the chain; sealed values are then only known to be
covered by their digest, not to open.

The chain proves order and integrity *within* the database. Someone able to rewrite the whole
database could recompute every hash: keep the reported head hash somewhere else (a ticket, a
signed report) and compare it later with ``--expect-head``. See
docs/decisions/0008-compliance-hash-chain.md.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crypto import CryptoError, EncryptionServices, EncryptionSession
from subgraphs.kit import Database

from .chain import GENESIS_HASH, content_digest_input, link_hash
from .models import CHAIN_ROW_ID, ComplianceChainRow, ComplianceLogRevisionRow, ComplianceLogRow

__all__ = ["BATCH_SIZE", "BrokenLink", "ChainReport", "verify_chain", "verify_database"]

BATCH_SIZE = 500


@dataclass(frozen=True, slots=True)
class BrokenLink:
    """Where the chain breaks: the position, the revision found there (if any), and why.

    ``reason`` is a stable word: ``MISSING_REVISION``, ``PREVIOUS_HASH_MISMATCH``,
    ``HASH_MISMATCH``, ``REVISION_NUMBER_GAP``, ``CONTENT_UNREADABLE``,
    ``CONTENT_DIGEST_MISMATCH``, ``TIP_MISMATCH``, ``CURRENT_VIEW_MISMATCH`` or
    ``HEAD_MISMATCH``.
    """

    chain_index: int
    reason: str
    detail: str
    log_id: str | None = None
    revision: int | None = None
    revision_id: str | None = None

    def describe(self) -> str:
        where = f"chain position {self.chain_index}"
        if self.log_id is not None:
            where += f" (log {self.log_id} revision {self.revision})"
        return f"{where}: {self.reason}: {self.detail}"


@dataclass(frozen=True, slots=True)
class ChainReport:
    """The outcome of one verification."""

    checked: int
    head_hash: str
    contents_checked: bool
    broken: BrokenLink | None = None

    @property
    def ok(self) -> bool:
        return self.broken is None

    def as_dict(self) -> dict[str, Any]:
        broken = self.broken
        return {
            "ok": self.ok,
            "checked": self.checked,
            "headHash": self.head_hash,
            "contentsChecked": self.contents_checked,
            "broken": None
            if broken is None
            else {
                "chainIndex": broken.chain_index,
                "reason": broken.reason,
                "detail": broken.detail,
                "logId": broken.log_id,
                "revision": broken.revision,
                "revisionId": broken.revision_id,
            },
        }


def _broken(row: ComplianceLogRevisionRow, reason: str, detail: str) -> BrokenLink:
    return BrokenLink(
        chain_index=row.chain_index,
        reason=reason,
        detail=detail,
        log_id=row.log_id,
        revision=row.revision,
        revision_id=row.id,
    )


def _check_content(
    row: ComplianceLogRevisionRow, encryption: EncryptionSession
) -> BrokenLink | None:
    table = row.__tablename__
    try:
        details = encryption.open(row.log_details, table=table, column="log_details", row_id=row.id)
        response_id = encryption.open(
            row.response_id, table=table, column="response_id", row_id=row.id
        )
    except CryptoError:
        return _broken(row, "CONTENT_UNREADABLE", "a sealed value does not open at this revision")
    if not isinstance(details, dict) or not isinstance(response_id, str):
        return _broken(row, "CONTENT_UNREADABLE", "a sealed value has the wrong type")
    candidates = encryption.blind_index_reference_candidates(
        content_digest_input(details, response_id)
    )
    if row.content_digest not in candidates:
        return _broken(
            row, "CONTENT_DIGEST_MISMATCH", "the sealed content is not the content hashed"
        )
    return None


def _check_link(
    row: ComplianceLogRevisionRow,
    expected_index: int,
    previous_hash: str,
    last_revision: dict[str, int],
    encryption: EncryptionSession | None,
) -> BrokenLink | None:
    if row.chain_index != expected_index:
        return BrokenLink(
            chain_index=expected_index,
            reason="MISSING_REVISION",
            detail=f"no revision at this position (the next one found is {row.chain_index})",
        )
    if row.previous_hash != previous_hash:
        return _broken(
            row, "PREVIOUS_HASH_MISMATCH", "does not name the hash of the revision before it"
        )
    if row.hash != link_hash(row):
        return _broken(row, "HASH_MISMATCH", "its content or stored hash was altered")
    expected_number = last_revision.get(row.log_id, 0) + 1
    if row.revision != expected_number:
        return _broken(
            row, "REVISION_NUMBER_GAP", f"expected revision {expected_number} of this log"
        )
    if encryption is not None:
        return _check_content(row, encryption)
    return None


async def _check_current_views(
    session: AsyncSession, latest: dict[str, ComplianceLogRevisionRow], last_index: int
) -> BrokenLink | None:
    seen: set[str] = set()
    after = ""
    while True:
        logs = list(
            await session.scalars(
                select(ComplianceLogRow)
                .where(ComplianceLogRow.id > after)
                .order_by(ComplianceLogRow.id)
                .limit(BATCH_SIZE)
            )
        )
        if not logs:
            break
        for log in logs:
            seen.add(log.id)
            head = latest.get(log.id)
            if head is None:
                return BrokenLink(
                    chain_index=last_index + 1,
                    reason="CURRENT_VIEW_MISMATCH",
                    detail="a log has no revision in the chain",
                    log_id=log.id,
                )
            identity = (log.user_id, log.account_id, log.transaction_id, log.event_type)
            recorded = (head.user_id, head.account_id, head.transaction_id, head.event_type)
            if log.version != head.revision or identity != recorded:
                return _broken(
                    head,
                    "CURRENT_VIEW_MISMATCH",
                    "the log's current view disagrees with its latest revision",
                )
        after = logs[-1].id
    for log_id, head in latest.items():
        if log_id not in seen:  # pragma: no cover - the foreign key prevents it
            return _broken(head, "CURRENT_VIEW_MISMATCH", "a revision belongs to no log")
    return None


async def verify_chain(
    session: AsyncSession,
    *,
    encryption: EncryptionServices | None = None,
    expect_head: str | None = None,
) -> ChainReport:
    """Verify the whole chain through ``session`` (read-only) and report the first break.

    ``encryption``: also open every sealed value and check its digest (needs the subgraph's
    keys). ``expect_head``: a head hash recorded earlier, as ``<hash>`` or ``<position>:<hash>``;
    a revision (at that position) must still carry it.
    """
    opener = encryption.session() if encryption is not None else None
    expected_at: tuple[int | None, str] | None = None
    if expect_head is not None:
        position, _, digest = expect_head.rpartition(":")
        expected_at = (int(position) if position else None, digest.lower())
    previous_hash = GENESIS_HASH
    checked = 0
    last_revision: dict[str, int] = {}
    latest: dict[str, ComplianceLogRevisionRow] = {}
    anchored = False
    while True:
        rows = list(
            await session.scalars(
                select(ComplianceLogRevisionRow)
                .where(ComplianceLogRevisionRow.chain_index > checked)
                .order_by(ComplianceLogRevisionRow.chain_index)
                .limit(BATCH_SIZE)
            )
        )
        if not rows:
            break
        for row in rows:
            broken = _check_link(row, checked + 1, previous_hash, last_revision, opener)
            if broken is not None:
                return ChainReport(checked, previous_hash, opener is not None, broken)
            checked, previous_hash = row.chain_index, row.hash
            last_revision[row.log_id] = row.revision
            latest[row.log_id] = row
            if expected_at is not None and expected_at[0] in (None, row.chain_index):
                anchored = anchored or row.hash == expected_at[1]
                if expected_at[0] is not None and not anchored:
                    return ChainReport(
                        checked,
                        previous_hash,
                        opener is not None,
                        _broken(row, "HEAD_MISMATCH", "differs from the head hash recorded"),
                    )
        session.expunge_all()  # keep memory flat on long chains; rows are only read

    tip = await session.get(ComplianceChainRow, CHAIN_ROW_ID)
    if tip is None or tip.length != checked or tip.head_hash != previous_hash:
        return ChainReport(
            checked,
            previous_hash,
            opener is not None,
            BrokenLink(
                chain_index=checked + 1 if tip is None or tip.length > checked else checked,
                reason="TIP_MISMATCH",
                detail="the chain's tip does not name the last revision "
                "(revisions removed from the end, or the tip altered)",
            ),
        )
    if expected_at is not None and not anchored:
        return ChainReport(
            checked,
            previous_hash,
            opener is not None,
            BrokenLink(
                chain_index=expected_at[0] or checked,
                reason="HEAD_MISMATCH",
                detail="the head hash recorded earlier is no longer in the chain",
            ),
        )
    broken = await _check_current_views(session, latest, checked)
    return ChainReport(checked, previous_hash, opener is not None, broken)


def verify_database(
    database_url: str,
    *,
    encryption: EncryptionServices | None = None,
    expect_head: str | None = None,
) -> ChainReport:
    """Verify the chain of the database at ``database_url`` (for commands and the CLI)."""

    async def run() -> ChainReport:
        database = Database(database_url)
        try:
            async with database.session() as session:
                return await verify_chain(session, encryption=encryption, expect_head=expect_head)
        finally:
            await database.dispose()

    return asyncio.run(run())
