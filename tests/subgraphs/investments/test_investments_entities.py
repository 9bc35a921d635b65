"""Federation: ``_entities`` and ``User.investmentAccounts`` cost one SQL query per batch."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from subgraphs.kit.testing import count_queries, execute, state_of
from tests.subgraphs.investments.investments_support import (
    UNKNOWN_ACCOUNT,
    create_account,
    create_user,
    move,
)

ACCOUNT_ENTITIES = """query($representations: [_Any!]!) {
    _entities(representations: $representations) {
        ... on InvestmentAccount { id status currency userId user { id } clientReference } } }"""
USER_ACCOUNTS = """query($representations: [_Any!]!, $first: Int, $after: String,
                      $filter: UserInvestmentAccountsFilter) {
    _entities(representations: $representations) {
        ... on User { id investmentAccounts(first: $first, after: $after, filter: $filter) {
            nodes { id accountType status } pageInfo { hasNextPage endCursor } } } } }"""


async def test_account_entities_batch_costs_one_query(
    client: httpx.AsyncClient,
    users_client: httpx.AsyncClient,
    investments_app: FastAPI,
    subtests: pytest.Subtests,
) -> None:
    user_id = await create_user(users_client)
    accounts = [
        await create_account(client, user_id, clientReference=f"REF-{n}", currency="EUR")
        for n in range(6)
    ]
    accounts[0] = await move(client, accounts[0], "ACTIVE")
    by_id = {account["id"]: account for account in accounts}
    for count in (1, 3, 6):
        with subtests.test(msg=f"{count} accounts"):
            # Order reversed and an unknown id in the middle: the answer follows the request.
            wanted = [account["id"] for account in reversed(accounts[:count])]
            wanted.insert(len(wanted) // 2, UNKNOWN_ACCOUNT)
            representations = [{"__typename": "InvestmentAccount", "id": i} for i in wanted]

            with count_queries(state_of(investments_app).database.engine) as queries:
                result = await execute(
                    client, ACCOUNT_ENTITIES, {"representations": representations}
                )

            entities = result.ok()["_entities"]
            assert [e["id"] if e else None for e in entities] == [
                None if w == UNKNOWN_ACCOUNT else w for w in wanted
            ]
            for entity in entities:
                if entity is not None:
                    # What the transactions subgraph checks before accepting a transaction.
                    account = by_id[entity["id"]]
                    assert entity["status"] == account["status"]
                    assert entity["currency"] == "EUR"
                    assert entity["userId"] == user_id and entity["user"] == {"id": user_id}
                    assert entity["clientReference"] == account["clientReference"]
            assert len(queries.selects()) == 1, queries.statements
    assert by_id[accounts[0]["id"]]["status"] == "ACTIVE"


async def test_user_investment_accounts_for_n_users_cost_one_query(
    client: httpx.AsyncClient,
    users_client: httpx.AsyncClient,
    investments_app: FastAPI,
) -> None:
    user_ids = [await create_user(users_client, n) for n in range(6)]
    expected: dict[str, list[str]] = {}
    for n, user_id in enumerate(user_ids):
        # User n holds n % 3 + 1 accounts: lists of different lengths in one batch.
        expected[user_id] = [
            (await create_account(client, user_id, clientReference=f"R{k}"))["id"]
            for k in range(n % 3 + 1)
        ]
    unknown_user = "usr_00000000000070008000000000000000"
    representations = [{"__typename": "User", "id": u} for u in [*user_ids, unknown_user]]

    with count_queries(state_of(investments_app).database.engine) as queries:
        result = await execute(client, USER_ACCOUNTS, {"representations": representations})

    entities = result.ok()["_entities"]
    assert [e["id"] for e in entities] == [*user_ids, unknown_user]
    for entity in entities[:-1]:
        ids = [node["id"] for node in entity["investmentAccounts"]["nodes"]]
        assert ids == expected[entity["id"]]
        assert entity["investmentAccounts"]["pageInfo"]["hasNextPage"] is False
    assert entities[-1]["investmentAccounts"]["nodes"] == []
    assert len(queries.selects()) == 1, queries.statements


async def test_user_investment_accounts_page_and_filter_per_user(
    client: httpx.AsyncClient,
    users_client: httpx.AsyncClient,
    investments_app: FastAPI,
) -> None:
    ada = await create_user(users_client, 1)
    grace = await create_user(users_client, 2)
    ada_ids = [
        (await create_account(client, ada, clientReference=f"A{k}", accountType=kind))["id"]
        for k, kind in enumerate(["GIA", "SIPP", "GIA", "GIA"])
    ]
    grace_ids = [
        (await create_account(client, grace, clientReference=f"G{k}", accountType=kind))["id"]
        for k, kind in enumerate(["SIPP", "GIA"])
    ]
    representations = [{"__typename": "User", "id": u} for u in (ada, grace)]

    with count_queries(state_of(investments_app).database.engine) as queries:
        first = await execute(
            client, USER_ACCOUNTS, {"representations": representations, "first": 2}
        )
    assert len(queries.selects()) == 1, queries.statements
    ada_page, grace_page = (e["investmentAccounts"] for e in first.ok()["_entities"])
    assert [n["id"] for n in ada_page["nodes"]] == ada_ids[:2]
    assert ada_page["pageInfo"]["hasNextPage"] is True
    assert [n["id"] for n in grace_page["nodes"]] == grace_ids
    assert grace_page["pageInfo"]["hasNextPage"] is False

    rest = await execute(
        client,
        USER_ACCOUNTS,
        {
            "representations": representations[:1],
            "first": 2,
            "after": ada_page["pageInfo"]["endCursor"],
        },
    )
    [ada_rest] = (e["investmentAccounts"] for e in rest.ok()["_entities"])
    assert [n["id"] for n in ada_rest["nodes"]] == ada_ids[2:]
    assert ada_rest["pageInfo"]["hasNextPage"] is False

    gias = await execute(
        client,
        USER_ACCOUNTS,
        {"representations": representations, "filter": {"accountType": "GIA"}},
    )
    ada_gias, grace_gias = (e["investmentAccounts"]["nodes"] for e in gias.ok()["_entities"])
    assert [n["id"] for n in ada_gias] == [ada_ids[0], ada_ids[2], ada_ids[3]]
    assert [n["id"] for n in grace_gias] == [grace_ids[1]]


async def test_user_investment_accounts_refuse_bad_arguments(client: httpx.AsyncClient) -> None:
    representations = [{"__typename": "User", "id": "usr_00000000000070008000000000000000"}]
    bad = await execute(
        client, USER_ACCOUNTS, {"representations": representations, "after": "nope"}
    )
    assert bad.codes == ["BAD_USER_INPUT"]
    assert bad.errors[0]["extensions"]["field"] == "after"
    too_many = await execute(
        client, USER_ACCOUNTS, {"representations": representations, "first": 500}
    )
    assert too_many.errors[0]["extensions"]["field"] == "first"
