"""Who may read what, end to end: caller token at the router, internal token to each subgraph.

The router verifies the caller's bearer token and forwards the caller's identity to every
subgraph as an internal token; each subgraph applies its own policy. These tests check that the
identity survives the whole way (entity fetches and owner checks included) and that nothing can
be read around the router.
"""

from __future__ import annotations

import httpx

from tests.integration.integration_support import ACCEPT, Api
from tests.integration.integration_system import IntegrationSystem

PROFILE = """query Profile($id: ID!) {
  user(id: $id) {
    id
    firstName
    emailAddress
    kycStatus
    investmentAccounts { nodes { id cashBalance { amount } transactions { nodes { type } } } }
  }
}"""


async def _customer(api: Api) -> tuple[str, str]:
    user = await api.create_user()
    account = await api.open_account(user["id"])
    await api.deposit(account["id"], "12.00")
    return user["id"], account["id"]


async def test_a_client_reads_its_own_data_across_subgraphs_and_nothing_else(
    api: Api, system: IntegrationSystem
) -> None:
    own_user, own_account = await _customer(api)
    other_user, _ = await _customer(api)
    client = Api(api.client)
    headers = system.bearer("client", user_id=own_user)

    own = await client.call(PROFILE, {"id": own_user}, headers=headers)
    assert own.ok()["user"]["id"] == own_user
    assert own.data["user"]["investmentAccounts"]["nodes"] == [
        {
            "id": own_account,
            "cashBalance": {"amount": "12.00"},
            "transactions": {"nodes": [{"type": "DEPOSIT"}]},
        }
    ]

    other = await client.call(PROFILE, {"id": other_user}, headers=headers)
    assert other.status == 200
    assert other.data == {"user": None}
    assert "FORBIDDEN" in other.codes
    forbidden = next(e for e in other.errors if e["extensions"].get("code") == "FORBIDDEN")
    assert forbidden["path"][0] == "user"
    assert forbidden["extensions"]["reason"] == "NOT_OWN"


async def test_sensitive_fields_need_the_pii_scope(api: Api, system: IntegrationSystem) -> None:
    user_id, _ = await _customer(api)
    response = await api.call(PROFILE, {"id": user_id}, headers=system.bearer("advisor", scope=""))
    assert response.status == 200
    assert response.data["user"]["id"] == user_id
    assert response.data["user"]["emailAddress"] is None
    assert response.data["user"]["investmentAccounts"]["nodes"][0]["cashBalance"] == {
        "amount": "12.00"
    }
    [error] = response.errors
    assert error["path"] == ["user", "emailAddress"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert error["extensions"]["reason"] == "SCOPE"


async def test_no_caller_token_no_data(system: IntegrationSystem) -> None:
    system.clear_logs()
    async with httpx.AsyncClient(base_url=system.router_url, timeout=10) as anonymous:
        response = await anonymous.post(
            "/graphql",
            json={"query": "{ users { nodes { id emailAddress } } }"},
            headers={"accept": ACCEPT},
        )
    assert response.status_code == 401
    assert "data" not in response.json()
    assert all(not log.requests() for log in system.logs.values())


async def test_a_subgraph_port_reads_nothing_without_an_internal_token(
    api: Api, system: IntegrationSystem
) -> None:
    user_id, _ = await _customer(api)
    query = {
        "query": "query($id: ID!) { user(id: $id) { emailAddress } }",
        "variables": {"id": user_id},
    }
    async with httpx.AsyncClient(timeout=10) as direct:
        # Even with a caller token the router would accept: subgraphs trust only the router.
        response = await direct.post(
            system.subgraph_urls["users"], json=query, headers=system.bearer()
        )
    assert response.status_code == 401
    assert response.json().get("data") is None
    assert user_id not in response.text
