"""``wealthtech token``: development caller tokens and internal tokens for standard gateways."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from crypto.internal_token import load_or_create_dev_keypair, verify_internal_token
from router.auth import SecuritySettings, build_verifier
from wealthtech_cli.__main__ import main


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WEALTHTECH_DATA_DIR", str(tmp_path))
    for name in ("ROUTER_ENV", "ROUTER_JWT_HS256_SECRET", "ROUTER_INTERNAL_SIGNING_KEY"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


async def test_caller_token_verifies_at_the_router(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["token", "--role", "client", "--user", "usr_7", "--scope", "pii:read"]) == 0
    token = capsys.readouterr().out.strip()
    caller = await build_verifier(SecuritySettings(data_dir=data_dir)).verify(token)
    assert caller.roles == {"client"}
    assert caller.user_id == "usr_7"
    assert caller.scopes == {"pii:read"}
    assert caller.sub == "user:usr_7"


def test_internal_token_for_a_gateway_lives_a_day_by_default(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["token", "--internal", "--role", "admin", "--scope", "pii:read"]) == 0
    token = capsys.readouterr().out.strip()
    _, public_key = load_or_create_dev_keypair(data_dir / "keys")
    principal = verify_internal_token(token, [public_key])
    assert principal.roles == {"admin"} and principal.scopes == {"pii:read"}
    assert principal.sub == "gateway:admin"
    assert principal.expires_at is not None
    assert 86_000 < principal.expires_at - time.time() <= 86_400


def test_ttl_and_role_are_checked(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["token", "--role", "root"])
    with pytest.raises(SystemExit):
        main(["token", "--role", "admin", "--ttl", "100d"])
    assert main(["token", "--role", "admin", "--ttl", "90s"]) == 0


def test_production_without_a_secret_refuses(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ROUTER_ENV", "production")
    assert main(["token", "--role", "admin"]) == 2
    assert "ROUTER_JWT_HS256_SECRET" in capsys.readouterr().err
    assert not (data_dir / "keys").exists()
