"""``wealthtech keys``: generate, rotate, status and a resumable re-encryption on a real database.

The users subgraph writes its rows through its own API (real keys from the keyring files the CLI
manages, a real SQLite database, and a real PostgreSQL database where TEST_POSTGRES_URL is set);
the CLI then counts, rotates and re-encrypts them.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from crypto import Keyring
from subgraphs.users.settings import UsersSettings
from tests.cli.cli_support import create_users, isolate_environment, read_users
from tests.conftest import postgres_url
from tests.subgraphs.support import create_postgres_database, drop_postgres_database
from wealthtech_cli.__main__ import main

USERS_COLUMNS = [
    "users.annual_income",
    "users.date_of_birth",
    "users.email_address",
    "users.sources_of_wealth",
    "users.telephone_number",
]


def status(capsys: pytest.CaptureFixture[str]) -> dict[str, dict[str, int]]:
    capsys.readouterr()
    assert main(["keys", "status", "--subgraph", "users", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    columns: dict[str, dict[str, int]] = report["users"]["columns"]
    return columns


async def _raw_rows() -> dict[str, tuple[object, ...]]:
    engine = create_async_engine(UsersSettings().resolved_database_url())
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT id, version, updated_at, email_address, annual_income FROM users")
            )
            return {row[0]: tuple(row[1:]) for row in rows}
    finally:
        await engine.dispose()


def raw_rows() -> dict[str, tuple[object, ...]]:
    """The stored rows as the database holds them (ciphertext, version, timestamp)."""
    return asyncio.run(_raw_rows())


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def users_database(
    request: pytest.FixtureRequest, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """The users database on each back-end (SQLite in the data folder by default)."""
    if request.param == "sqlite":
        yield "sqlite"
        return
    if postgres_url() is None:
        pytest.skip("no PostgreSQL server: set TEST_POSTGRES_URL (CI does)")
    url = asyncio.run(create_postgres_database("ops_keys"))
    monkeypatch.setenv("USERS_DATABASE_URL", url)
    try:
        yield "postgresql"
    finally:
        asyncio.run(drop_postgres_database(url))


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    isolate_environment(monkeypatch, tmp_path)
    return tmp_path


def test_generate_creates_keyring_files_once(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["keys", "generate", "--subgraph", "users"]) == 0
    keyring_file = data_dir / "keys" / "users.keyring.json"
    blind_file = data_dir / "keys" / "users.blind-index-keyring.json"
    assert keyring_file.stat().st_mode & 0o777 == 0o600
    assert blind_file.stat().st_mode & 0o777 == 0o600
    first = keyring_file.read_text()
    assert Keyring.from_json(first).key_ids == ("k1",)
    assert "created" in capsys.readouterr().out
    # A second run keeps the keys: replacing them would make every stored value unreadable.
    assert main(["keys", "generate", "--subgraph", "users"]) == 0
    assert keyring_file.read_text() == first
    assert "exists, kept" in capsys.readouterr().out


def test_rotate_then_reencrypt_resumes_and_changes_nothing_else(
    data_dir: Path, users_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["keys", "generate", "--subgraph", "users"]) == 0
    old_ids = create_users([1, 2, 3])

    assert main(["keys", "rotate", "--subgraph", "users"]) == 0
    keyring = Keyring.from_file(data_dir / "keys" / "users.keyring.json")
    assert keyring.key_ids == ("k1", "k2") and keyring.active_key_id == "k2"
    new_ids = create_users([4, 5])  # a restarted service writes with the new key

    counts = status(capsys)
    assert sorted(counts) == USERS_COLUMNS
    assert all(c == {"k1": 3, "k2": 2} for c in counts.values()), counts
    before = raw_rows()
    plaintext_before = read_users(old_ids + new_ids)

    # Interrupted after one batch of two values: those two are committed under k2, the rest
    # waits. Exit status 3 says "stopped early, run again".
    capsys.readouterr()
    assert (
        main(
            ["keys", "re-encrypt", "--subgraph", "users", "--batch-size", "2", "--max-batches", "1"]
        )
        == 3
    )
    assert "run again to resume" in capsys.readouterr().out
    partial = status(capsys)
    assert sum(c.get("k1", 0) for c in partial.values()) == 15 - 2

    # Resumed: everything left moves, what was moved is not touched again.
    assert main(["keys", "re-encrypt", "--subgraph", "users", "--batch-size", "2"]) == 0
    out, err = capsys.readouterr()
    assert "13 values moved to k2" in out
    assert "100%" in err  # the progress bar reached its end
    assert all(c == {"k2": 5} for c in status(capsys).values())

    after = raw_rows()
    for user_id in old_ids:
        version, updated_at, email, income = after[user_id]
        assert (version, updated_at) == before[user_id][:2]  # no version bump, no new timestamp
        assert email != before[user_id][2] and income != before[user_id][3]
    for user_id in new_ids:
        assert after[user_id] == before[user_id]  # already under k2: left byte for byte
    # The service still reads every value, and reads the same plaintext as before.
    assert read_users(old_ids + new_ids) == plaintext_before

    # Nothing left to do: a third run moves nothing.
    assert main(["keys", "re-encrypt", "--subgraph", "users"]) == 0
    assert "0 values moved to k2, 25 already under it" in capsys.readouterr().out


def test_reencrypt_reports_values_that_do_not_open(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["keys", "generate", "--subgraph", "users"]) == 0
    [first, second] = create_users([1, 2])
    assert main(["keys", "rotate", "--subgraph", "users"]) == 0
    # Someone copied one user's sealed e-mail onto another row: bound to the first row, it must
    # not open on the second, and the tool leaves it for a person to look at.
    with sqlite3.connect(data_dir / "users.sqlite3") as connection:
        connection.execute(
            "UPDATE users SET email_address = (SELECT email_address FROM users WHERE id = ?) "
            "WHERE id = ?",
            (first, second),
        )
    capsys.readouterr()
    assert main(["keys", "re-encrypt", "--subgraph", "users"]) == 1
    out = capsys.readouterr().out
    assert f"users.email_address {second}" in out
    assert "9 values moved to k2" in out
    assert status(capsys)["users.email_address"] == {"k1": 1, "k2": 1}


def test_reencrypt_refuses_without_keys_instead_of_generating_them(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["keys", "re-encrypt", "--subgraph", "users"]) == 2
    assert "no keys configured" in capsys.readouterr().err
    assert not (data_dir / "keys").exists()


def test_rotate_refuses_keys_held_in_a_variable(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("USERS_ENCRYPTION_SECRET_KEY", "00" * 32)
    monkeypatch.setenv("USERS_BLIND_INDEX_KEY", "11" * 32)
    assert main(["keys", "rotate", "--subgraph", "users"]) == 2
    err = capsys.readouterr().err
    assert "USERS_ENCRYPTION_SECRET_KEY" in err and "00" * 32 not in err


def test_rotate_a_configured_keyring_file(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    keyring_file = data_dir / "prod" / "users.json"
    monkeypatch.setenv("USERS_ENCRYPTION_KEYRING_FILE", str(keyring_file))
    monkeypatch.setenv("USERS_BLIND_INDEX_KEYRING_FILE", str(data_dir / "prod" / "users-bi.json"))
    assert main(["keys", "generate", "--subgraph", "users"]) == 0
    assert main(["keys", "rotate", "--subgraph", "users", "--key-id", "2027-01"]) == 0
    keyring = Keyring.from_file(keyring_file)
    assert keyring.key_ids == ("k1", "2027-01") and keyring.active_key_id == "2027-01"
    assert not (data_dir / "keys").exists()  # the development files were not involved


def test_status_on_a_missing_database_says_how_to_create_it(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["keys", "status", "--subgraph", "users"]) == 2
    assert "migrate" in capsys.readouterr().err
