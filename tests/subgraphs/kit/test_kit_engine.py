"""The kit's engine: statement parameters stay out of errors, and a fresh data folder is created."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from subgraphs.kit.cli import run_cli
from subgraphs.kit.database import Database
from subgraphs.users.app import MIGRATIONS_DIR, create_app
from subgraphs.users.schema import schema
from subgraphs.users.settings import UsersSettings

SECRET = "ada.lovelace@example.org"


async def test_a_failing_statement_does_not_show_its_parameters(database_url: str) -> None:
    database = Database(database_url)
    try:
        async with database.engine.connect() as connection:
            with pytest.raises(DBAPIError) as caught:
                await connection.execute(
                    text("SELECT :value FROM no_such_table"), {"value": SECRET}
                )
    finally:
        await database.dispose()
    message = str(caught.value)
    assert "no_such_table" in message  # the error itself is still there to debug
    assert SECRET not in message
    assert SECRET not in repr(caught.value)


def test_migrate_creates_a_missing_data_folder(tmp_path: Path) -> None:
    data_dir = tmp_path / "fresh-checkout" / "data"  # neither folder exists yet
    settings = UsersSettings(data_dir=data_dir)
    status = run_cli(
        settings_factory=lambda: settings,
        app_factory=create_app,
        schema=schema,
        migrations_dir=MIGRATIONS_DIR,
        argv=["migrate"],
    )
    assert status == 0
    with sqlite3.connect(data_dir / "users.sqlite3") as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert {"users", "alembic_version"} <= tables
