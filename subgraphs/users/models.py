"""The users table. Columns marked ``encrypted_column()`` hold sealed envelopes, never plaintext.

``email_blind_index`` is an HMAC of the lower-cased e-mail (crypto's blind index): it enforces
uniqueness and serves look-ups by e-mail without storing the address in the clear.
"""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from crypto import Sealed, encrypted_column
from subgraphs.kit import RecordMixin, audit_outbox_table, make_metadata

__all__ = ["Base", "UserRow", "audit_outbox"]


class Base(DeclarativeBase):
    metadata = make_metadata()


# DATA_ACCESS events waiting for the relay (subgraphs.kit.audit); written with the request.
audit_outbox = audit_outbox_table(Base.metadata)


class UserRow(RecordMixin, Base):
    """One user profile (id prefix ``usr_``); sensitive fields are sealed, bound to this row."""

    __tablename__ = "users"

    title: Mapped[str | None] = mapped_column(String(20))
    first_name: Mapped[str] = mapped_column(String(50))
    last_name: Mapped[str] = mapped_column(String(50))
    date_of_birth: Mapped[Sealed] = encrypted_column()
    nationality: Mapped[str] = mapped_column(String(2))
    email_address: Mapped[Sealed] = encrypted_column()
    email_blind_index: Mapped[str] = mapped_column(String(128), unique=True)
    telephone_number: Mapped[Sealed] = encrypted_column()
    employment_status: Mapped[str] = mapped_column(String(20))
    annual_income: Mapped[Sealed] = encrypted_column()
    sources_of_wealth: Mapped[Sealed] = encrypted_column()
    status: Mapped[str] = mapped_column(String(12), index=True)
    # The client's idempotency key of createUser (unique: of two racing creates with one key
    # only one row can exist) and a keyed fingerprint of the request it came with, so a retry
    # returns this user and a reused key with another request is refused (decision 0027).
    idempotency_key: Mapped[str | None] = mapped_column(String(255), index=True, unique=True)
    request_fingerprint: Mapped[str | None] = mapped_column(String(160))

    def __repr__(self) -> str:
        # Only non-sensitive columns: reprs end up in logs and tracebacks.
        return f"UserRow(id={self.id!r}, status={self.status!r}, version={self.version!r})"
