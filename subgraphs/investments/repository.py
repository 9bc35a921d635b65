"""Every SQL query of the investments subgraph. Sessions are the request's; nothing here commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.orm.exc import StaleDataError

from subgraphs.kit import (
    Conflict,
    Page,
    RuleViolation,
    StaleVersion,
    check_page_size,
    decode_cursor,
    ordered_by_keys,
    paginate,
)

from .models import OPEN_ISA_INDEX, REFERENCE_CONSTRAINT, InvestmentAccountRow

__all__ = [
    "AccountFilter",
    "IdempotencyKeyTaken",
    "InvestmentAccountRepository",
    "duplicate_reference",
    "open_isa_refusal",
]


class IdempotencyKeyTaken(Exception):
    """Another request inserted an account with the same idempotency key first."""


Row = InvestmentAccountRow


@dataclass(frozen=True, slots=True)
class AccountFilter:
    """Optional equality filters of the account lists (``None`` means any)."""

    user_id: str | None = None
    account_type: str | None = None
    status: str | None = None


def open_isa_refusal() -> RuleViolation:
    """Return the refusal of a second open ISA (by the service, or here after a lost race)."""
    return RuleViolation(
        "The user already has an open ISA; close it before opening another.",
        reason="ISA_ALREADY_OPEN",
        field="accountType",
    )


def duplicate_reference() -> Conflict:
    """Return the refusal of a client reference the user already uses on another account."""
    return Conflict(
        "The user already has an account with this client reference.",
        reason="DUPLICATE",
        field="clientReference",
    )


def _filtered(statement: Select[Any], filters: AccountFilter) -> Select[Any]:
    if filters.user_id is not None:
        statement = statement.where(Row.user_id == filters.user_id)
    if filters.account_type is not None:
        statement = statement.where(Row.account_type == filters.account_type)
    if filters.status is not None:
        statement = statement.where(Row.status == filters.status)
    return statement


class InvestmentAccountRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, account_id: str) -> InvestmentAccountRow | None:
        return await self.session.get(Row, account_id)

    async def get_many(self, account_ids: Sequence[str]) -> list[InvestmentAccountRow | None]:
        """Load several accounts in one query, in the order of ``account_ids``."""
        if not account_ids:
            return []
        rows = await self.session.scalars(select(Row).where(Row.id.in_(set(account_ids))))
        return ordered_by_keys(account_ids, list(rows), lambda row: row.id)

    async def find_by_reference(
        self, user_id: str, digests: Sequence[str]
    ) -> InvestmentAccountRow | None:
        """Find the user's account whose reference blind index is one of ``digests``."""
        if not digests:
            return None
        result = await self.session.scalars(
            select(Row)
            .where(Row.user_id == user_id, Row.client_reference_blind_index.in_(digests))
            .limit(1)
        )
        return result.first()

    async def reference_taken(
        self, user_id: str, digests: Sequence[str], *, except_id: str | None = None
    ) -> bool:
        statement = select(Row.id).where(
            Row.user_id == user_id, Row.client_reference_blind_index.in_(digests)
        )
        if except_id is not None:
            statement = statement.where(Row.id != except_id)
        return (await self.session.scalar(statement.limit(1))) is not None

    async def has_open_isa(self, user_id: str, *, except_id: str | None = None) -> bool:
        """Tell whether the user has an ISA that is not CLOSED (other than ``except_id``)."""
        statement = select(Row.id).where(
            Row.user_id == user_id, Row.account_type == "ISA", Row.status != "CLOSED"
        )
        if except_id is not None:
            statement = statement.where(Row.id != except_id)
        return (await self.session.scalar(statement.limit(1))) is not None

    async def page(
        self, filters: AccountFilter, *, first: int | None, after: str | None
    ) -> Page[InvestmentAccountRow]:
        statement = _filtered(select(Row), filters)
        return await paginate(self.session, statement, Row.id, first=first, after=after)

    async def pages_by_user(
        self,
        user_ids: Sequence[str],
        filters: AccountFilter,
        *,
        first: int | None,
        after: str | None,
    ) -> dict[str, Page[InvestmentAccountRow]]:
        """One page of accounts for each user, all in one query (``User.investmentAccounts``).

        ``ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY id)`` numbers each user's matching
        accounts, so one statement returns the first ``first + 1`` of every user: the extra row
        says whether that user has a next page. Both SQLite and PostgreSQL have window functions.
        """
        size = check_page_size(first)
        pages: dict[str, Page[InvestmentAccountRow]] = {}
        if not user_ids:
            return pages
        position = (
            func.row_number().over(partition_by=Row.user_id, order_by=Row.id).label("position")
        )
        inner = _filtered(select(Row, position), filters).where(Row.user_id.in_(set(user_ids)))
        if after is not None:
            inner = inner.where(Row.id > decode_cursor(after))
        numbered = inner.subquery("numbered")
        account = aliased(Row, numbered)
        statement = (
            select(account)
            .where(numbered.c.position <= size + 1)
            .order_by(numbered.c.user_id, numbered.c.id)
        )
        rows_by_user: dict[str, list[InvestmentAccountRow]] = {}
        for row in (await self.session.scalars(statement)).all():
            rows_by_user.setdefault(row.user_id, []).append(row)
        for user_id in user_ids:
            rows = rows_by_user.get(user_id, [])
            pages[user_id] = Page(items=rows[:size], has_next_page=len(rows) > size)
        return pages

    async def find_by_idempotency_key(self, key: str) -> InvestmentAccountRow | None:
        """Return the account created under a client's idempotency key, if any."""
        result = await self.session.scalars(select(Row).where(Row.idempotency_key == key).limit(1))
        return result.first()

    def add(self, row: InvestmentAccountRow) -> None:
        self.session.add(row)

    async def flush(self) -> None:
        """Write pending changes now, turning constraint and version races into clear errors."""
        try:
            await self.session.flush()
        except IntegrityError as exc:
            detail = str(exc.orig)
            if "idempotency_key" in detail:  # a create's retry racing its first attempt
                raise IdempotencyKeyTaken() from exc
            if REFERENCE_CONSTRAINT in detail or "client_reference_blind_index" in detail:
                raise duplicate_reference() from exc
            # SQLite names the partial index's column, PostgreSQL the index itself.
            if OPEN_ISA_INDEX in detail or "investment_accounts.user_id" in detail:
                raise open_isa_refusal() from exc
            raise
        except StaleDataError as exc:
            raise StaleVersion("The account") from exc
