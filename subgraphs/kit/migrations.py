"""Alembic migrations per subgraph, applied at start-up or by a command, on SQLite and PostgreSQL.

Each subgraph has ``subgraphs/<name>/migrations/`` with an ``env.py`` that only calls
:func:`run_alembic_env` with its metadata, and a ``versions/`` folder. No ``alembic.ini`` is
needed: :func:`alembic_config` builds the configuration in code from the subgraph's settings.

At start-up the app hands Alembic a connection from its own async engine (``upgrade``); from the
command line ``env.py`` opens its own engine from the configured URL.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from .database import create_engine_for, prepare_sqlite_folder

__all__ = ["alembic_config", "migration_drift", "run_alembic_env", "upgrade", "upgrade_sync"]


def alembic_config(database_url: str, migrations_dir: Path) -> Config:
    """Return an Alembic configuration for one subgraph's migrations and database."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    # ConfigParser interpolation would choke on '%' in passwords.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    return config


def _upgrade_on(connection: Connection, config: Config, revision: str) -> None:
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def upgrade(engine: AsyncEngine, migrations_dir: Path, revision: str = "head") -> None:
    """Apply migrations up to ``revision`` through ``engine`` (used by the app's lifespan)."""
    config = alembic_config(engine.url.render_as_string(hide_password=False), migrations_dir)
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade_on, config, revision)


def upgrade_sync(database_url: str, migrations_dir: Path, revision: str = "head") -> None:
    """Apply migrations from a command line (opens and closes its own engine)."""
    prepare_sqlite_folder(database_url)  # a fresh machine has no data folder yet
    command.upgrade(alembic_config(database_url, migrations_dir), revision)


def _configure_and_run(connection: Connection, target_metadata: MetaData) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds tables, PostgreSQL ignores it.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_with_own_engine(url: str, target_metadata: MetaData) -> None:
    engine = create_engine_for(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_configure_and_run, target_metadata)
    finally:
        await engine.dispose()


def run_alembic_env(target_metadata: MetaData) -> None:
    """Body of a subgraph's ``migrations/env.py``: run online against the configured database."""
    config = context.config
    if context.is_offline_mode():
        context.configure(
            url=config.get_main_option("sqlalchemy.url"),
            target_metadata=target_metadata,
            literal_binds=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    connection: Any = config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection, target_metadata)
    else:
        url = config.get_main_option("sqlalchemy.url")
        if url is None:
            raise RuntimeError("alembic configuration has no sqlalchemy.url")
        asyncio.run(_run_with_own_engine(url, target_metadata))


def _drift_on(connection: Connection, target_metadata: MetaData) -> list[Any]:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, target_metadata))


async def migration_drift(engine: AsyncEngine, target_metadata: MetaData) -> list[Any]:
    """Return the differences between the migrated database and the models (empty when in sync).

    A test asserts this is empty after the app migrated a fresh database, so a model change
    without its migration (or the reverse) fails in CI instead of in production.
    """
    async with engine.connect() as connection:
        return await connection.run_sync(_drift_on, target_metadata)
