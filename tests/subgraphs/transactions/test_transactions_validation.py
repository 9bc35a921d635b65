"""Every validation rule of a transaction: refused with a code naming the field, nothing written."""

from __future__ import annotations

from typing import Any

import httpx

from subgraphs.kit.testing import execute
from tests.subgraphs.transactions.transactions_support import (
    CREATE_TRANSACTION,
    GET_TRANSACTION,
    StandInInvestments,
    create,
    create_ok,
    trade_input,
    transaction_count,
    transaction_input,
    update,
)

DEPOSIT_CASES: list[tuple[str, dict[str, Any], str]] = [
    ("empty account id", {"accountId": " "}, "accountId"),
    ("zero consideration", {"considerationAmount": "0.00"}, "considerationAmount"),
    ("negative consideration", {"considerationAmount": "-5.00"}, "considerationAmount"),
    ("consideration with 3 decimals", {"considerationAmount": "10.001"}, "considerationAmount"),
    ("negative charges", {"chargesAmount": "-0.01"}, "chargesAmount"),
    ("charges with 3 decimals", {"chargesAmount": "0.015"}, "chargesAmount"),
    ("not the account's currency", {"currency": "USD"}, "currency"),
    ("unknown currency", {"currency": "XYZ"}, "currency"),
    ("settlement before trade", {"settlementDate": "2026-11-01"}, "settlementDate"),
    ("empty reference", {"reference": "  "}, "reference"),
    ("long reference", {"reference": "R" * 101}, "reference"),
    ("control character in reference", {"reference": "a\u0007b"}, "reference"),
    ("isin on a deposit", {"isin": "GB0002634946"}, "isin"),
    ("quantity on a deposit", {"quantity": "1"}, "quantity"),
    ("price on a deposit", {"price": "1.00"}, "price"),
]
TRADE_CASES: list[tuple[str, dict[str, Any], str]] = [
    ("missing isin", {"isin": ...}, "isin"),
    ("missing quantity", {"quantity": ...}, "quantity"),
    ("missing price", {"price": ...}, "price"),
    ("isin with a wrong check digit", {"isin": "GB0002634947"}, "isin"),
    ("isin too short", {"isin": "GB000263494"}, "isin"),
    ("isin without country letters", {"isin": "120002634946"}, "isin"),
    ("isin with punctuation", {"isin": "GB00026349-6"}, "isin"),
    ("zero quantity", {"quantity": "0"}, "quantity"),
    ("negative quantity", {"quantity": "-3"}, "quantity"),
    ("quantity with 9 decimals", {"quantity": "1.123456789"}, "quantity"),
    ("zero price", {"price": "0.00"}, "price"),
    ("price with 9 decimals", {"price": "1.123456789"}, "price"),
]


async def test_create_refuses_each_invalid_field(client: httpx.AsyncClient, account: str) -> None:
    # One app for every case keeps the suite fast; each case names itself on failure.
    for name, overrides, field in DEPOSIT_CASES + TRADE_CASES:
        is_trade = (name, overrides, field) in TRADE_CASES
        # A SELL, so that the trade cases fail on their own rule and not for want of cash.
        body = (
            trade_input(account, type="SELL", **overrides)
            if is_trade
            else transaction_input(account, **overrides)
        )
        result = await create(client, body)

        error = result.error()
        assert error["extensions"]["code"] == "BAD_USER_INPUT", name
        assert error["extensions"]["field"] == field, name
        assert field in error["message"], name
        assert result.data is None, name
    assert await transaction_count(client) == 0


async def test_zero_decimal_currency_refuses_decimals(
    client: httpx.AsyncClient, investments: StandInInvestments
) -> None:
    account = investments.add(currency="JPY")
    result = await create(client, transaction_input(account, considerationAmount="100.5"))
    assert result.error()["extensions"]["field"] == "considerationAmount"
    assert "0 decimals JPY" in result.error()["message"]
    assert (await create(client, transaction_input(account, considerationAmount="100"))).ok()


async def test_every_bad_field_is_listed_at_once(client: httpx.AsyncClient, account: str) -> None:
    result = await create(
        client,
        transaction_input(
            account,
            considerationAmount="0",
            chargesAmount="-1",
            settlementDate="2026-01-01",
            isin="GB0002634946",
        ),
    )
    fields = [issue["field"] for issue in result.error()["extensions"]["fields"]]
    assert fields == ["considerationAmount", "chargesAmount", "isin", "settlementDate"]


async def test_bad_idempotency_key_or_amount_text_is_refused(
    client: httpx.AsyncClient, account: str
) -> None:
    for key in ["", "has space", "k" * 256, "caf\u00e9"]:
        result = await execute(
            client, CREATE_TRANSACTION, {"input": transaction_input(account), "key": key}
        )
        assert result.error()["extensions"]["field"] == "idempotencyKey", key
    for amount in [1500.5, "1e3", "NaN", "12,00"]:
        result = await create(client, transaction_input(account, considerationAmount=amount))
        error = result.error()
        assert error["extensions"]["code"] == "BAD_USER_INPUT", amount
        assert error["extensions"]["field"] == "considerationAmount", amount  # inside $input
        assert str(amount) not in error["message"], amount
    assert await transaction_count(client) == 0


async def test_unknown_account_is_refused(client: httpx.AsyncClient) -> None:
    result = await create(client, transaction_input("acc_0000000000007000800000000000000"))
    error = result.error()
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == "accountId"
    assert await transaction_count(client) == 0


async def test_account_that_is_not_active_is_refused(
    client: httpx.AsyncClient, investments: StandInInvestments
) -> None:
    for status in ["PENDING", "SUSPENDED", "CLOSING", "CLOSED"]:
        account = investments.add(status=status)
        error = (await create(client, transaction_input(account))).error()
        assert error["extensions"]["code"] == "RULE_VIOLATION", status
        assert error["extensions"]["reason"] == "REFERENCE_NOT_USABLE", status
        assert error["extensions"]["field"] == "accountId", status
    assert await transaction_count(client) == 0


async def test_update_refuses_invalid_fields_and_keeps_the_row(
    client: httpx.AsyncClient, account: str
) -> None:
    deposit = await create_ok(client, account)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"considerationAmount": "0"}, "considerationAmount"),
        ({"considerationAmount": "1.001"}, "considerationAmount"),
        ({"chargesAmount": "-1"}, "chargesAmount"),
        ({"considerationAmount": None}, "considerationAmount"),
        ({"status": None}, "status"),
        ({"settlementDate": "2026-10-01"}, "settlementDate"),
        ({"tradeDate": "2026-12-01"}, "settlementDate"),
        ({"isin": "GB0002634946"}, "isin"),
        ({"reference": ""}, "reference"),
    ]
    for changes, field in cases:
        result = await update(client, id=deposit["id"], version=1, **changes)
        error = result.error()
        assert error["extensions"]["code"] == "BAD_USER_INPUT", changes
        assert error["extensions"]["field"] == field, changes
    after = (await execute(client, GET_TRANSACTION, {"id": deposit["id"]})).ok()["transaction"]
    assert after == deposit


async def test_update_refuses_invalid_trade_fields(client: httpx.AsyncClient, account: str) -> None:
    sell = (await create(client, trade_input(account, type="SELL"))).ok()["createTransaction"]
    for changes, field in (
        ({"isin": "GB0002634947"}, "isin"),
        ({"quantity": "0"}, "quantity"),
        ({"price": None}, "price"),
    ):
        error = (await update(client, id=sell["id"], version=1, **changes)).error()
        assert (error["extensions"]["code"], error["extensions"]["field"]) == (
            "BAD_USER_INPUT",
            field,
        )
    after = (await execute(client, GET_TRANSACTION, {"id": sell["id"]})).ok()["transaction"]
    assert after == sell
