"""The router's own behaviour over the real subgraphs: plans, batching, failures, the supergraph.

Requests are counted at the subgraph side (``RequestLog`` wraps each subgraph app), so batching is
observed where it matters: what actually reached each service.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import httpx

from crypto import INTERNAL_TOKEN_HEADER
from router.composition import compose, fetch_subgraphs
from router.planning import explain
from router.supergraph import Supergraph
from tests.integration.integration_support import Api
from tests.integration.integration_system import IntegrationSystem

FAN_OUT = """
query FanOut($nationality: String!) {
  users(first: 20, filter: {nationality: $nationality}) {
    nodes {
      id
      kycStatus
      investmentAccounts {
        nodes {
          id
          cashBalance { amount }
          transactions { nodes { id type complianceLogs { nodes { eventType } } } }
        }
      }
    }
  }
}
"""


def _fetches_per_service(plan: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for service in re.findall(r'Fetch\(service: "([a-z]+)"\)', plan):
        counts[service] = counts.get(service, 0) + 1
    return counts


async def _customer(api: Api, number: int) -> tuple[str, str]:
    user = await api.create_user(nationality="IS", firstName=f"Batch{number}")
    account = await api.open_account(user["id"])
    deposit = await api.deposit(account["id"], f"{number + 1}.00")
    if number % 5 == 0:
        await api.log_event(
            "AML_SCREENING",
            "CLEAR",
            userId=user["id"],
            accountId=account["id"],
            transactionId=deposit["id"],
        )
    return user["id"], account["id"]


async def test_entities_are_batched_one_request_per_subgraph_per_plan_node(
    api: Api, system: IntegrationSystem
) -> None:
    customers = await asyncio.gather(*(_customer(api, n) for n in range(20)))
    user_ids = sorted(user for user, _ in customers)

    plan = explain(Supergraph.from_sdl(system.supergraph_sdl), FAN_OUT)
    expected_fetches = _fetches_per_service(plan)
    # users (root), investments (accounts), transactions (cash, transactions), compliance twice
    # (User.kycStatus and Transaction.complianceLogs hang from different plan nodes).
    assert expected_fetches == {"users": 1, "investments": 1, "transactions": 1, "compliance": 2}

    system.clear_logs()
    data = await api.ok(FAN_OUT, {"nationality": "IS"})
    users = data["users"]["nodes"]
    assert [user["id"] for user in users] == user_ids
    balances = sorted(
        int(user["investmentAccounts"]["nodes"][0]["cashBalance"]["amount"].split(".")[0])
        for user in users
    )
    assert balances == list(range(1, 21))
    screened = [
        user
        for user in users
        if user["investmentAccounts"]["nodes"][0]["transactions"]["nodes"][0]["complianceLogs"][
            "nodes"
        ]
    ]
    assert len(screened) == 4

    received = {name: log.requests() for name, log in system.logs.items()}
    assert {name: len(requests) for name, requests in received.items()} == expected_fetches
    assert not any(r.is_entities for r in received["users"])
    for name in ("investments", "transactions", "compliance"):
        for request in received[name]:
            assert request.is_entities, request.query
            assert len(request.representations()) == 20, (name, request.representations())
    [accounts_fetch] = received["investments"]
    assert sorted(rep["id"] for rep in accounts_fetch.representations()) == user_ids


async def test_debug_header_shows_the_plan_of_a_cross_subgraph_query(
    api: Api, system: IntegrationSystem
) -> None:
    user = await api.create_user()
    with_plan = await api.call(FAN_OUT, {"nationality": "AQ"}, headers={"x-debug-plan": "1"})
    assert with_plan.ok() == {"users": {"nodes": []}}
    plan = with_plan.body["extensions"]["queryPlan"]
    assert plan == explain(Supergraph.from_sdl(system.supergraph_sdl), FAN_OUT)
    assert plan.startswith("QueryPlan {")
    assert set(_fetches_per_service(plan)) == {"users", "investments", "transactions", "compliance"}
    assert "_entities" not in plan or "Flatten" in plan
    assert 'Flatten(path: "users.nodes.@")' in plan

    plain = await api.call("query($id: ID!) { user(id: $id) { id } }", {"id": user["id"]})
    assert plain.ok() == {"user": {"id": user["id"]}}
    assert "extensions" not in plain.body


# A GET needs a preflight header (the router's CSRF rule): a browser cannot add one cross-site.
GET_HEADERS = {"accept": "application/graphql-response+json", "apollo-require-preflight": "true"}


async def test_get_runs_cross_subgraph_queries_and_refuses_mutations(
    api: Api, system: IntegrationSystem
) -> None:
    user = await api.create_user(firstName="Getter")
    await api.log_event("KYC_CHECK_REQUESTED", "PENDING", userId=user["id"])
    query = "query Get($id: ID!) { user(id: $id) { firstName kycStatus } }"
    response = await api.client.get(
        "/graphql",
        params={"query": query, "variables": json.dumps({"id": user["id"]})},
        headers=GET_HEADERS,
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"user": {"firstName": "Getter", "kycStatus": "PENDING"}}}

    system.clear_logs()
    mutation = 'mutation { updateUser(input: {id: "%s", version: 1, firstName: "Nope"}) { id } }'
    refused = await api.client.get(
        "/graphql",
        params={"query": mutation % user["id"]},
        headers=GET_HEADERS,
    )
    assert refused.status_code == 405
    assert all(not log.requests() for log in system.logs.values())
    still = await api.ok("query($id: ID!) { user(id: $id) { firstName } }", {"id": user["id"]})
    assert still == {"user": {"firstName": "Getter"}}


async def test_a_stopped_subgraph_gives_partial_data_and_errors(
    api: Api, system: IntegrationSystem
) -> None:
    user = await api.create_user(firstName="Partial")
    account = await api.open_account(user["id"])
    log = await api.log_event("KYC_CHECK_REQUESTED", "PENDING", userId=user["id"])
    both = """query Both($user: ID!, $log: ID!) {
      user(id: $user) { id firstName investmentAccounts { nodes { id status } } }
      complianceLog(id: $log) { id eventType }
    }"""
    nested = """query Nested($user: ID!, $account: ID!) {
      user(id: $user) { id kycStatus }
      investmentAccount(id: $account) { id name }
    }"""
    variables = {"user": user["id"], "log": log["id"]}
    nested_variables = {"user": user["id"], "account": account["id"]}

    with system.stopped("compliance"):
        partial = await api.call(both, variables)
        assert partial.status == 200
        assert partial.data == {
            "user": {
                "id": user["id"],
                "firstName": "Partial",
                "investmentAccounts": {"nodes": [{"id": account["id"], "status": "ACTIVE"}]},
            },
            "complianceLog": None,
        }
        [error] = partial.errors
        # A failed fetch is a field error (spec 7.1.2) at each field it served, as Hive Gateway
        # reports it, with code and service as Apollo Router does.
        assert error["extensions"] == {"code": "SUBREQUEST_HTTP_ERROR", "service": "compliance"}
        assert error["path"] == ["complianceLog"]
        assert "compliance" in error["message"]

        # A field compliance contributes to the user is nullable (docs/subgraph-pattern.md): the
        # outage nulls that field only, the user from the users subgraph stays.
        entity = await api.call(nested, nested_variables)
        assert entity.status == 200
        assert entity.data == {
            "user": {"id": user["id"], "kycStatus": None},
            "investmentAccount": {"id": account["id"], "name": "GIA account"},
        }
        # One error, at the field the fetch was to fill: no second "Cannot return null" there.
        [fetch_error] = entity.errors
        assert fetch_error["extensions"] == {
            "code": "SUBREQUEST_HTTP_ERROR",
            "service": "compliance",
        }
        assert fetch_error["path"] == ["user", "kycStatus"]

    # Back up on the same port: the router recovers without a restart.
    assert (await api.call(both, variables)).ok()["complianceLog"] == {
        "id": log["id"],
        "eventType": "KYC_CHECK_REQUESTED",
    }
    assert (await api.call(nested, nested_variables)).ok()["user"] == {
        "id": user["id"],
        "kycStatus": "PENDING",
    }


async def test_readiness_names_the_stopped_subgraph(system: IntegrationSystem) -> None:
    async with httpx.AsyncClient(base_url=system.router_url) as client:
        ready = await client.get("/readyz")
        assert ready.status_code == 200, ready.json()
        assert ready.json()["status"] == "ok"
        assert ready.json()["subgraphs"] == {name: "ok" for name in sorted(system.subgraphs)}
        with system.stopped("compliance"):
            down = await client.get("/readyz")
        # Degraded but ready: the other subgraphs' data keeps being served.
        assert down.status_code == 200
        assert (down.json()["status"], down.json()["degraded"]) == ("degraded", ["compliance"])
        assert down.json()["subgraphs"]["compliance"] != "ok"
        assert down.json()["subgraphs"]["users"] == "ok"
        assert (await client.get("/readyz")).status_code == 200


async def test_page_sizes_over_the_limit_are_refused_before_any_subgraph_call(
    api: Api, system: IntegrationSystem
) -> None:
    user = await api.create_user()
    system.clear_logs()
    refused = await api.call(
        """query Big($id: ID!, $n: Int!) {
          user(id: $id) { id transactions(first: $n) { nodes { id } } }
        }""",
        {"id": user["id"], "n": 1000},
    )
    assert refused.status == 400 and refused.data is None
    assert refused.codes == ["PAGE_SIZE_TOO_LARGE"]
    assert all(not log.requests() for log in system.logs.values())


async def test_a_write_whose_owner_is_down_is_refused_and_retryable(
    api: Api, system: IntegrationSystem
) -> None:
    user = await api.create_user()
    with system.stopped("users"):
        refused = await api.call(
            """mutation Open($input: CreateInvestmentAccountInput!) {
              createInvestmentAccount(input: $input) { id }
            }""",
            {
                "input": {
                    "userId": user["id"],
                    "clientReference": "OWNER-DOWN",
                    "accountType": "GIA",
                    "name": "Refused",
                }
            },
        )
    assert refused.status == 200 and refused.data is None
    [error] = refused.errors
    assert error["path"] == ["createInvestmentAccount"]
    assert error["extensions"]["code"] == "DEPENDENCY_UNAVAILABLE"
    assert error["extensions"]["retryable"] is True
    # Nothing was written: the same reference is free once the owner is back.
    account = await api.open_account(user["id"], reference="OWNER-DOWN")
    listed = await api.ok(
        "query($id: ID!) { user(id: $id) { investmentAccounts { nodes { id } } } }",
        {"id": user["id"]},
    )
    assert listed == {"user": {"investmentAccounts": {"nodes": [{"id": account["id"]}]}}}


async def test_the_running_subgraphs_compose_to_the_supergraph_the_router_serves(
    system: IntegrationSystem,
) -> None:
    # The SDLs the services serve (_service { sdl }) are the committed schema/ files: composing
    # either gives the supergraph the router runs on.
    # _service is behind the subgraphs' authentication like every /graphql request.
    headers = {INTERNAL_TOKEN_HEADER: system.internal_token()}
    async with httpx.AsyncClient(headers=headers, timeout=10) as client:
        live = await fetch_subgraphs(system.subgraph_urls, client=client)
    assert compose(live) == system.supergraph_sdl
    served: Any = Supergraph.from_sdl(system.supergraph_sdl)
    assert dict(served.subgraph_urls) == system.subgraph_urls
