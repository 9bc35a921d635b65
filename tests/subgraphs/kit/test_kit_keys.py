"""Where keys come from: the environment, or development keys generated once in the data folder."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest

from crypto import KeyConfigurationError
from subgraphs.kit import load_encryption_services
from subgraphs.kit.keys import development_key_files
from subgraphs.kit.testing import execute, running_app
from subgraphs.users.app import create_app
from subgraphs.users.settings import UsersSettings
from tests.subgraphs.users.users_support import CREATE_USER, GET_USER, user_input


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def test_development_keys_are_generated_once_with_owner_only_permissions(tmp_path: Path) -> None:
    keys_dir = tmp_path / "keys"
    first = load_encryption_services(
        subgraph="users", env_name="USERS", keys_dir=keys_dir, environ={}
    )
    data_file, blind_file = development_key_files(keys_dir, "users")
    for path in (data_file, blind_file):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    contents = data_file.read_text(), blind_file.read_text()

    second = load_encryption_services(
        subgraph="users", env_name="USERS", keys_dir=keys_dir, environ={}
    )
    assert (data_file.read_text(), blind_file.read_text()) == contents  # reused, not replaced
    session_a, session_b = first.session(), second.session()
    sealed = session_a.seal("x@example.com", table="users", column="email_address", row_id="usr_1")
    assert (
        session_b.open(sealed, table="users", column="email_address", row_id="usr_1")
        == "x@example.com"
    )
    assert session_a.blind_index_email("x@example.com") == session_b.blind_index_email(
        "X@example.com"
    )


def test_environment_keys_win_and_no_file_is_written(tmp_path: Path) -> None:
    environ = {"USERS_ENCRYPTION_SECRET_KEY": _key(), "USERS_BLIND_INDEX_KEY": _key()}
    load_encryption_services(
        subgraph="users", env_name="USERS", keys_dir=tmp_path / "keys", environ=environ
    )
    assert not (tmp_path / "keys").exists()


def test_half_configured_keys_are_an_error_not_a_fallback(tmp_path: Path) -> None:
    with pytest.raises(KeyConfigurationError, match="USERS_BLIND_INDEX_KEY"):
        load_encryption_services(
            subgraph="users",
            env_name="USERS",
            keys_dir=tmp_path / "keys",
            environ={"USERS_ENCRYPTION_SECRET_KEY": _key()},
        )
    assert not (tmp_path / "keys").exists()


async def test_app_generates_keys_on_first_run_and_reads_its_data_after_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in os.environ:
        if "ENCRYPTION" in name or "BLIND_INDEX" in name:
            monkeypatch.delenv(name)
    settings = UsersSettings(data_dir=tmp_path)  # default SQLite file and dev keys under tmp_path

    async with running_app(create_app(settings)) as client:
        created = await execute(client, CREATE_USER, {"input": user_input()})
        user_id = created.ok()["createUser"]["id"]
    assert (tmp_path / "users.sqlite3").exists()
    assert (tmp_path / "keys" / "users.keyring.json").exists()

    async with running_app(create_app(settings)) as client:
        again = await execute(client, GET_USER, {"id": user_id})
    assert again.ok()["user"]["emailAddress"] == "ada.lovelace@example.com"


async def test_health_reports_an_unusable_database(tmp_path: Path) -> None:
    settings = UsersSettings(data_dir=tmp_path)
    app = create_app(settings)
    async with running_app(app) as client:
        await app.state.subgraph.database.engine.dispose()
        (tmp_path / "users.sqlite3").unlink()
        (tmp_path / "users.sqlite3").mkdir()  # a directory where the file was: cannot be opened
        response = await client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
