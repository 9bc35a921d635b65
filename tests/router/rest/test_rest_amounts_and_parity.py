"""Exact amounts over REST, and parity: one scenario through GraphQL and through REST agrees."""

from __future__ import annotations

import json
from typing import Any

from tests.router.rest.platform import Platform
from tests.router.rest.rest_support import active_account, bad_fields, problem, user_body


def _with_numbers(body: dict[str, Any], **numbers: str) -> str:
    """JSON text of ``body`` whose ``@name@`` placeholders are raw JSON numbers, as written."""
    text = json.dumps(body)
    for name, number in numbers.items():
        text = text.replace(f'"@{name}@"', number)
    return text


async def _post_raw(platform: Platform, path: str, raw: str, key: str | None = None) -> Any:
    headers = {"content-type": "application/json"}
    if key:
        headers["Idempotency-Key"] = key
    return await platform.router.post(path, content=raw.encode(), headers=headers)


async def test_json_numbers_are_read_exactly_and_amounts_come_back_as_strings(
    platform: Platform,
) -> None:
    # 1234567890123456.78 has no exact binary float: through a float it would become ...456.8.
    body = _with_numbers(
        user_body(annual_income={"amount": "@income@", "currency": "GBP"}),
        income="1234567890123456.78",
    )
    created = await _post_raw(platform, "/api/user", body)
    assert created.status_code == 201, created.text
    assert created.json()["annual_income"] == {"amount": "1234567890123456.78", "currency": "GBP"}

    _, account_id = await active_account(platform.router, email="grace@example.com")
    deposit_body = {
        "account_id": account_id,
        "type": "DEPOSIT",
        "consideration_amount": "@amount@",
        "charges_amount": "@charges@",
    }
    raw = _with_numbers(deposit_body, amount="1500.10", charges="0.30")
    deposit = await _post_raw(platform, "/api/transaction", raw, key="exact-1")
    assert deposit.status_code == 201, deposit.text
    payload = deposit.json()
    assert (payload["consideration_amount"], payload["charges_amount"]) == ("1500.10", "0.30")
    # Stored exactly: GraphQL reads the same digits.
    read = await platform.graphql(
        "query($id: ID!) { transaction(id: $id) { considerationAmount { amount } } }",
        {"id": payload["id"]},
    )
    assert read["data"]["transaction"]["considerationAmount"]["amount"] == "1500.10"

    # Too many decimals for GBP is the subgraph's rule; an exponent or 19 digits is ours.
    for value, field in (("1.001", "consideration_amount"), ("1e40", "consideration_amount")):
        raw = _with_numbers({**deposit_body, "charges_amount": "0"}, amount=value)
        refused = await _post_raw(platform, "/api/transaction", raw, key=f"bad-{value}")
        assert field in bad_fields(problem(refused, 422, "BAD_USER_INPUT"))
    text_amount = await platform.router.post(
        "/api/transaction",
        json={"account_id": account_id, "type": "DEPOSIT", "consideration_amount": "1e3"},
        headers={"Idempotency-Key": "bad-text"},
    )
    assert "consideration_amount" in bad_fields(problem(text_amount, 422, "BAD_USER_INPUT"))


USER_QUERY = """query($id: ID!) { user(id: $id) { id title firstName lastName dateOfBirth
nationality emailAddress telephoneNumber employmentStatus annualIncome { amount currency }
sourcesOfWealth status createdAt updatedAt version } }"""
TRANSACTION_QUERY = """query($id: ID!) { transaction(id: $id) { id accountId userId type status
currency considerationAmount { amount currency } chargesAmount { amount currency } isin quantity
price tradeDate settlementDate reference createdAt updatedAt version } }"""


def _user_as_rest(node: dict[str, Any]) -> dict[str, Any]:
    # Spelled out by hand (not the shim's own converter), so a mapping bug cannot agree with itself.
    return {
        "id": node["id"],
        "title": node["title"],
        "first_name": node["firstName"],
        "last_name": node["lastName"],
        "date_of_birth": node["dateOfBirth"],
        "nationality": node["nationality"],
        "email_address": node["emailAddress"],
        "telephone_number": node["telephoneNumber"],
        "employment_status": node["employmentStatus"],
        "annual_income": node["annualIncome"],
        "sources_of_wealth": node["sourcesOfWealth"],
        "status": node["status"],
        "created_at": node["createdAt"],
        "updated_at": node["updatedAt"],
        "version": node["version"],
    }


def _transaction_as_rest(node: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": node["id"],
        "account_id": node["accountId"],
        "user_id": node["userId"],
        "type": node["type"],
        "status": node["status"],
        "currency": node["currency"],
        "consideration_amount": node["considerationAmount"]["amount"],
        "charges_amount": node["chargesAmount"]["amount"],
        "isin": node["isin"],
        "quantity": node["quantity"],
        "price": node["price"],
        "trade_date": node["tradeDate"],
        "settlement_date": node["settlementDate"],
        "reference": node["reference"],
        "created_at": node["createdAt"],
        "updated_at": node["updatedAt"],
        "version": node["version"],
    }


_VOLATILE = {"id", "created_at", "updated_at", "account_id", "user_id", "email_address"}


def _stable(rest: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in rest.items() if k not in _VOLATILE}


async def _graphql_scenario(platform: Platform) -> tuple[str, str]:
    g = platform.graphql
    user = await g(
        "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }",
        {
            "i": {
                "title": "Dr",
                "firstName": "Ada",
                "lastName": "Lovelace",
                "dateOfBirth": "1985-12-10",
                "nationality": "GB",
                "emailAddress": "graphql@example.com",
                "telephoneNumber": "+44 7700 900123",
                "employmentStatus": "EMPLOYED",
                "annualIncome": {"amount": "85000.00", "currency": "GBP"},
                "sourcesOfWealth": ["EMPLOYMENT_INCOME", "SAVINGS"],
            }
        },
    )
    user_id = user["data"]["createUser"]["id"]
    await g(
        "mutation($i: UpdateUserInput!) { updateUser(input: $i) { id } }",
        {"i": {"id": user_id, "version": 1, "lastName": "King", "title": None}},
    )
    account = await g(
        "mutation($i: CreateInvestmentAccountInput!) { createInvestmentAccount(input: $i) { id } }",
        {"i": {"userId": user_id, "clientReference": "P1", "accountType": "GIA", "name": "GIA"}},
    )
    account_id = account["data"]["createInvestmentAccount"]["id"]
    await g(
        "mutation($i: UpdateInvestmentAccountInput!) { updateInvestmentAccount(input: $i) { id } }",
        {"i": {"id": account_id, "version": 1, "status": "ACTIVE"}},
    )
    txn = await g(
        "mutation($i: CreateTransactionInput!, $k: String!) "
        "{ createTransaction(input: $i, idempotencyKey: $k) { id } }",
        {
            "i": {
                "accountId": account_id,
                "type": "DEPOSIT",
                "considerationAmount": "1500.10",
                "chargesAmount": "1.50",
                "tradeDate": "2026-01-05",
                "settlementDate": "2026-01-07",
                "reference": "parity",
            },
            "k": "parity-graphql",
        },
    )
    txn_id = txn["data"]["createTransaction"]["id"]
    await g(
        "mutation($i: UpdateTransactionInput!) { updateTransaction(input: $i) { id } }",
        {"i": {"id": txn_id, "version": 1, "status": "SETTLED"}},
    )
    return user_id, txn_id


async def _rest_scenario(platform: Platform) -> tuple[str, str]:
    client = platform.router
    user = (await client.post("/api/user", json=user_body(email_address="rest@example.com"))).json()
    await client.patch(
        f"/api/user/{user['id']}", json={"version": 1, "last_name": "King", "title": None}
    )
    account = (
        await client.post(
            "/api/investment",
            json={
                "user_id": user["id"],
                "client_reference": "P1",
                "account_type": "GIA",
                "name": "GIA",
            },
        )
    ).json()
    await client.patch(f"/api/investment/{account['id']}", json={"version": 1, "status": "ACTIVE"})
    txn = (
        await client.post(
            "/api/transaction",
            json={
                "account_id": account["id"],
                "type": "DEPOSIT",
                "consideration_amount": "1500.10",
                "charges_amount": "1.50",
                "trade_date": "2026-01-05",
                "settlement_date": "2026-01-07",
                "reference": "parity",
            },
            headers={"Idempotency-Key": "parity-rest"},
        )
    ).json()
    await client.patch(f"/api/transaction/{txn['id']}", json={"version": 1, "status": "SETTLED"})
    return user["id"], txn["id"]


async def test_the_same_scenario_through_graphql_and_rest_agrees(platform: Platform) -> None:
    by_graphql = await _graphql_scenario(platform)
    by_rest = await _rest_scenario(platform)
    views = {}
    for origin, (user_id, txn_id) in (("graphql", by_graphql), ("rest", by_rest)):
        rest_user = (await platform.router.get(f"/api/user/{user_id}")).json()
        rest_txn = (await platform.router.get(f"/api/transaction/{txn_id}")).json()
        gql_user = (await platform.graphql(USER_QUERY, {"id": user_id}))["data"]["user"]
        gql_txn = (await platform.graphql(TRANSACTION_QUERY, {"id": txn_id}))["data"]["transaction"]
        # Both APIs show the same entity the same way...
        assert rest_user == _user_as_rest(gql_user)
        assert rest_txn == _transaction_as_rest(gql_txn)
        views[origin] = (_stable(rest_user), _stable(rest_txn))
    # ...and the same steps through either API leave the same state.
    assert views["graphql"] == views["rest"]
    user_view, txn_view = views["rest"]
    assert (user_view["last_name"], user_view["title"], user_view["version"]) == ("King", None, 2)
    assert (txn_view["status"], txn_view["consideration_amount"]) == ("SETTLED", "1500.10")
