"""Transactions through the real app: create, read, lists, partial update, status moves."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx

from subgraphs.kit import is_id
from subgraphs.kit.testing import execute
from tests.subgraphs.transactions.transactions_support import (
    CANCEL_TRANSACTION,
    GET_TRANSACTION,
    LIST_TRANSACTIONS,
    VALID_ISIN,
    StandInInvestments,
    create,
    create_ok,
    settle,
    trade_input,
    transaction_input,
    update,
)

UNKNOWN = "txn_0000000000007000800000000000000"


async def test_create_deposit_returns_every_field(
    client: httpx.AsyncClient, investments: StandInInvestments, account: str
) -> None:
    transaction = await create_ok(client, account)

    assert is_id("txn", transaction["id"])
    assert transaction["accountId"] == transaction["account"]["id"] == account
    assert transaction["userId"] == transaction["user"]["id"] == investments.user_of(account)
    assert (transaction["type"], transaction["status"]) == ("DEPOSIT", "PENDING")
    assert transaction["currency"] == "GBP"
    assert transaction["considerationAmount"] == {"amount": "1500.00", "currency": "GBP"}
    assert transaction["chargesAmount"] == {"amount": "0", "currency": "GBP"}
    assert (transaction["isin"], transaction["quantity"], transaction["price"]) == (None,) * 3
    assert (transaction["tradeDate"], transaction["settlementDate"]) == ("2026-11-02", "2026-11-04")
    assert transaction["reference"] == "Monthly top-up"
    assert transaction["version"] == 1
    assert dt.datetime.fromisoformat(transaction["createdAt"]).tzinfo is not None


async def test_create_trade_normalises_and_keeps_exact_decimals(
    client: httpx.AsyncClient, investments: StandInInvestments
) -> None:
    account = investments.add(currency="EUR")
    result = await create(
        client,
        trade_input(
            account,
            type="SELL",  # a BUY would need cash first
            isin=" gb0002634946 ",
            quantity="0.12345678",
            price="2025.00000001",
            considerationAmount="250.10",
            currency="eur",
        ),
    )
    trade = result.ok()["createTransaction"]
    assert trade["isin"] == VALID_ISIN
    assert (trade["quantity"], trade["price"]) == ("0.12345678", "2025.00000001")
    assert trade["considerationAmount"] == {"amount": "250.10", "currency": "EUR"}
    assert trade["chargesAmount"] == {"amount": "1.50", "currency": "EUR"}


async def test_dates_default_to_today_and_the_trade_date(
    client: httpx.AsyncClient, account: str
) -> None:
    transaction = await create_ok(client, account, tradeDate=..., settlementDate=...)
    today = dt.datetime.now(dt.UTC).date().isoformat()
    assert transaction["tradeDate"] == transaction["settlementDate"] == today


async def test_read_back_by_id_and_unknown_id_is_null(
    client: httpx.AsyncClient, account: str
) -> None:
    transaction = await create_ok(client, account)
    assert (await execute(client, GET_TRANSACTION, {"id": transaction["id"]})).ok()[
        "transaction"
    ] == transaction
    missing = await execute(client, GET_TRANSACTION, {"id": UNKNOWN})
    assert missing.ok()["transaction"] is None


async def test_lists_page_with_cursors_and_filter(
    client: httpx.AsyncClient, investments: StandInInvestments
) -> None:
    first_account, other_account = investments.add(), investments.add(currency="USD")
    made = [
        await create_ok(client, first_account, tradeDate="2026-01-10", settlementDate=...),
        await create_ok(client, other_account, tradeDate="2026-02-10", settlementDate=...),
        await create_ok(
            client, first_account, type="INTEREST", tradeDate="2026-03-10", settlementDate=...
        ),
        await create_ok(client, first_account, tradeDate="2026-04-10", settlementDate=...),
        await create_ok(client, other_account, tradeDate="2026-05-10", settlementDate=...),
    ]
    ids = [t["id"] for t in made]

    seen: list[str] = []
    after = None
    while True:
        page = (await execute(client, LIST_TRANSACTIONS, {"first": 2, "after": after})).ok()[
            "transactions"
        ]
        seen += [edge["node"]["id"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == ids

    async def listed(**filter: object) -> list[str]:
        data = (await execute(client, LIST_TRANSACTIONS, {"filter": filter})).ok()
        return [node["id"] for node in data["transactions"]["nodes"]]

    await settle(client, made[3])
    assert await listed(accountId=first_account) == [ids[0], ids[2], ids[3]]
    assert await listed(userId=investments.user_of(other_account)) == [ids[1], ids[4]]
    assert await listed(type="INTEREST") == [ids[2]]
    assert await listed(status="SETTLED") == [ids[3]]
    assert await listed(tradeDateFrom="2026-02-10", tradeDateTo="2026-04-10") == ids[1:4]
    assert await listed(accountId=first_account, tradeDateFrom="2026-03-11") == [ids[3]]
    bad = await execute(
        client,
        LIST_TRANSACTIONS,
        {"filter": {"tradeDateFrom": "2026-05-01", "tradeDateTo": "2026-04-01"}},
    )
    assert bad.error()["extensions"]["field"] == "filter.tradeDateTo"


async def test_partial_update_changes_only_named_fields(
    client: httpx.AsyncClient, account: str
) -> None:
    transaction = await create_ok(client, account)
    result = await update(
        client,
        id=transaction["id"],
        version=1,
        settlementDate="2026-11-05",
        chargesAmount="2.50",
        reference=None,  # explicit null clears the optional reference
    )
    updated = result.ok()["updateTransaction"]
    assert updated["settlementDate"] == "2026-11-05"
    assert updated["chargesAmount"] == {"amount": "2.50", "currency": "GBP"}
    assert updated["reference"] is None
    assert updated["version"] == 2
    for key in transaction.keys() - {
        "settlementDate",
        "chargesAmount",
        "reference",
        "version",
        "updatedAt",
    }:
        assert updated[key] == transaction[key], key


async def test_update_with_stale_version_is_a_conflict(
    client: httpx.AsyncClient, account: str
) -> None:
    transaction = await create_ok(client, account)
    (await update(client, id=transaction["id"], version=1, reference="First")).ok()
    stale = await update(client, id=transaction["id"], version=1, reference="Second")
    error = stale.error()
    assert error["extensions"]["code"] == "CONFLICT"
    assert error["extensions"]["reason"] == "STALE_VERSION"
    assert error["extensions"]["currentVersion"] == 2
    current = (await execute(client, GET_TRANSACTION, {"id": transaction["id"]})).ok()
    assert current["transaction"]["reference"] == "First"


async def test_update_of_unknown_transaction_is_not_found(client: httpx.AsyncClient) -> None:
    result = await update(client, id=UNKNOWN, version=1, reference="x")
    assert result.error()["extensions"]["code"] == "NOT_FOUND"


async def test_status_moves_from_pending_only(client: httpx.AsyncClient, account: str) -> None:
    for outcome, target in (
        ("SETTLED", "CANCELLED"),
        ("CANCELLED", "PENDING"),
        ("REJECTED", "SETTLED"),
    ):
        transaction = await create_ok(client, account)
        moved = (await update(client, id=transaction["id"], version=1, status=outcome)).ok()
        assert moved["updateTransaction"]["status"] == outcome
        # Every outcome is final: no other status, no other change.
        again = await update(client, id=transaction["id"], version=2, status=target)
        assert again.error()["extensions"]["code"] == "RULE_VIOLATION"
        assert again.error()["extensions"]["reason"] == "TRANSACTION_NOT_PENDING"
        assert again.error()["extensions"]["field"] == "status"
        edit = await update(client, id=transaction["id"], version=2, reference="Changed")
        assert edit.error()["extensions"]["reason"] == "TRANSACTION_NOT_PENDING"
        final = (await execute(client, GET_TRANSACTION, {"id": transaction["id"]})).ok()
        assert final["transaction"]["status"] == outcome
        assert final["transaction"]["reference"] == "Monthly top-up"
        assert final["transaction"]["version"] == 2


async def test_cancel_a_pending_transaction(client: httpx.AsyncClient, account: str) -> None:
    transaction = await create_ok(client, account)
    cancelled = await execute(client, CANCEL_TRANSACTION, {"id": transaction["id"], "version": 1})
    assert cancelled.ok()["cancelTransaction"]["status"] == "CANCELLED"
    twice = await execute(client, CANCEL_TRANSACTION, {"id": transaction["id"], "version": 2})
    assert twice.error()["extensions"]["reason"] == "TRANSACTION_NOT_PENDING"
    stale = await create_ok(client, account)
    refused = await execute(client, CANCEL_TRANSACTION, {"id": stale["id"], "version": 7})
    assert refused.error()["extensions"]["reason"] == "STALE_VERSION"


async def test_trade_fields_update_on_a_pending_trade(
    client: httpx.AsyncClient, account: str
) -> None:
    await create(client, transaction_input(account, considerationAmount="1000.00"))
    deposit = (await execute(client, LIST_TRANSACTIONS, {})).ok()["transactions"]["nodes"][0]
    await settle(client, {"id": deposit["id"], "version": 1})
    trade = (await create(client, trade_input(account))).ok()["createTransaction"]
    result = await update(
        client, id=trade["id"], version=1, quantity="41", price="6.1", isin="US0378331005"
    )
    updated = result.ok()["updateTransaction"]
    assert (updated["isin"], updated["quantity"], updated["price"]) == ("US0378331005", "41", "6.1")


async def test_health_endpoint(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "subgraph": "transactions"}


async def test_contributed_lists_page_filter_and_refuse_bad_arguments(
    client: httpx.AsyncClient, investments: StandInInvestments, account: str
) -> None:
    made = [
        (await create_ok(client, account, type=kind))["id"]
        for kind in ("DEPOSIT", "INTEREST", "DEPOSIT", "DIVIDEND", "DEPOSIT")
    ]
    for typename, parent in (
        ("InvestmentAccount", account),
        ("User", investments.user_of(account)),
    ):
        query = f"""query($r: [_Any!]!, $first: Int, $after: String, $filter: TransactionFilter) {{
            _entities(representations: $r) {{ ... on {typename} {{
                transactions(first: $first, after: $after, filter: $filter) {{
                    nodes {{ id }} pageInfo {{ hasNextPage endCursor }} }} }} }} }}"""
        variables: dict[str, Any] = {"r": [{"__typename": typename, "id": parent}]}

        seen: list[str] = []
        after = None
        while True:
            result = await execute(client, query, {**variables, "first": 2, "after": after})
            page = result.ok()["_entities"][0]["transactions"]
            seen += [node["id"] for node in page["nodes"]]
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        assert seen == made

        deposits = await execute(client, query, {**variables, "filter": {"type": "DEPOSIT"}})
        nodes = deposits.ok()["_entities"][0]["transactions"]["nodes"]
        assert [node["id"] for node in nodes] == [made[0], made[2], made[4]]

        for bad, field in (({"after": "nope"}, "after"), ({"first": 101}, "first")):
            refused = await execute(client, query, {**variables, **bad})
            assert refused.error()["extensions"]["code"] == "BAD_USER_INPUT"
            assert refused.error()["extensions"]["field"] == field
