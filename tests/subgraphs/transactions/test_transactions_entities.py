"""Batches cost one SQL query whatever their size: ``_entities`` of N transactions, the
contributed ``transactions`` of N accounts or N users, and the cash figures of N accounts.

Each test asks a small and a larger batch of the same app and expects one query for each.
"""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from subgraphs.kit.testing import count_queries, execute, state_of
from tests.subgraphs.transactions.transactions_support import (
    StandInInvestments,
    create_ok,
    deposit_settled,
)

UNKNOWN = "txn_0000000000007000800000000000000"
SIZES = (1, 6)


async def test_entities_batch_of_transactions_costs_one_query(
    client: httpx.AsyncClient, transactions_app: FastAPI, account: str
) -> None:
    made = [
        await create_ok(client, account, considerationAmount=f"{n + 1}.00")
        for n in range(max(SIZES))
    ]
    query = """query($r: [_Any!]!) { _entities(representations: $r) {
        ... on Transaction { id considerationAmount { amount } account { id } user { id } } } }"""
    by_id = {t["id"]: t for t in made}

    for size in SIZES:
        # Order reversed and one unknown id in the middle: the answer follows the request.
        wanted = [t["id"] for t in reversed(made[:size])]
        wanted.insert(len(wanted) // 2, UNKNOWN)
        with count_queries(state_of(transactions_app).database.engine) as queries:
            result = await execute(
                client, query, {"r": [{"__typename": "Transaction", "id": i} for i in wanted]}
            )

        entities = result.ok()["_entities"]
        assert [e["id"] if e else None for e in entities] == [
            None if w == UNKNOWN else w for w in wanted
        ]
        for entity in entities:
            if entity is not None:
                expected = by_id[entity["id"]]["considerationAmount"]["amount"]
                assert entity["considerationAmount"]["amount"] == expected
                assert entity["account"]["id"] == account
        assert len(queries.selects()) == 1, queries.statements


async def test_transactions_of_n_accounts_and_n_users_cost_one_query_each(
    client: httpx.AsyncClient, transactions_app: FastAPI, investments: StandInInvestments
) -> None:
    accounts = [investments.add() for _ in range(max(SIZES))]
    expected: dict[str, list[str]] = {}
    for n, account in enumerate(accounts):
        # Accounts get 0, 1, 2 or 3 transactions; a page of 2 shows hasNextPage for three.
        expected[account] = [(await create_ok(client, account))["id"] for _ in range(n % 4)]
    engine = state_of(transactions_app).database.engine
    # Each stand-in account has its own user, so a user's transactions are its account's.
    account_of = {a: a for a in accounts} | {investments.user_of(a): a for a in accounts}

    for size in SIZES:
        for typename, parent_ids in (
            ("InvestmentAccount", accounts[:size]),
            ("User", [investments.user_of(a) for a in accounts[:size]]),
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
            for parent_id, entity in zip(reversed(parent_ids), entities, strict=True):
                account = account_of[parent_id]
                nodes = entity["transactions"]["nodes"]
                assert [node["id"] for node in nodes] == expected[account][:2]
                assert {node["accountId"] for node in nodes} <= {account}
                assert entity["transactions"]["pageInfo"]["hasNextPage"] == (
                    len(expected[account]) > 2
                )


async def test_cash_of_n_accounts_costs_one_query(
    client: httpx.AsyncClient, transactions_app: FastAPI, investments: StandInInvestments
) -> None:
    accounts = [investments.add() for _ in range(max(SIZES) - 1)]
    for n, account in enumerate(accounts):
        await deposit_settled(client, account, f"{n + 1}00.00")
    await create_ok(client, accounts[0], type="WITHDRAWAL", considerationAmount="50.00")
    empty = investments.add(currency="USD")  # no transactions: zero in its own currency
    representations = [
        {"__typename": "InvestmentAccount", "id": a, "currency": "GBP"} for a in accounts
    ] + [{"__typename": "InvestmentAccount", "id": empty, "currency": "USD"}]
    query = """query($r: [_Any!]!) { _entities(representations: $r) {
        ... on InvestmentAccount { id cashBalance { amount currency }
            availableCash { amount currency } } } }"""

    for size in SIZES:
        with count_queries(state_of(transactions_app).database.engine) as queries:
            result = await execute(client, query, {"r": representations[-size:]})
        entities = result.ok()["_entities"]
        assert len(queries.selects()) == 1, queries.statements
        assert entities[-1]["cashBalance"] == {"amount": "0.00", "currency": "USD"}

    for n, entity in enumerate(entities[:-1]):
        assert entity["cashBalance"] == {"amount": f"{n + 1}00.00", "currency": "GBP"}
        available = "50.00" if n == 0 else f"{n + 1}00.00"
        assert entity["availableCash"] == {"amount": available, "currency": "GBP"}
