"""The investment_accounts table. ``encrypted_column()`` columns hold sealed envelopes only.

``client_reference_blind_index`` is an HMAC of the normalised client reference (crypto's blind
index): with ``user_id`` it makes a reference unique per user and serves look-ups by reference
without storing it in the clear.

The partial unique index ``uq_investment_accounts_open_isa`` is the database's backstop for "at most
one open ISA per user": the service checks first and explains the refusal, the index makes two
racing requests unable to both succeed. Its predicate is written out again in the migration.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, String, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from crypto import Sealed, encrypted_column
from subgraphs.kit import RecordMixin, UTCDateTime, audit_outbox_table, make_metadata

__all__ = [
    "OPEN_ISA_INDEX",
    "OPEN_ISA_PREDICATE",
    "REFERENCE_CONSTRAINT",
    "Base",
    "InvestmentAccountRow",
    "audit_outbox",
]

OPEN_ISA_INDEX = "uq_investment_accounts_open_isa"
OPEN_ISA_PREDICATE = "account_type = 'ISA' AND status <> 'CLOSED'"
REFERENCE_CONSTRAINT = "uq_investment_accounts_user_reference"


class Base(DeclarativeBase):
    metadata = make_metadata()


# DATA_ACCESS events waiting for the relay (subgraphs.kit.audit); written with the request.
audit_outbox = audit_outbox_table(Base.metadata)


class InvestmentAccountRow(RecordMixin, Base):
    """One investment account (id prefix ``acc_``); the client reference is sealed to this row."""

    __tablename__ = "investment_accounts"
    __table_args__ = (
        UniqueConstraint("user_id", "client_reference_blind_index", name=REFERENCE_CONSTRAINT),
        Index(
            OPEN_ISA_INDEX,
            "user_id",
            unique=True,
            sqlite_where=text(OPEN_ISA_PREDICATE),
            postgresql_where=text(OPEN_ISA_PREDICATE),
        ),
    )

    # No foreign key: the user lives in the users subgraph, checked over HTTP on create.
    user_id: Mapped[str] = mapped_column(String(48), index=True)
    client_reference: Mapped[Sealed] = encrypted_column()
    client_reference_blind_index: Mapped[str] = mapped_column(String(128))
    account_type: Mapped[str] = mapped_column(String(8), index=True)
    name: Mapped[str] = mapped_column(String(100))
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(12), index=True)
    opened_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The client's idempotency key of createInvestmentAccount (unique: of two racing creates
    # with one key only one row can exist) and a keyed fingerprint of the request it came with
    # (decision 0027).
    idempotency_key: Mapped[str | None] = mapped_column(String(255), index=True, unique=True)
    request_fingerprint: Mapped[str | None] = mapped_column(String(160))

    def __repr__(self) -> str:
        # Only non-sensitive columns: reprs end up in logs and tracebacks.
        return (
            f"InvestmentAccountRow(id={self.id!r}, account_type={self.account_type!r}, "
            f"status={self.status!r}, version={self.version!r})"
        )
