"""The transactions tables. Columns marked ``encrypted_column()`` hold sealed envelopes.

``transactions`` holds one row per deposit, withdrawal or trade. Its two amounts are sealed,
bound to their row; everything the service filters or groups on (account, user, type, status,
dates, currency) stays in the clear, so lists and batches need no decryption to find rows.

``account_write_locks`` holds one row per account that has ever had a transaction. Writes that
can lower an account's available cash first bump that row (an UPSERT), which serialises them per
account on both back-ends: PostgreSQL takes the row lock until commit, SQLite takes its database
write lock. See docs/decisions/0007-transactions-money-and-idempotency.md.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Date, Integer, String
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from crypto import Sealed, encrypted_column
from subgraphs.kit import RecordMixin, audit_outbox_table, make_metadata

__all__ = ["AccountWriteLockRow", "Base", "DecimalText", "TransactionRow", "audit_outbox"]


class DecimalText(TypeDecorator[Decimal]):
    """An exact ``Decimal`` stored as its text on every back-end.

    SQLite has no decimal type (SQLAlchemy's ``Numeric`` goes through float there); text keeps
    ``"0.1"`` exactly ``"0.1"``. Used for quantities and prices, which are not sealed.
    """

    impl = String(40)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError("DecimalText columns take decimal.Decimal values only")
        return str(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)


class Base(DeclarativeBase):
    metadata = make_metadata()


# DATA_ACCESS events waiting for the relay (subgraphs.kit.audit); written with the request.
audit_outbox = audit_outbox_table(Base.metadata)


class TransactionRow(RecordMixin, Base):
    """One transaction (id prefix ``txn_``); its amounts are sealed, bound to this row."""

    __tablename__ = "transactions"

    account_id: Mapped[str] = mapped_column(String(48), index=True)  # owned by investments
    user_id: Mapped[str] = mapped_column(String(48), index=True)  # the account's user
    type: Mapped[str] = mapped_column(String(12), index=True)
    status: Mapped[str] = mapped_column(String(12), index=True)
    consideration_amount: Mapped[Sealed] = encrypted_column()
    charges_amount: Mapped[Sealed] = encrypted_column()
    currency: Mapped[str] = mapped_column(String(3))
    isin: Mapped[str | None] = mapped_column(String(12))
    quantity: Mapped[Decimal | None] = mapped_column(DecimalText())
    price: Mapped[Decimal | None] = mapped_column(DecimalText())
    trade_date: Mapped[dt.date] = mapped_column(Date, index=True)
    settlement_date: Mapped[dt.date] = mapped_column(Date)
    reference: Mapped[str | None] = mapped_column(String(100))
    # The client's Idempotency-Key (unique: two racing requests cannot both insert) and a keyed
    # HMAC of the canonical request body, to tell a retry from a different request.
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    request_fingerprint: Mapped[str] = mapped_column(String(160))

    def __repr__(self) -> str:
        # Only non-sensitive columns: reprs end up in logs and tracebacks.
        return (
            f"TransactionRow(id={self.id!r}, type={self.type!r}, status={self.status!r}, "
            f"version={self.version!r})"
        )


class AccountWriteLockRow(Base):
    """The row that serialises cash-lowering writes of one account (see the module docstring)."""

    __tablename__ = "account_write_locks"

    account_id: Mapped[str] = mapped_column(String(48), primary_key=True)
    writes: Mapped[int] = mapped_column(Integer)

    def __repr__(self) -> str:
        return f"AccountWriteLockRow(account_id={self.account_id!r}, writes={self.writes!r})"
