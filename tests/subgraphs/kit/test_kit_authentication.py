"""Direct calls to each subgraph: without a valid internal token nothing is read or written."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI

from crypto import internal_key_id, mint_internal_token
from subgraphs.compliance.app import create_app as create_compliance_app
from subgraphs.compliance.settings import ComplianceSettings
from subgraphs.investments.app import create_app as create_investments_app
from subgraphs.investments.settings import InvestmentsSettings
from subgraphs.kit.testing import execute, running_app, signing_key_for_tests, state_of
from subgraphs.transactions.app import create_app as create_transactions_app
from subgraphs.transactions.settings import TransactionsSettings
from subgraphs.users.app import create_app as create_users_app
from subgraphs.users.settings import UsersSettings
from tests.subgraphs.support import make_encryption_services

QUERY = "{ _service { sdl } }"
ENTITIES = {
    "users": ("User", "usr"),
    "investments": ("InvestmentAccount", "acc"),
    "transactions": ("Transaction", "txn"),
    "compliance": ("ComplianceLog", "cpl"),
}


def _app(name: str, database_url: str, data_dir: Path) -> FastAPI:
    services = make_encryption_services(name)
    if name == "users":
        return create_users_app(
            UsersSettings(database_url=database_url, data_dir=data_dir),
            encryption_services=services,
        )
    if name == "investments":
        return create_investments_app(
            InvestmentsSettings(database_url=database_url, data_dir=data_dir),
            encryption_services=services,
        )
    if name == "transactions":
        return create_transactions_app(
            TransactionsSettings(database_url=database_url, data_dir=data_dir),
            encryption_services=services,
        )
    return create_compliance_app(
        ComplianceSettings(database_url=database_url, data_dir=data_dir),
        encryption_services=services,
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _bad_tokens() -> dict[str, str]:
    key = signing_key_for_tests()
    now = time.time()
    good = mint_internal_token(key, sub="x", roles=["admin"], scope="pii:read")
    header, claims, _ = good.split(".")
    wrong_audience = json.loads(base64.urlsafe_b64decode(claims + "==")) | {"aud": "elsewhere"}
    signing_input = f"{header}.{_b64(json.dumps(wrong_audience).encode())}"
    none_header = {"alg": "none", "kid": internal_key_id(key.public_key())}
    return {
        "expired": mint_internal_token(key, sub="x", roles=["admin"], now=now - 600),
        "not yet valid": mint_internal_token(key, sub="x", roles=["admin"], now=now + 600),
        "forged": mint_internal_token(
            Ed25519PrivateKey.generate(), sub="x", roles=["admin"], scope="pii:read"
        ),
        "wrong audience": f"{signing_input}.{_b64(key.sign(signing_input.encode()))}",
        "alg none": f"{_b64(json.dumps(none_header).encode())}.{claims}.",
        "garbage": "not-a-token",
    }


@pytest.fixture(params=sorted(ENTITIES))
async def subgraph(
    request: pytest.FixtureRequest,
    make_database_url: Callable[[str], Awaitable[str]],
    tmp_path: Path,
) -> AsyncIterator[tuple[str, FastAPI, httpx.AsyncClient]]:
    name: str = request.param
    app = _app(name, await make_database_url(name), tmp_path)
    async with running_app(app) as client:
        yield name, app, client


async def test_direct_calls_need_a_valid_internal_token(
    subgraph: tuple[str, FastAPI, httpx.AsyncClient],
) -> None:
    name, app, client = subgraph
    typename, prefix = ENTITIES[name]
    entities = (
        f"query($r: [_Any!]!) {{ _entities(representations: $r) {{ ... on {typename} {{ id }} }} }}"
    )
    variables = {"r": [{"__typename": typename, "id": f"{prefix}_x"}]}

    # With a valid token the same request works (so the refusals below are about the token).
    assert (await execute(client, entities, variables)).ok() == {"_entities": [None]}

    missing = await execute(client, entities, variables, authenticated=False)
    assert missing.status_code == 401
    assert missing.body == {
        "errors": [
            {
                "message": "A valid internal token is required (X-Internal-Token).",
                "extensions": {"code": "UNAUTHENTICATED"},
            }
        ]
    }
    for reason, token in _bad_tokens().items():
        refused = await execute(client, QUERY, token=token)
        assert (refused.status_code, refused.codes) == (401, ["UNAUTHENTICATED"]), reason
        assert "data" not in refused.body, reason
    # GET is refused the same way, and the health probe stays open.
    got = await client.get("/graphql", params={"query": QUERY}, auth=httpx.Auth())
    assert got.status_code == 401
    health = await client.get("/healthz", auth=httpx.Auth())
    assert (health.status_code, health.json()["subgraph"]) == (200, name)
    assert state_of(app).settings.subgraph == name


async def test_development_keys_are_the_default(
    make_database_url: Callable[[str], Awaitable[str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("USERS_INTERNAL_TOKEN_PUBLIC_KEYS")
    monkeypatch.delenv("USERS_AUDIT_SIGNING_KEY")
    app = _app("users", await make_database_url("users"), tmp_path)
    async with running_app(app) as client:
        keys = state_of(app).internal_token_keys
        assert (tmp_path / "keys" / "internal-token.pub.pem").exists()
        assert keys.signing_key is not None
        assert list(keys.public_keys) == [internal_key_id(keys.signing_key.public_key())]
        assert internal_key_id(signing_key_for_tests().public_key()) not in keys.public_keys
        # The test key is no longer trusted; the development pair is.
        foreign = mint_internal_token(signing_key_for_tests(), sub="x", roles=["admin"])
        assert (await execute(client, QUERY, token=foreign)).status_code == 401
        (await execute(client, QUERY)).ok()
        assert "key_ids" in repr(keys) and "PRIVATE" not in repr(keys)
