from __future__ import annotations

from pathlib import Path

import pytest

from subgraphs.kit.settings import async_database_url
from subgraphs.users.settings import UsersSettings


def test_defaults_put_the_database_in_the_data_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("USERS_DATABASE_URL", raising=False)
    monkeypatch.setenv("WEALTHTECH_DATA_DIR", str(tmp_path))
    settings = UsersSettings()
    assert settings.port == 4001
    assert settings.env_name == "USERS"
    assert settings.keys_dir == tmp_path / "keys"
    assert settings.resolved_database_url() == f"sqlite+aiosqlite:///{tmp_path / 'users.sqlite3'}"


def test_prefixed_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("USERS_PORT", "5001")
    monkeypatch.setenv("USERS_DATABASE_URL", "postgresql://app:p%40ss@db:5432/users")
    monkeypatch.setenv("INVESTMENTS_PORT", "6000")  # another subgraph's prefix is ignored
    settings = UsersSettings()
    assert settings.port == 5001
    assert settings.resolved_database_url() == "postgresql+asyncpg://app:p%40ss@db:5432/users"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://h/db", "postgresql+asyncpg://h/db"),
        ("postgresql://h/db", "postgresql+asyncpg://h/db"),
        ("postgresql+asyncpg://h/db", "postgresql+asyncpg://h/db"),
        ("sqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite:///x.db"),
    ],
)
def test_async_database_url(given: str, expected: str) -> None:
    assert async_database_url(given) == expected
