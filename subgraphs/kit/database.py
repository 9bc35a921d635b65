"""Database plumbing: the async engine and session factory, column types and the row mixin.

The engine is built in the app's lifespan (:class:`Database`), never at import time, so importing
a subgraph never opens files or sockets and tests can point each app at its own database.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Integer, MetaData, String, event
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column
from sqlalchemy.types import TypeDecorator

__all__ = [
    "NAMING_CONVENTION",
    "Database",
    "RecordMixin",
    "SerialisedAsyncSession",
    "UTCDateTime",
    "create_engine_for",
    "make_metadata",
    "prepare_sqlite_folder",
    "utcnow",
]

# Stable constraint names: migrations must name a constraint alike on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def make_metadata() -> MetaData:
    """Return a fresh ``MetaData`` with the shared naming convention (one per subgraph)."""
    return MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> dt.datetime:
    """Return the current time as an aware UTC datetime."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """An aware UTC timestamp on every backend.

    SQLite has no time zones and hands back naive datetimes; this type refuses naive input and
    re-attaches UTC on load, so the domain only ever sees aware UTC values.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use an aware UTC datetime")
        return value.astimezone(dt.UTC)

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class RecordMixin:
    """The columns every entity carries: ``id``, ``created_at``, ``updated_at``, ``version``.

    ``version`` is SQLAlchemy's version counter: each flushed UPDATE adds one and checks the old
    value in its WHERE clause, so two writers racing on the same row cannot both win.
    """

    id: Mapped[str] = mapped_column(String(48), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.version}


class SerialisedAsyncSession(AsyncSession):
    """An ``AsyncSession`` that runs one database operation at a time.

    graphql-core resolves sibling fields concurrently, so two resolvers (or two DataLoader
    batches) of one request can reach the request's session at the same moment. A session owns
    one connection and asyncpg refuses a second command while one is in flight ("another
    operation is in progress"; SQLite merely hides it behind its own lock). Serialising each
    operation keeps the one-session-per-request model (one transaction, commit or rollback as a
    whole) correct under that concurrency; queries of one request run one after another anyway
    on a single connection.

    Only the methods that reach the database themselves are guarded; ``scalars`` goes through
    ``execute`` and is covered by it (the lock is not re-entrant).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._operation_lock = asyncio.Lock()


def _one_at_a_time(name: str) -> Callable[..., Awaitable[Any]]:
    method = getattr(AsyncSession, name)

    @functools.wraps(method)
    async def serialised(self: SerialisedAsyncSession, *args: Any, **kwargs: Any) -> Any:
        async with self._operation_lock:
            return await method(self, *args, **kwargs)

    return serialised


for _name in (
    "execute",
    "scalar",
    "get",
    "get_one",
    "refresh",
    "merge",
    "delete",
    "flush",
    "run_sync",
    "connection",
    "commit",
    "rollback",
    "close",
):
    setattr(SerialisedAsyncSession, _name, _one_at_a_time(_name))


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # WAL: readers (the router fanning out queries) are not blocked by a writer, and a writer
    # waits (the connect timeout) rather than failing when another one holds the lock.
    cursor.execute("PRAGMA journal_mode=WAL")
    # SQLite's recommended pairing with WAL: no fsync per commit, still never corrupt; a power cut
    # may lose the last commits. The embedded default is for development and single-node use;
    # deployments that need more run on PostgreSQL.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def prepare_sqlite_folder(url: str) -> None:
    """Create the folder of a SQLite database file (SQLite creates the file, not its folder).

    A fresh checkout has no data folder yet; every path that opens the database (the app, the
    ``migrate`` and ``revision`` commands) calls this first. Other backends are left alone.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


def create_engine_for(url: str, *, echo: bool = False) -> AsyncEngine:
    """Return the async engine of a subgraph database (the only way the kit builds one).

    ``hide_parameters``: a failing statement's exception (and the log line made from it) would
    otherwise list the statement's parameters, which include personal data that is not
    encrypted (names) and the blind indexes.
    """
    prepare_sqlite_folder(url)
    is_sqlite = make_url(url).get_backend_name() == "sqlite"
    connect_args: dict[str, Any] = {"timeout": 30} if is_sqlite else {}
    engine = create_async_engine(
        url,
        echo=echo,
        connect_args=connect_args,
        pool_pre_ping=not is_sqlite,
        hide_parameters=True,
    )
    if is_sqlite:
        event.listen(engine.sync_engine, "connect", _configure_sqlite)
    return engine


class Database:
    """One subgraph's async engine and session factory, owned by the app's lifespan."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = make_url(url).get_backend_name() == "sqlite"
        self.engine: AsyncEngine = create_engine_for(url, echo=echo)
        self.sessionmaker = async_sessionmaker(
            self.engine,
            class_=SerialisedAsyncSession,
            expire_on_commit=False,
            autoflush=False,
        )

    def session(self) -> SerialisedAsyncSession:
        """Open a new session (the caller owns commit/rollback/close)."""
        return self.sessionmaker()

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()
