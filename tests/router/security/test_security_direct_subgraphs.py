"""A direct call to a subgraph, bypassing the router, reads nothing without a valid internal token.

The subgraphs are the real four apps (as served on their ports by ``wealthtech up``), called
in-process over HTTP; only a token signed with the router's key, for the right audience and still
valid, opens them. The caller's own JWT is no use there either.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from crypto.internal_token import load_or_create_dev_keypair, mint_internal_token
from router.auth import mint_dev_token
from tests.router.security.platform_support import SecuredPlatform, secured_platform

pytestmark = pytest.mark.asyncio(loop_scope="module")

READS = {
    "users": '{ user(id: "%(own_user)s") { id emailAddress } }',
    "investments": '{ investmentAccount(id: "%(own_account)s") { id clientReference } }',
    "transactions": '{ transaction(id: "%(own_transaction)s") { id } }',
    "compliance": '{ complianceLog(id: "%(log)s") { id logDetails } }',
}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def platform(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[SecuredPlatform]:
    folder: Path = tmp_path_factory.mktemp("direct")
    async with secured_platform(folder) as running:
        yield running


async def direct(
    platform: SecuredPlatform, subgraph: str, headers: dict[str, str]
) -> tuple[int, dict[str, Any]]:
    transport = httpx.ASGITransport(app=platform.subgraphs[subgraph])
    async with httpx.AsyncClient(transport=transport, base_url=f"http://{subgraph}") as client:
        response = await client.post(
            "/graphql",
            json={"query": READS[subgraph] % vars(platform.ids)},
            headers={"accept": "application/json", **headers},
        )
    body: dict[str, Any] = response.json()
    return response.status_code, body


def refused(status: int, body: dict[str, Any]) -> bool:
    codes = {(e.get("extensions") or {}).get("code") for e in body.get("errors") or []}
    return status == 401 and codes == {"UNAUTHENTICATED"} and not body.get("data")


@pytest.mark.parametrize("subgraph", sorted(READS))
async def test_direct_calls_without_a_valid_internal_token_are_refused(
    platform: SecuredPlatform, subgraph: str
) -> None:
    signing_key, _ = load_or_create_dev_keypair(platform.keys_dir)
    stranger = Ed25519PrivateKey.generate()
    caller_jwt = mint_dev_token(platform.secret, roles=["admin"], scope=["pii:read"])
    attempts = {
        "no token": {},
        "garbage": {"x-internal-token": "not-a-token"},
        "the caller's own JWT as bearer": {"authorization": f"Bearer {caller_jwt}"},
        "the caller's own JWT as internal token": {"x-internal-token": caller_jwt},
        "signed by another key": {
            "x-internal-token": mint_internal_token(stranger, sub="x", roles=["admin"])
        },
        "expired": {
            "x-internal-token": mint_internal_token(
                signing_key, sub="x", roles=["admin"], ttl=60, now=1_000_000
            )
        },
    }
    for name, headers in attempts.items():
        status, body = await direct(platform, subgraph, headers)
        assert refused(status, body), (name, status, body)
    # The same request with a token the router would mint is answered.
    valid = mint_internal_token(signing_key, sub="x", roles=["admin"], scope="pii:read")
    status, body = await direct(platform, subgraph, {"x-internal-token": valid})
    assert status == 200 and not body.get("errors"), body
    assert all(value is not None for value in body["data"].values())


async def test_readiness_probes_carry_the_routers_own_token(platform: SecuredPlatform) -> None:
    response = await platform.router.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json()["subgraphs"] == {name: "ok" for name in READS}


async def test_a_probe_without_a_token_is_refused_by_the_subgraphs(
    platform: SecuredPlatform,
) -> None:
    from router.http.health import check_subgraphs

    transport = platform.router_app.state.router.transport
    results = await check_subgraphs(transport, sorted(READS), 5.0)
    assert results == {name: "answered { __typename } with errors" for name in READS}
