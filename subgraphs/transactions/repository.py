"""Every SQL query of the transactions subgraph. Sessions are the request's; nothing commits."""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.orm.exc import StaleDataError

from subgraphs.kit import (
    Page,
    StaleVersion,
    check_page_size,
    decode_cursor,
    ordered_by_keys,
    paginate,
)

from .domain import CASH_COUNTED_STATUSES
from .models import AccountWriteLockRow, TransactionRow

__all__ = ["IdempotencyKeyTaken", "TransactionFilter", "TransactionRepository"]


@dataclass(frozen=True, slots=True)
class TransactionFilter:
    """Optional filters of the transaction lists (``None`` means any); dates are inclusive."""

    account_id: str | None = None
    user_id: str | None = None
    type: str | None = None
    status: str | None = None
    trade_date_from: dt.date | None = None
    trade_date_to: dt.date | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        """Return the WHERE conditions this filter stands for."""
        conditions: list[ColumnElement[bool]] = []
        if self.account_id is not None:
            conditions.append(TransactionRow.account_id == self.account_id)
        if self.user_id is not None:
            conditions.append(TransactionRow.user_id == self.user_id)
        if self.type is not None:
            conditions.append(TransactionRow.type == self.type)
        if self.status is not None:
            conditions.append(TransactionRow.status == self.status)
        if self.trade_date_from is not None:
            conditions.append(TransactionRow.trade_date >= self.trade_date_from)
        if self.trade_date_to is not None:
            conditions.append(TransactionRow.trade_date <= self.trade_date_to)
        return conditions


def _pages_statement(parent_column: str, conditions: list[ColumnElement[bool]]) -> Select[Any]:
    """Build the numbered-rows query of :meth:`TransactionRepository.pages_by_parent`.

    ``ROW_NUMBER() OVER (PARTITION BY parent ORDER BY id)`` numbers each parent's matching rows,
    and the outer query keeps the first ``:limit`` of each. Parents and limit are parameters.
    """
    parent = getattr(TransactionRow, parent_column)
    numbered = (
        select(
            TransactionRow,
            func.row_number()
            .over(partition_by=parent, order_by=TransactionRow.id)
            .label("position"),
        )
        .where(parent.in_(bindparam("parent_ids", expanding=True)), *conditions)
        .subquery()
    )
    row_alias = aliased(TransactionRow, numbered)
    return (
        select(row_alias)
        .where(numbered.c.position <= bindparam("limit"))
        .order_by(getattr(numbered.c, parent_column), numbered.c.id)
    )


@functools.cache
def _first_pages_statement(parent_column: str) -> Select[Any]:
    return _pages_statement(parent_column, [])


class IdempotencyKeyTaken(Exception):
    """Another request inserted a transaction with the same idempotency key first."""


class TransactionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, transaction_id: str) -> TransactionRow | None:
        return await self.session.get(TransactionRow, transaction_id)

    async def get_many(self, transaction_ids: Sequence[str]) -> list[TransactionRow | None]:
        """Load several transactions in one query, in the order of ``transaction_ids``."""
        if not transaction_ids:
            return []
        rows = await self.session.scalars(
            select(TransactionRow).where(TransactionRow.id.in_(set(transaction_ids)))
        )
        return ordered_by_keys(transaction_ids, list(rows), lambda row: row.id)

    async def find_by_idempotency_key(self, key: str) -> TransactionRow | None:
        result = await self.session.scalars(
            select(TransactionRow).where(TransactionRow.idempotency_key == key)
        )
        return result.first()

    async def page(
        self, filters: TransactionFilter, *, first: int | None, after: str | None
    ) -> Page[TransactionRow]:
        statement = select(TransactionRow).where(*filters.conditions())
        return await paginate(self.session, statement, TransactionRow.id, first=first, after=after)

    async def pages_by_parent(
        self,
        parent_column: str,
        parent_ids: Sequence[str],
        filters: TransactionFilter,
        *,
        first: int | None,
        after: str | None,
    ) -> list[Page[TransactionRow]]:
        """One page of transactions for each parent (account or user), in one query.

        ``ROW_NUMBER() OVER (PARTITION BY parent ORDER BY id)`` numbers each parent's matching
        rows, and the outer query keeps the first ``first + 1`` of each (the extra row tells
        whether another page follows). SQLite (3.25+) and PostgreSQL both run it.
        """
        size = check_page_size(first)
        if not parent_ids:
            return []
        params: dict[str, Any] = {"parent_ids": list(set(parent_ids)), "limit": size + 1}
        conditions = filters.conditions()
        if not conditions and after is None:
            # The common case (a router asking each parent's first page): the statement is
            # built once per parent column; only its parameters change.
            statement = _first_pages_statement(parent_column)
        else:
            if after is not None:
                conditions.append(TransactionRow.id > decode_cursor(after))
            statement = _pages_statement(parent_column, conditions)
        rows_by_parent: dict[str, list[TransactionRow]] = defaultdict(list)
        for row in (await self.session.scalars(statement, params)).all():
            rows_by_parent[getattr(row, parent_column)].append(row)
        return [
            Page(items=rows[:size], has_next_page=len(rows) > size)
            for rows in (rows_by_parent.get(parent_id, []) for parent_id in parent_ids)
        ]

    async def cash_rows(self, account_ids: Sequence[str]) -> dict[str, list[TransactionRow]]:
        """Return the transactions that count towards cash (pending, settled) of each account."""
        rows_by_account: dict[str, list[TransactionRow]] = {key: [] for key in account_ids}
        if not account_ids:
            return rows_by_account
        statement = select(TransactionRow).where(
            TransactionRow.account_id.in_(set(account_ids)),
            TransactionRow.status.in_([status.value for status in CASH_COUNTED_STATUSES]),
        )
        for row in (await self.session.scalars(statement)).all():
            rows_by_account[row.account_id].append(row)
        return rows_by_account

    async def lock_account(self, account_id: str) -> None:
        """Serialise this account's cash-lowering writes until the request's transaction ends.

        An UPSERT on the account's lock row: PostgreSQL holds the row lock until commit or
        rollback (a second writer waits here, then reads what the first committed); SQLite takes
        its database-wide write lock for the same span. Every later read of this request sees
        every transaction committed before the lock was granted.
        """
        dialect = self.session.get_bind().dialect.name
        table = AccountWriteLockRow.__table__
        assert isinstance(table, Table)
        values = {"account_id": account_id, "writes": 1}
        if dialect == "postgresql":
            pg = postgresql.insert(table).values(values)
            statement: Any = pg.on_conflict_do_update(
                index_elements=[table.c.account_id], set_={"writes": table.c.writes + 1}
            )
        elif dialect == "sqlite":
            lite = sqlite.insert(table).values(values)
            statement = lite.on_conflict_do_update(
                index_elements=[table.c.account_id], set_={"writes": table.c.writes + 1}
            )
        else:  # pragma: no cover - the service supports SQLite and PostgreSQL only
            raise RuntimeError(f"no account lock for the {dialect} dialect")
        await self.session.execute(statement)

    def add(self, row: TransactionRow) -> None:
        self.session.add(row)

    async def insert(self, row: TransactionRow) -> None:
        """Insert a new transaction; a racing request with the same key raises IdempotencyKeyTaken.

        The insert runs in a savepoint so that, on a clash, the request's transaction stays
        usable and the service can read the winner's row. Call it after :meth:`lock_account`:
        on SQLite a savepoint opened outside a transaction would itself be the transaction, and
        releasing it would commit the row before the request decides to.
        """
        try:
            async with self.session.begin_nested():
                self.session.add(row)
                await self.session.flush()
        except IntegrityError as exc:
            raise IdempotencyKeyTaken() from exc

    async def flush(self) -> None:
        """Write pending changes now, turning version races into conflicts."""
        try:
            await self.session.flush()
        except StaleDataError as exc:
            raise StaleVersion("The transaction") from exc
