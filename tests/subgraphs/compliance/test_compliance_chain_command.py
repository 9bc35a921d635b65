"""``python -m subgraphs.compliance chain verify``: exit status and report of the chain check."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from crypto import BlindIndexKeyring, EncryptionServices, Keyring
from subgraphs.compliance.__main__ import main
from subgraphs.compliance.app import create_app
from subgraphs.compliance.settings import ComplianceSettings
from subgraphs.kit.testing import running_app, state_of
from tests.conftest import ROOT
from tests.subgraphs.compliance.compliance_support import (
    INVESTMENTS_URL,
    USERS_URL,
    Owners,
    amend_log,
    create_log,
    guards_lifted,
)

KEYRING = Keyring.generate()
BLIND_KEYRING = BlindIndexKeyring.generate()


@pytest.fixture
def encryption_services() -> EncryptionServices:
    # The command reads its keys from the environment: the app under test uses the same ones.
    return EncryptionServices("compliance", KEYRING, BLIND_KEYRING)


@pytest.fixture
def command_env(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    for name in list(os.environ):
        if "ENCRYPTION" in name or "BLIND_INDEX" in name:
            monkeypatch.delenv(name)
    env = {
        "COMPLIANCE_DATABASE_URL": database_url,
        "WEALTHTECH_DATA_DIR": str(tmp_path / "command-data"),
        "COMPLIANCE_ENCRYPTION_KEYRING": KEYRING.to_json(),
        "COMPLIANCE_BLIND_INDEX_KEYRING": BLIND_KEYRING.to_json(),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


async def _run(*argv: str) -> int:
    # The command runs its own event loop, so it gets a thread of its own.
    return await asyncio.to_thread(main, ["chain", *argv])


async def test_verify_reports_an_intact_chain_then_the_first_broken_link(
    client: httpx.AsyncClient,
    compliance_app: FastAPI,
    owners: Owners,
    command_env: dict[str, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    user_id = await owners.new_user()
    log = await create_log(client, userId=user_id)
    await create_log(client, userId=user_id)
    await amend_log(client, id=log["id"], version=1, outcome="CONSIDER")

    assert await _run("verify") == 0
    out = capsys.readouterr().out
    assert "chain intact: 3 revisions (with sealed contents)" in out

    assert await _run("verify", "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True and report["checked"] == 3 and report["contentsChecked"] is True

    async with (
        guards_lifted(compliance_app),
        state_of(compliance_app).database.engine.begin() as connection,
    ):
        await connection.execute(
            text("UPDATE compliance_log_revisions SET outcome = 'FAIL' WHERE chain_index = 2")
        )
    assert await _run("verify") == 1
    out = capsys.readouterr().out
    assert "BROKEN at chain position 2" in out and "HASH_MISMATCH" in out

    assert await _run("verify", "--structure-only", "--json") == 1
    report = json.loads(capsys.readouterr().out)
    assert report["broken"]["chainIndex"] == 2
    assert report["broken"]["reason"] == "HASH_MISMATCH"
    assert report["contentsChecked"] is False


async def test_verify_without_keys_refuses_to_guess(
    client: httpx.AsyncClient,
    command_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("COMPLIANCE_ENCRYPTION_KEYRING")
    monkeypatch.delenv("COMPLIANCE_BLIND_INDEX_KEYRING")
    assert await _run("verify") == 2
    assert "--structure-only" in capsys.readouterr().err
    # Generating development keys here would make every sealed value look tampered with.
    assert not (Path(command_env["WEALTHTECH_DATA_DIR"]) / "keys").exists()
    assert await _run("verify", "--structure-only") == 0


async def test_verify_of_a_database_without_the_tables_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COMPLIANCE_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    assert await _run("verify", "--structure-only") == 2
    assert "migrate" in capsys.readouterr().err
    assert await _run("verify", "--expect-head", "x:abc", "--structure-only") == 2


async def test_the_module_command_exits_non_zero_on_a_broken_chain(
    owners: Owners, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The real `python -m` entry point, once (on SQLite: the command's code is the same for
    # every database, and the tests above run it on both).
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'command.sqlite3'}"
    env = {
        "COMPLIANCE_DATABASE_URL": database_url,
        "WEALTHTECH_DATA_DIR": str(tmp_path / "command-data"),
        "COMPLIANCE_ENCRYPTION_KEYRING": KEYRING.to_json(),
        "COMPLIANCE_BLIND_INDEX_KEYRING": BLIND_KEYRING.to_json(),
    }
    app = create_app(
        ComplianceSettings(
            database_url=database_url,
            data_dir=tmp_path,
            users_url=USERS_URL,
            investments_url=INVESTMENTS_URL,
        ),
        encryption_services=EncryptionServices("compliance", KEYRING, BLIND_KEYRING),
        owner_transport=owners.router,
    )
    async with running_app(app) as client:
        await create_log(client, userId=await owners.new_user())
        await create_log(client, accountId=owners.new_account())
        async with guards_lifted(app), state_of(app).database.engine.begin() as connection:
            await connection.execute(
                text("DELETE FROM compliance_log_revisions WHERE chain_index = 1")
            )
    environ = {
        name: value
        for name, value in os.environ.items()
        if "ENCRYPTION" not in name and "BLIND_INDEX" not in name
    }
    completed = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "subgraphs.compliance", "chain", "verify"],
        cwd=ROOT,
        env={**environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 1, completed.stderr
    assert "chain position 1" in completed.stdout
    assert "MISSING_REVISION" in completed.stdout
