"""Batches cost one SQL query whatever their size: ``_entities`` of N transactions, the
contributed ``transactions`` of N accounts or N users, and the cash figures of N accounts."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from subgraphs.kit.testing import count_queries, execute, state_of
from tests.subgraphs.transactions.transactions_support import (
    StandInInvestments,
    create_ok,
    deposit_settled,
)

UNKNOWN = "txn_0000000000007000800000000000000"
SIZES = [2, 7]


@pytest.mark.parametrize("count", SIZES)
async def test_entities_batch_of_transactions_costs_one_query(
    client: httpx.AsyncClient, transactions_app: FastAPI, account: str, count: int
) -> None:
    made = [
        await create_ok(client, account, considerationAmount=f"{n + 1}.00") for n in range(count)
    ]
    wanted = [t["id"] for t in reversed(made)]
    wanted.insert(len(wanted) // 2, UNKNOWN)
    query = """query($r: [_Any!]!) { _entities(representations: $r) {
        ... on Transaction { id considerationAmount { amount } account { id } user { id } } } }"""

    with count_queries(state_of(transactions_app).database.engine) as queries:
        result = await execute(
            client, query, {"r": [{"__typename": "Transaction", "id": i} for i in wanted]}
        )

    entities = result.ok()["_entities"]
    assert [e["id"] if e else None for e in entities] == [
        None if w == UNKNOWN else w for w in wanted
    ]
    by_id = {t["id"]: t for t in made}
    for entity in entities:
        if entity is not None:
            expected = by_id[entity["id"]]
            assert (
                entity["considerationAmount"]["amount"] == expected["considerationAmount"]["amount"]
            )
            assert entity["account"]["id"] == account
    assert len(queries.selects()) == 1, queries.statements


@pytest.mark.parametrize("count", SIZES)
async def test_transactions_of_n_accounts_and_n_users_cost_one_query_each(
    client: httpx.AsyncClient,
    transactions_app: FastAPI,
    investments: StandInInvestments,
    count: int,
) -> None:
    accounts = [investments.add() for _ in range(count)]
    expected: dict[str, list[str]] = {}
    for n, account in enumerate(accounts):
        # Each account gets n % 3 + 1 transactions; a page of 2 shows hasNextPage for three.
        expected[account] = [(await create_ok(client, account))["id"] for _ in range(n % 3 + 1)]
    engine = state_of(transactions_app).database.engine

    for typename, parent_ids in (
        ("InvestmentAccount", accounts),
        ("User", [investments.user_of(a) for a in accounts]),
    ):
        query = f"""query($r: [_Any!]!) {{ _entities(representations: $r) {{
            ... on {typename} {{ id transactions(first: 2) {{
                nodes {{ id accountId }} pageInfo {{ hasNextPage }} }} }} }} }}"""
        representations = [
            {"__typename": typename, "id": parent_id} for parent_id in reversed(parent_ids)
        ]
        with count_queries(engine) as queries:
            result = await execute(client, query, {"r": representations})
        entities = result.ok()["_entities"]
        assert len(queries.selects()) == 1, queries.statements
        for entity in entities:
            nodes = entity["transactions"]["nodes"]
            account = nodes[0]["accountId"]
            assert [node["id"] for node in nodes] == expected[account][:2]
            assert entity["transactions"]["pageInfo"]["hasNextPage"] == (len(expected[account]) > 2)


@pytest.mark.parametrize("count", SIZES)
async def test_cash_of_n_accounts_costs_one_query(
    client: httpx.AsyncClient,
    transactions_app: FastAPI,
    investments: StandInInvestments,
    count: int,
) -> None:
    accounts = [investments.add() for _ in range(count)]
    for n, account in enumerate(accounts):
        await deposit_settled(client, account, f"{n + 1}00.00")
        await create_ok(client, account, type="WITHDRAWAL", considerationAmount="50.00")
    empty = investments.add(currency="USD")
    query = """query($r: [_Any!]!) { _entities(representations: $r) {
        ... on InvestmentAccount { id cashBalance { amount currency }
            availableCash { amount currency } } } }"""
    representations = [
        {"__typename": "InvestmentAccount", "id": a, "currency": "GBP"} for a in accounts
    ] + [{"__typename": "InvestmentAccount", "id": empty, "currency": "USD"}]

    with count_queries(state_of(transactions_app).database.engine) as queries:
        result = await execute(client, query, {"r": representations})

    entities = result.ok()["_entities"]
    assert len(queries.selects()) == 1, queries.statements
    for n, entity in enumerate(entities[:-1]):
        assert entity["cashBalance"] == {"amount": f"{n + 1}00.00", "currency": "GBP"}
        assert entity["availableCash"] == {"amount": f"{n + 1}00.00", "currency": "GBP"} | {
            "amount": str(int(f"{n + 1}00") - 50) + ".00"
        }
    assert entities[-1]["cashBalance"] == {"amount": "0.00", "currency": "USD"}
