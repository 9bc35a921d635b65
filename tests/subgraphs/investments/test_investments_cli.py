"""``python -m subgraphs.investments``: the SDL export and the stand-alone migrate command."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from subgraphs.investments.app import MIGRATIONS_DIR, create_app
from subgraphs.investments.schema import schema
from subgraphs.investments.settings import InvestmentsSettings
from subgraphs.kit import export_sdl
from subgraphs.kit.cli import run_cli


def _run(argv: list[str], settings: InvestmentsSettings) -> int:
    return run_cli(
        settings_factory=lambda: settings,
        app_factory=create_app,
        schema=schema,
        migrations_dir=MIGRATIONS_DIR,
        argv=argv,
    )


def test_print_sdl_prints_the_exported_sdl(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert _run(["--print-sdl"], InvestmentsSettings(data_dir=tmp_path)) == 0
    assert capsys.readouterr().out == export_sdl(schema)


def test_migrate_creates_the_tables(tmp_path: Path) -> None:
    path = tmp_path / "investments.sqlite3"
    settings = InvestmentsSettings(database_url=f"sqlite:///{path}", data_dir=tmp_path)
    assert _run(["migrate"], settings) == 0
    assert _run(["migrate"], settings) == 0  # idempotent
    with sqlite3.connect(path) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        version = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    assert "investment_accounts" in tables
    assert version == ("0003_create_idempotency",)


def test_settings_read_the_investments_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INVESTMENTS_PORT", "5402")
    monkeypatch.setenv("INVESTMENTS_USERS_URL", "http://users.internal:4001/graphql")
    monkeypatch.setenv("USERS_PORT", "9999")  # another subgraph's setting is not ours
    settings = InvestmentsSettings()
    assert settings.port == 5402
    assert settings.users_url == "http://users.internal:4001/graphql"
    assert settings.env_name == "INVESTMENTS"
    assert InvestmentsSettings.model_fields["port"].default == 4002
