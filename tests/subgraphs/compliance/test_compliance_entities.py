"""Federation: ``_entities`` and contributed lists cost one SQL query per batch, whatever N."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from subgraphs.kit.testing import count_queries, execute, state_of
from tests.subgraphs.compliance.compliance_support import Owners, amend_log, create_log

UNKNOWN_LOG = "cpl_00000000000070008000000000000000"
LOG_ENTITIES = """query($r: [_Any!]!) { _entities(representations: $r) {
    ... on ComplianceLog { id outcome version responseId logDetails user { id } } } }"""
PARENT_LISTS = """query($r: [_Any!]!) { _entities(representations: $r) {
    ... on User { id kycStatus complianceLogs(first: 2) {
        nodes { id eventType responseId } pageInfo { hasNextPage } } }
    ... on InvestmentAccount { id complianceLogs { nodes { id } } }
    ... on Transaction { id complianceLogs { nodes { id } } } } }"""
REVISIONS = """query($r: [_Any!]!) { _entities(representations: $r) {
    ... on ComplianceLog { id revisions { revision outcome } } } }"""


def _selects(queries: Any) -> list[str]:
    return list(queries.selects())


@pytest.mark.parametrize("count", [1, 6])
async def test_log_entities_cost_one_query(
    client: httpx.AsyncClient, compliance_app: FastAPI, owners: Owners, count: int
) -> None:
    user_id = await owners.new_user()
    logs = [await create_log(client, userId=user_id, responseId=f"r-{n}") for n in range(count)]
    await amend_log(client, id=logs[0]["id"], version=1, outcome="FAIL")
    wanted = [log["id"] for log in reversed(logs)]
    wanted.insert(len(wanted) // 2, UNKNOWN_LOG)
    representations = [{"__typename": "ComplianceLog", "id": log_id} for log_id in wanted]

    with count_queries(state_of(compliance_app).database.engine) as queries:
        result = await execute(client, LOG_ENTITIES, {"r": representations})

    entities = result.ok()["_entities"]
    assert [e["id"] if e else None for e in entities] == [
        None if w == UNKNOWN_LOG else w for w in wanted
    ]
    by_id = {e["id"]: e for e in entities if e}
    assert by_id[logs[0]["id"]]["outcome"] == "FAIL"  # the current revision
    assert by_id[logs[0]["id"]]["version"] == 2
    assert all(by_id[log["id"]]["responseId"] == log["responseId"] for log in logs)
    assert all(e["user"] == {"id": user_id} for e in entities if e)
    assert len(_selects(queries)) == 1, queries.statements


@pytest.mark.parametrize("parents", [1, 5])
async def test_contributed_lists_cost_one_query_per_field(
    client: httpx.AsyncClient, compliance_app: FastAPI, owners: Owners, parents: int
) -> None:
    users = [await owners.new_user() for _ in range(parents)]
    accounts = [owners.new_account(user_id) for user_id in users]
    transactions = [owners.new_transaction(account_id) for account_id in accounts]
    made: dict[str, list[str]] = {}
    for n, user_id in enumerate(users):
        # n + 1 logs for the n-th user, so pages differ in length; the first has a KYC event.
        for k in range(n + 1):
            event = "KYC_CHECK_REQUESTED" if k == 0 else "PEP_SCREENING"
            outcome = "PENDING" if k == 0 else "CLEAR"
            log = await create_log(
                client,
                userId=user_id,
                accountId=accounts[n],
                transactionId=transactions[n],
                eventType=event,
                outcome=outcome,
            )
            made.setdefault(user_id, []).append(log["id"])
    representations = (
        [{"__typename": "User", "id": u} for u in users]
        + [{"__typename": "InvestmentAccount", "id": a} for a in accounts]
        + [{"__typename": "Transaction", "id": t} for t in transactions]
    )

    with count_queries(state_of(compliance_app).database.engine) as queries:
        result = await execute(client, PARENT_LISTS, {"r": representations})

    entities = result.ok()["_entities"]
    for n, user_id in enumerate(users):
        user = entities[n]
        assert user["kycStatus"] == "PENDING"
        assert [node["id"] for node in user["complianceLogs"]["nodes"]] == made[user_id][:2]
        assert user["complianceLogs"]["pageInfo"]["hasNextPage"] is (n + 1 > 2)
        account = entities[parents + n]
        transaction = entities[2 * parents + n]
        assert [node["id"] for node in account["complianceLogs"]["nodes"]] == made[user_id]
        assert [node["id"] for node in transaction["complianceLogs"]["nodes"]] == made[user_id]
    # One query each: users' pages, accounts' pages, transactions' pages, KYC statuses.
    assert len(_selects(queries)) == 4, queries.statements


async def test_contributed_lists_page_and_filter(client: httpx.AsyncClient, owners: Owners) -> None:
    user_id = await owners.new_user()
    ids = [
        (await create_log(client, userId=user_id, eventType=event))["id"]
        for event in ("AML_SCREENING", "PEP_SCREENING", "AML_SCREENING", "AML_SCREENING")
    ]
    query = """query($r: [_Any!]!, $after: String) { _entities(representations: $r) {
        ... on User { complianceLogs(first: 2, after: $after, eventType: AML_SCREENING) {
            nodes { id } pageInfo { hasNextPage endCursor } } } } }"""
    r = [{"__typename": "User", "id": user_id}]
    first = (await execute(client, query, {"r": r})).ok()["_entities"][0]["complianceLogs"]
    assert [node["id"] for node in first["nodes"]] == [ids[0], ids[2]]
    assert first["pageInfo"]["hasNextPage"] is True
    after = first["pageInfo"]["endCursor"]
    second = (await execute(client, query, {"r": r, "after": after})).ok()["_entities"][0]
    assert [node["id"] for node in second["complianceLogs"]["nodes"]] == [ids[3]]
    assert second["complianceLogs"]["pageInfo"]["hasNextPage"] is False


async def test_revisions_of_many_logs_cost_one_query(
    client: httpx.AsyncClient, compliance_app: FastAPI, owners: Owners
) -> None:
    user_id = await owners.new_user()
    logs = [await create_log(client, userId=user_id, outcome="CONSIDER") for _ in range(4)]
    for log in logs[:2]:
        await amend_log(client, id=log["id"], version=1, outcome="CLEAR")
    representations = [{"__typename": "ComplianceLog", "id": log["id"]} for log in logs]
    with count_queries(state_of(compliance_app).database.engine) as queries:
        result = await execute(client, REVISIONS, {"r": representations})
    entities = result.ok()["_entities"]
    assert [len(e["revisions"]) for e in entities] == [2, 2, 1, 1]
    assert [r["outcome"] for r in entities[0]["revisions"]] == ["CONSIDER", "CLEAR"]
    # One for the logs, one for all their revisions.
    assert len(_selects(queries)) == 2, queries.statements


async def test_kyc_status_of_users_without_events(client: httpx.AsyncClient) -> None:
    query = """query($r: [_Any!]!) { _entities(representations: $r) {
        ... on User { id kycStatus complianceLogs { nodes { id } } } } }"""
    r = [{"__typename": "User", "id": "usr_00000000000070008000000000000000"}]
    entity = (await execute(client, query, {"r": r})).ok()["_entities"][0]
    assert entity["kycStatus"] == "NOT_STARTED"
    assert entity["complianceLogs"]["nodes"] == []
