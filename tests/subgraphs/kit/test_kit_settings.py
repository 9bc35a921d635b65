from __future__ import annotations

from pathlib import Path

import pytest

from subgraphs.compliance.settings import ComplianceSettings
from subgraphs.investments.settings import InvestmentsSettings
from subgraphs.kit.settings import SubgraphSettings, async_database_url
from subgraphs.transactions.settings import TransactionsSettings
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


SETTINGS = [UsersSettings, InvestmentsSettings, TransactionsSettings, ComplianceSettings]
PREFIXES = ("USERS_", "INVESTMENTS_", "TRANSACTIONS_", "COMPLIANCE_", "SUBGRAPH_", "")


@pytest.mark.parametrize("settings_class", SETTINGS, ids=lambda cls: cls.subgraph)
def test_each_subgraph_reads_only_its_own_prefix(
    settings_class: type[SubgraphSettings], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    own = str(settings_class.model_config["env_prefix"])
    for name in ("WEALTHTECH_DATA_DIR", f"{own}PORT", f"{own}DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    defaults = settings_class()
    # Every other prefix, the base class's and none at all: a generic ``PORT`` or ``DATA_DIR``
    # in a container's environment must not reconfigure every subgraph at once.
    for prefix in PREFIXES:
        if prefix != own:
            for name in ("DATA_DIR", "DATABASE_URL", "PORT", "HOST", "AUDIT_URL", "USERS_URL"):
                monkeypatch.setenv(f"{prefix}{name}", "9" if name == "PORT" else "/elsewhere")
    assert settings_class() == defaults
    assert defaults.data_dir == Path("data")

    monkeypatch.setenv("WEALTHTECH_DATA_DIR", str(tmp_path))  # the one shared, named setting
    assert settings_class().data_dir == tmp_path

    monkeypatch.setenv(f"{own}PORT", "5999")
    monkeypatch.setenv(f"{own}DATABASE_URL", "sqlite:///own.sqlite3")
    own_settings = settings_class()
    assert own_settings.port == 5999
    assert own_settings.resolved_database_url() == "sqlite+aiosqlite:///own.sqlite3"
