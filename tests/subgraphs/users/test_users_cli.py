"""The command line: migrations on their own, and the SDL export."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

from subgraphs.kit import export_sdl
from subgraphs.kit.cli import run_cli
from subgraphs.users.app import MIGRATIONS_DIR, create_app
from subgraphs.users.schema import schema
from subgraphs.users.settings import UsersSettings


def _cli(argv: list[str], settings: UsersSettings) -> int:
    return run_cli(
        settings_factory=lambda: settings,
        app_factory=create_app,
        schema=schema,
        migrations_dir=MIGRATIONS_DIR,
        argv=argv,
    )


async def test_migrate_command_creates_the_schema(
    make_database_url: Callable[[str], Awaitable[str]], tmp_path: Path
) -> None:
    # A database of its own: the shared "users" one is already migrated by other tests.
    database_url = await make_database_url("users_cli")
    settings = UsersSettings(database_url=database_url, data_dir=tmp_path)
    # The command runs its own event loop, as it does from a shell.
    assert await asyncio.to_thread(_cli, ["migrate"], settings) == 0
    assert await asyncio.to_thread(_cli, ["migrate"], settings) == 0  # idempotent

    engine = create_async_engine(settings.resolved_database_url())
    try:
        async with engine.connect() as connection:
            tables, columns = await connection.run_sync(
                lambda sync: (
                    inspect(sync).get_table_names(),
                    {c["name"] for c in inspect(sync).get_columns("users")},
                )
            )
            version = (
                await connection.exec_driver_sql("SELECT version_num FROM alembic_version")
            ).scalar_one()
    finally:
        await engine.dispose()
    assert {"users", "alembic_version"} <= set(tables)
    assert {"email_address", "email_blind_index", "annual_income", "version"} <= columns
    assert version == "0003_create_idempotency"
    assert "audit_outbox" in tables


def test_print_sdl(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert _cli(["--print-sdl"], UsersSettings(data_dir=tmp_path)) == 0
    assert capsys.readouterr().out == export_sdl(schema)
    assert not any(tmp_path.iterdir())  # printing the SDL touches no database or key file
