"""Who may read what, end to end: caller token at the router, internal token to each subgraph.

The router verifies the caller's bearer token and forwards the caller's identity to every
subgraph as an internal token; each subgraph applies its own policy. These tests check that the
identity survives the whole way (entity fetches and owner checks included), that a client cannot
tell another user's row from one that does not exist, and that nothing can be read around the
router.
"""

from __future__ import annotations

import json

import httpx

from crypto import INTERNAL_TOKEN_HEADER, mint_internal_token
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

    # Another user reads exactly like a user that does not exist: null, no error.
    other = await client.call(PROFILE, {"id": other_user}, headers=headers)
    assert other.status == 200
    assert other.body == {"data": {"user": None}}


MISSING = {
    "user": "usr_00000000000070008000000000000000",
    "account": "acc_00000000000070008000000000000000",
    "transaction": "txn_00000000000070008000000000000000",
}
READS = {
    "user": "query($id: ID!) { user(id: $id) { id emailAddress kycStatus "
    "investmentAccounts { nodes { id } } transactions { nodes { id } } } }",
    "account": "query($id: ID!) { investmentAccount(id: $id) { id clientReference "
    "cashBalance { amount } transactions { nodes { id } } } }",
    "transaction": "query($id: ID!) { transaction(id: $id) { id considerationAmount { amount } "
    "account { id } } }",
}


async def test_another_users_rows_read_exactly_like_missing_ones(
    api: Api, system: IntegrationSystem
) -> None:
    own_user, _ = await _customer(api)
    other_user, other_account = await _customer(api)
    [other_transaction] = (
        await api.call(
            "query($id: ID!) { investmentAccount(id: $id) { transactions { nodes { id } } } }",
            {"id": other_account},
        )
    ).ok()["investmentAccount"]["transactions"]["nodes"]
    theirs = {"user": other_user, "account": other_account, "transaction": other_transaction["id"]}
    client_headers = {**system.bearer("client", user_id=own_user), "accept": "application/json"}

    async def raw(query: str, entity_id: str, headers: dict[str, str]) -> tuple[int, bytes]:
        response = await api.client.post(
            "/graphql", json={"query": query, "variables": {"id": entity_id}}, headers=headers
        )
        return response.status_code, response.content

    for kind, query in READS.items():
        answer = await raw(query, theirs[kind], client_headers)
        assert answer == await raw(query, MISSING[kind], client_headers), kind
        assert answer[0] == 200 and list(json.loads(answer[1])) == ["data"], kind
        # Staff still read the row.
        staff = await api.call(query, {"id": theirs[kind]})
        assert next(iter(staff.ok().values()))["id"] == theirs[kind], kind


async def test_a_clients_token_reads_no_other_account_figures_at_the_subgraph(
    api: Api, system: IntegrationSystem
) -> None:
    # The transactions subgraph asks the real investments subgraph, with the client's own token,
    # whose account it is: another user's account shows what a missing account shows.
    own_user, own_account = await _customer(api)
    _, other_account = await _customer(api)
    assert system.internal_signing_key is not None
    token = mint_internal_token(
        system.internal_signing_key,
        sub="probing-client",
        roles=["client"],
        scope="pii:read",
        user_id=own_user,
        request_id=None,
        ttl=60,
    )
    query = (
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on InvestmentAccount { "
        "cashBalance { amount } availableCash { amount } transactions { nodes { id } } } } }"
    )

    async def figures(account_id: str) -> tuple[int, bytes]:
        representation = {"__typename": "InvestmentAccount", "id": account_id, "currency": "GBP"}
        async with httpx.AsyncClient(timeout=10) as direct:
            response = await direct.post(
                system.subgraph_urls["transactions"],
                json={"query": query, "variables": {"r": [representation]}},
                headers={INTERNAL_TOKEN_HEADER: token},
            )
        return response.status_code, response.content

    answer = await figures(other_account)
    assert answer == await figures(MISSING["account"])
    assert json.loads(answer[1]) == {
        "data": {
            "_entities": [
                {
                    "cashBalance": {"amount": "0.00"},
                    "availableCash": {"amount": "0.00"},
                    "transactions": {"nodes": []},
                }
            ]
        }
    }
    status, mine = await figures(own_account)
    assert status == 200
    assert json.loads(mine)["data"]["_entities"][0]["cashBalance"] == {"amount": "12.00"}


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
