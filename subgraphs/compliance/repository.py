"""Every SQL query of the compliance subgraph. Sessions are the caller's; nothing here commits.

Revisions are only ever inserted. :meth:`ComplianceRepository.lock_chain` is the first write of
every append: it locks the chain's tip row (a row lock on PostgreSQL; on SQLite the first write
of a transaction takes the database's reserved lock, the effect of ``BEGIN IMMEDIATE``), so
concurrent appends queue up and each one reads the tip its predecessor left.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, Table, and_, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.orm.exc import StaleDataError

from subgraphs.kit import Page, StaleVersion, check_page_size, decode_cursor, utcnow

from .chain import GENESIS_HASH
from .domain import KYC_EVENT_TYPES
from .models import CHAIN_ROW_ID, ComplianceChainRow, ComplianceLogRevisionRow, ComplianceLogRow

__all__ = [
    "ChainTip",
    "ComplianceRepository",
    "CurrentLog",
    "IdempotencyKeyTaken",
    "LogFilter",
    "ParentPageKey",
]


class IdempotencyKeyTaken(Exception):
    """Another request inserted a log with the same idempotency key first."""


@dataclass(frozen=True, slots=True)
class CurrentLog:
    """A log and its latest revision: the log's current view."""

    log: ComplianceLogRow
    revision: ComplianceLogRevisionRow

    @property
    def id(self) -> str:
        return self.log.id


@dataclass(frozen=True, slots=True)
class ChainTip:
    length: int
    head_hash: str


@dataclass(frozen=True, slots=True)
class LogFilter:
    """Optional equality filters of the log lists (``None`` means any)."""

    user_id: str | None = None
    account_id: str | None = None
    transaction_id: str | None = None
    event_type: str | None = None


@dataclass(frozen=True, slots=True)
class ParentPageKey:
    """One parent's page of logs in a contributed list (the DataLoader key)."""

    parent_id: str
    first: int | None = None
    after: str | None = None
    event_type: str | None = None


_CurrentSelect = Select[ComplianceLogRow, ComplianceLogRevisionRow]


def _current() -> _CurrentSelect:
    return select(ComplianceLogRow, ComplianceLogRevisionRow).join(
        ComplianceLogRevisionRow,
        and_(
            ComplianceLogRevisionRow.log_id == ComplianceLogRow.id,
            ComplianceLogRevisionRow.revision == ComplianceLogRow.version,
        ),
    )


def _filtered(statement: _CurrentSelect, filters: LogFilter) -> _CurrentSelect:
    for column, value in (
        (ComplianceLogRow.user_id, filters.user_id),
        (ComplianceLogRow.account_id, filters.account_id),
        (ComplianceLogRow.transaction_id, filters.transaction_id),
        (ComplianceLogRow.event_type, filters.event_type),
    ):
        if value is not None:
            statement = statement.where(column == value)
    return statement


class ComplianceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # -- current views ----------------------------------------------------------------------------

    async def get_current(self, log_id: str) -> CurrentLog | None:
        [found] = await self.get_many_current([log_id])
        return found

    async def get_many_current(self, log_ids: Sequence[str]) -> list[CurrentLog | None]:
        """Load several logs' current views in one query, in the order of ``log_ids``."""
        if not log_ids:
            return []
        result = await self.session.execute(_current().where(ComplianceLogRow.id.in_(set(log_ids))))
        found = {log.id: CurrentLog(log, revision) for log, revision in result}
        return [found.get(log_id) for log_id in log_ids]

    async def page(
        self, filters: LogFilter, *, first: int | None, after: str | None
    ) -> Page[CurrentLog]:
        size = check_page_size(first)
        statement = _filtered(_current(), filters)
        if after is not None:
            statement = statement.where(ComplianceLogRow.id > decode_cursor(after))
        result = await self.session.execute(statement.order_by(ComplianceLogRow.id).limit(size + 1))
        items = [CurrentLog(log, revision) for log, revision in result]
        return Page(items=items[:size], has_next_page=len(items) > size)

    async def pages_by_parent(
        self,
        parent: InstrumentedAttribute[str | None],
        parent_ids: Sequence[str],
        *,
        first: int | None,
        after: str | None,
        event_type: str | None,
    ) -> dict[str, Page[CurrentLog]]:
        """One page of logs for each parent (user, account, transaction), in one query.

        A window function numbers each parent's logs, so every parent gets its own first page
        from a single statement whatever the number of parents.
        """
        size = check_page_size(first)
        ranked = select(
            ComplianceLogRow.id.label("log_id"),
            func.row_number()
            .over(partition_by=parent, order_by=ComplianceLogRow.id)
            .label("position"),
        ).where(parent.in_(set(parent_ids)))
        if event_type is not None:
            ranked = ranked.where(ComplianceLogRow.event_type == event_type)
        if after is not None:
            ranked = ranked.where(ComplianceLogRow.id > decode_cursor(after))
        window = ranked.subquery()
        statement = (
            _current()
            .join(window, window.c.log_id == ComplianceLogRow.id)
            .where(window.c.position <= size + 1)
            .order_by(ComplianceLogRow.id)
        )
        result = await self.session.execute(statement)
        grouped: dict[str, list[CurrentLog]] = defaultdict(list)
        for log, revision in result:
            key = getattr(log, parent.key)
            grouped[key].append(CurrentLog(log, revision))
        return {
            parent_id: Page(
                items=grouped[parent_id][:size], has_next_page=len(grouped[parent_id]) > size
            )
            for parent_id in parent_ids
        }

    async def latest_kyc_events(self, user_ids: Sequence[str]) -> dict[str, str]:
        """Each user's latest KYC event type (users without one are absent), in one query."""
        if not user_ids:
            return {}
        ranked = (
            select(
                ComplianceLogRow.user_id.label("user_id"),
                ComplianceLogRow.event_type.label("event_type"),
                func.row_number()
                .over(partition_by=ComplianceLogRow.user_id, order_by=ComplianceLogRow.id.desc())
                .label("position"),
            )
            .where(ComplianceLogRow.user_id.in_(set(user_ids)))
            .where(ComplianceLogRow.event_type.in_([event.value for event in KYC_EVENT_TYPES]))
            .subquery()
        )
        result = await self.session.execute(
            select(ranked.c.user_id, ranked.c.event_type).where(ranked.c.position == 1)
        )
        return {user_id: event_type for user_id, event_type in result}

    async def find_by_audit_keys(self, keys: Sequence[str]) -> dict[str, CurrentLog]:
        """Return the logs already recorded under these audit keys, by key."""
        if not keys:
            return {}
        result = await self.session.execute(
            _current().where(ComplianceLogRow.audit_key.in_(set(keys)))
        )
        return {str(log.audit_key): CurrentLog(log, revision) for log, revision in result}

    async def find_by_idempotency_key(self, key: str) -> CurrentLog | None:
        """Return the log created under a client's idempotency key, with its latest revision."""
        result = await self.session.execute(
            _current().where(ComplianceLogRow.idempotency_key == key)
        )
        row = result.first()
        return None if row is None else CurrentLog(row[0], row[1])

    # -- revisions --------------------------------------------------------------------------------

    async def revisions_of(
        self, log_ids: Sequence[str]
    ) -> dict[str, list[ComplianceLogRevisionRow]]:
        """Every revision of each log, oldest first, in one query."""
        grouped: dict[str, list[ComplianceLogRevisionRow]] = {log_id: [] for log_id in log_ids}
        if not log_ids:
            return grouped
        rows = await self.session.scalars(
            select(ComplianceLogRevisionRow)
            .where(ComplianceLogRevisionRow.log_id.in_(set(log_ids)))
            .order_by(ComplianceLogRevisionRow.log_id, ComplianceLogRevisionRow.revision)
        )
        for row in rows:
            grouped[row.log_id].append(row)
        return grouped

    async def revision(self, log_id: str, number: int) -> ComplianceLogRevisionRow | None:
        result = await self.session.scalars(
            select(ComplianceLogRevisionRow).where(
                ComplianceLogRevisionRow.log_id == log_id,
                ComplianceLogRevisionRow.revision == number,
            )
        )
        return result.first()

    # -- appending --------------------------------------------------------------------------------

    async def lock_chain(self) -> ChainTip:
        """Lock the chain's tip for this transaction and return it (see the module docstring)."""
        tip = await self._lock_tip()
        if tip is None:
            # The first migration makes the tip row; an empty database reset by truncation (or
            # restored without it) gets it back here, but only while the chain is empty too.
            if await self.session.scalar(select(ComplianceLogRevisionRow.id).limit(1)):
                raise RuntimeError("the hash chain's tip row is missing: run `chain verify`")
            await self._create_empty_tip()
            tip = await self._lock_tip()
            if tip is None:  # pragma: no cover - the row was just made
                raise RuntimeError("the hash chain's tip row could not be created")
        return tip

    async def _lock_tip(self) -> ChainTip | None:
        result = await self.session.execute(
            update(ComplianceChainRow)
            .where(ComplianceChainRow.id == CHAIN_ROW_ID)
            .values(length=ComplianceChainRow.length)
            .returning(ComplianceChainRow.length, ComplianceChainRow.head_hash)
            .execution_options(synchronize_session=False)
        )
        row = result.one_or_none()
        return None if row is None else ChainTip(length=row[0], head_hash=row[1])

    async def _create_empty_tip(self) -> None:
        values = {
            "id": CHAIN_ROW_ID,
            "length": 0,
            "head_hash": GENESIS_HASH,
            "updated_at": utcnow(),
        }
        dialect = self.session.get_bind().dialect.name
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        # Two first appends may race here: the loser's insert does nothing, then waits on the lock.
        await self.session.execute(
            insert(ComplianceChainRow).values(values).on_conflict_do_nothing(index_elements=["id"])
        )

    async def advance_chain(self, tip: ChainTip) -> None:
        """Record the new tip after appending (the chain is locked by :meth:`lock_chain`)."""
        await self.session.execute(
            update(ComplianceChainRow)
            .where(ComplianceChainRow.id == CHAIN_ROW_ID)
            .values(length=tip.length, head_hash=tip.head_hash, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )

    async def insert_appended(
        self, logs: Sequence[ComplianceLogRow], revisions: Sequence[ComplianceLogRevisionRow]
    ) -> None:
        """Insert new logs and their revisions (built, never added) in two statements.

        Plain INSERTs of every column, not the ORM unit of work: for the access audit, which
        appends one log per decrypted entity. The objects stay usable, detached, as results.
        """
        for rows in (logs, revisions):
            if rows:
                table = type(rows[0]).__table__
                assert isinstance(table, Table)
                await self.session.execute(
                    insert(table),
                    [{c.key: getattr(row, c.key) for c in table.columns} for row in rows],
                )

    def add(self, row: ComplianceLogRow | ComplianceLogRevisionRow) -> None:
        self.session.add(row)

    async def insert_log(self, log: ComplianceLogRow) -> None:
        """Insert a new log; a log already holding its idempotency key raises IdempotencyKeyTaken.

        The insert runs in a savepoint so that, on a clash, the request's transaction (and the
        chain lock it holds) stays usable and the service can read the winner's log. Call it
        after :meth:`lock_chain`: on SQLite a savepoint opened outside a transaction would itself
        be the transaction, and releasing it would commit the row before the request decides to.
        """
        try:
            async with self.session.begin_nested():
                self.session.add(log)
                await self.session.flush()
        except IntegrityError as exc:
            if log.idempotency_key is None:
                # Not a key clash (appends are serialised): the same as a failed flush.
                raise StaleVersion("The compliance log", verb="amended") from exc
            raise IdempotencyKeyTaken() from exc

    async def flush(self) -> None:
        """Write pending changes now, turning constraint and version races into conflicts."""
        try:
            await self.session.flush()
        except (IntegrityError, StaleDataError) as exc:
            # Appends are serialised by the chain lock, so this is a version race at most.
            raise StaleVersion("The compliance log", verb="amended") from exc
