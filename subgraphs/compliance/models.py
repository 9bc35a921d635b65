"""The compliance tables: logs, their append-only revisions, and the tip of the hash chain.

* ``compliance_logs``: one row per log, the identity of the event (subjects and event type,
  which never change) and ``version`` = the number of its latest revision. It exists so lists
  can filter and page without scanning revisions; it is checked against the revisions by the
  chain verifier.
* ``compliance_log_revisions``: the record. Rows are only ever inserted. Each is self-contained
  (it repeats the log's subjects and event type), carries its sealed details and response id
  (bound to the revision's own id, so a ciphertext cannot be moved between revisions) and its
  place in the one global hash chain (``chain_index``, ``previous_hash``, ``hash``).
* ``compliance_chain``: a single row holding the chain's length and last hash. Appends lock it
  first, which serialises them (the chain never forks), and the verifier compares it with the
  last revision, which reveals revisions removed from the end of the chain.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from crypto import Sealed, encrypted_column
from subgraphs.kit import RecordMixin, UTCDateTime, audit_outbox_table, make_metadata

__all__ = [
    "CHAIN_ROW_ID",
    "Base",
    "ComplianceChainRow",
    "ComplianceLogRevisionRow",
    "ComplianceLogRow",
]

CHAIN_ROW_ID = 1


class Base(DeclarativeBase):
    metadata = make_metadata()


# Compliance's own DATA_ACCESS events wait here and are appended to the chain by the app's
# relay, in-process (subgraphs.compliance.audit), so a read never waits on the chain lock.
audit_outbox = audit_outbox_table(Base.metadata)


class ComplianceLogRow(RecordMixin, Base):
    """One compliance log (id prefix ``cpl_``); ``version`` is its latest revision's number."""

    __tablename__ = "compliance_logs"

    # No foreign keys: users, accounts and transactions live in other subgraphs.
    user_id: Mapped[str | None] = mapped_column(String(48), index=True)
    account_id: Mapped[str | None] = mapped_column(String(48), index=True)
    transaction_id: Mapped[str | None] = mapped_column(String(48), index=True)
    event_type: Mapped[str] = mapped_column(String(32), index=True)
    # Set on DATA_ACCESS logs recorded from the access audit: makes a re-sent event a no-op.
    audit_key: Mapped[str | None] = mapped_column(String(64), index=True, unique=True)
    # The client's idempotency key of createComplianceLog (unique: of two racing creates with
    # one key only one row can exist) and a keyed fingerprint of the request it came with, so a
    # retry returns this log and another request under the key is refused. NULL without a key.
    # Not covered by the hash chain (a retry handle, not part of the event; ADR 0014); migration
    # 0005 freezes both once written.
    idempotency_key: Mapped[str | None] = mapped_column(String(255), index=True, unique=True)
    request_fingerprint: Mapped[str | None] = mapped_column(String(160))

    def __repr__(self) -> str:
        return (
            f"ComplianceLogRow(id={self.id!r}, event_type={self.event_type!r}, "
            f"version={self.version!r})"
        )


class ComplianceLogRevisionRow(Base):
    """One revision of a log (id prefix ``cpr_``), a link of the hash chain; never updated."""

    __tablename__ = "compliance_log_revisions"
    __table_args__ = (UniqueConstraint("log_id", "revision"),)

    id: Mapped[str] = mapped_column(String(48), primary_key=True)
    log_id: Mapped[str] = mapped_column(ForeignKey("compliance_logs.id"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    chain_index: Mapped[int] = mapped_column(Integer, unique=True)
    user_id: Mapped[str | None] = mapped_column(String(48))
    account_id: Mapped[str | None] = mapped_column(String(48))
    transaction_id: Mapped[str | None] = mapped_column(String(48))
    event_type: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(12))
    provider: Mapped[str | None] = mapped_column(String(100))
    performed_by: Mapped[str] = mapped_column(String(100))
    log_details: Mapped[Sealed] = encrypted_column()
    response_id: Mapped[Sealed] = encrypted_column()
    # Keyed digest (HMAC, blind-index key) of the sealed plaintexts: the chain covers the
    # content without storing or leaking it, and survives re-encryption under a new key.
    content_digest: Mapped[str] = mapped_column(String(160))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    previous_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    def __repr__(self) -> str:
        return (
            f"ComplianceLogRevisionRow(id={self.id!r}, log_id={self.log_id!r}, "
            f"revision={self.revision!r}, chain_index={self.chain_index!r})"
        )


class ComplianceChainRow(Base):
    """The chain's tip: how many revisions it holds and the hash of the last one."""

    __tablename__ = "compliance_chain"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    length: Mapped[int] = mapped_column(Integer)
    head_hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"ComplianceChainRow(length={self.length!r})"
