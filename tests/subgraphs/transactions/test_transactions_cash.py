"""Cash: exact balances from settled and pending transactions, and outflows beyond available cash
refused, also when requests race."""

from __future__ import annotations

import asyncio

import httpx

from subgraphs.kit.testing import execute
from tests.subgraphs.transactions.transactions_support import (
    CANCEL_TRANSACTION,
    StandInInvestments,
    cash_of,
    create,
    create_ok,
    deposit_settled,
    settle,
    trade_input,
    transaction_count,
    transaction_input,
    update,
)


def money(amount: str, currency: str = "GBP") -> dict[str, str]:
    return {"amount": amount, "currency": currency}


async def test_an_account_without_transactions_has_zero_in_its_currency(
    client: httpx.AsyncClient, investments: StandInInvestments
) -> None:
    gbp, jpy = investments.add(), investments.add(currency="JPY")
    assert await cash_of(client, gbp) == {
        "id": gbp,
        "cashBalance": money("0.00"),
        "availableCash": money("0.00"),
    }
    jpy_cash = await cash_of(client, jpy, "JPY")
    assert jpy_cash["cashBalance"] == jpy_cash["availableCash"] == money("0", "JPY")


async def test_balances_follow_settled_and_pending_movements(
    client: httpx.AsyncClient, account: str
) -> None:
    # Pending inflows do not count; settled ones do.
    deposit = await create_ok(client, account, considerationAmount="1000.00", chargesAmount="0.10")
    assert await cash_of(client, account) == {
        "id": account,
        "cashBalance": money("0.00"),
        "availableCash": money("-0.10"),  # a pending charge is already spoken for
    }
    await settle(client, deposit)
    cash = await cash_of(client, account)
    assert (cash["cashBalance"], cash["availableCash"]) == (money("999.90"), money("999.90"))

    # A pending withdrawal lowers the available cash only; settling it lowers the balance too.
    withdrawal = await create_ok(
        client, account, type="WITHDRAWAL", considerationAmount="100.20", chargesAmount="0.20"
    )
    cash = await cash_of(client, account)
    assert (cash["cashBalance"], cash["availableCash"]) == (money("999.90"), money("899.50"))
    await settle(client, withdrawal)
    cash = await cash_of(client, account)
    assert (cash["cashBalance"], cash["availableCash"]) == (money("899.50"), money("899.50"))

    # Every type in its direction: inflows SELL, DIVIDEND, INTEREST; outflows BUY, CHARGE.
    for body in (
        trade_input(account, type="SELL", considerationAmount="50.00", chargesAmount="1.00"),
        transaction_input(account, type="DIVIDEND", considerationAmount="0.10"),
        transaction_input(account, type="INTEREST", considerationAmount="0.20"),
        trade_input(account, considerationAmount="300.00", chargesAmount="2.00"),
        transaction_input(account, type="CHARGE", considerationAmount="5.00"),
    ):
        await settle(client, (await create(client, body)).ok()["createTransaction"])
    cash = await cash_of(client, account)
    # 899.50 + 49.00 + 0.10 + 0.20 - 302.00 - 5.00, exactly (no float drift on 0.1 + 0.2)
    assert cash["cashBalance"] == cash["availableCash"] == money("641.80")


async def test_cancelled_and_rejected_transactions_never_count(
    client: httpx.AsyncClient, account: str
) -> None:
    await deposit_settled(client, account, "500.00")
    withdrawal = await create_ok(client, account, type="WITHDRAWAL", considerationAmount="400.00")
    assert (await cash_of(client, account))["availableCash"] == money("100.00")
    await execute(client, CANCEL_TRANSACTION, {"id": withdrawal["id"], "version": 1})
    assert (await cash_of(client, account))["availableCash"] == money("500.00")

    rejected = await create_ok(client, account, considerationAmount="70.00")
    (await update(client, id=rejected["id"], version=1, status="REJECTED")).ok()
    cash = await cash_of(client, account)
    assert (cash["cashBalance"], cash["availableCash"]) == (money("500.00"), money("500.00"))


async def test_withdrawal_or_buy_beyond_available_cash_is_refused(
    client: httpx.AsyncClient, account: str
) -> None:
    await deposit_settled(client, account, "100.00")
    await create_ok(client, account, considerationAmount="5000.00")  # pending: not spendable

    for body in (
        transaction_input(account, type="WITHDRAWAL", considerationAmount="100.01"),
        transaction_input(
            account, type="WITHDRAWAL", considerationAmount="99.99", chargesAmount="0.02"
        ),
        trade_input(account, considerationAmount="99.00", chargesAmount="1.01"),
    ):
        error = (await create(client, body)).error()
        assert error["extensions"]["code"] == "RULE_VIOLATION", body
        assert error["extensions"]["reason"] == "INSUFFICIENT_FUNDS"
        assert error["extensions"]["field"] == "considerationAmount"
        assert "100" not in error["message"]
    assert await transaction_count(client) == 2

    # Exactly the available cash is fine; after that nothing is left.
    await create_ok(client, account, type="WITHDRAWAL", considerationAmount="100.00")
    again = await create(
        client, transaction_input(account, type="WITHDRAWAL", considerationAmount="0.01")
    )
    assert again.error()["extensions"]["reason"] == "INSUFFICIENT_FUNDS"


async def test_a_charge_is_taken_even_beyond_available_cash(
    client: httpx.AsyncClient, account: str
) -> None:
    charge = await create_ok(client, account, type="CHARGE", considerationAmount="12.00")
    await settle(client, charge)
    assert (await cash_of(client, account))["cashBalance"] == money("-12.00")


async def test_raising_a_pending_withdrawal_beyond_available_cash_is_refused(
    client: httpx.AsyncClient, account: str
) -> None:
    await deposit_settled(client, account, "100.00")
    withdrawal = await create_ok(client, account, type="WITHDRAWAL", considerationAmount="60.00")

    # Its own 60.00 is not counted twice: up to 100.00 in total is fine.
    raised = await update(client, id=withdrawal["id"], version=1, considerationAmount="99.00")
    assert raised.ok()["updateTransaction"]["considerationAmount"] == money("99.00")
    too_much = await update(client, id=withdrawal["id"], version=2, chargesAmount="1.01")
    assert too_much.error()["extensions"]["reason"] == "INSUFFICIENT_FUNDS"
    assert (await cash_of(client, account))["availableCash"] == money("1.00")


async def test_racing_withdrawals_never_overdraw(client: httpx.AsyncClient, account: str) -> None:
    await deposit_settled(client, account, "100.00")
    body = transaction_input(account, type="WITHDRAWAL", considerationAmount="30.00")

    results = await asyncio.gather(*(create(client, dict(body)) for _ in range(5)))

    accepted = [r for r in results if not r.errors]
    refused = [r.error()["extensions"]["reason"] for r in results if r.errors]
    assert len(accepted) == 3
    assert refused == ["INSUFFICIENT_FUNDS"] * 2
    assert (await cash_of(client, account))["availableCash"] == money("10.00")


async def test_cash_of_an_account_needs_its_currency_when_it_has_no_transactions(
    client: httpx.AsyncClient, account: str
) -> None:
    query = """query($r: [_Any!]!) { _entities(representations: $r) {
        ... on InvestmentAccount { cashBalance { amount } } } }"""
    result = await execute(
        client, query, {"r": [{"__typename": "InvestmentAccount", "id": account}]}
    )
    assert result.error()["extensions"]["reason"] == "CURRENCY_UNKNOWN"
    # With transactions, their recorded currency is used.
    await deposit_settled(client, account, "1.00")
    known = await execute(
        client, query, {"r": [{"__typename": "InvestmentAccount", "id": account}]}
    )
    assert known.ok()["_entities"] == [{"cashBalance": {"amount": "1.00"}}]


async def test_racing_raises_of_pending_withdrawals_never_overdraw(
    client: httpx.AsyncClient, account: str
) -> None:
    await deposit_settled(client, account, "100.00")
    pending = [
        await create_ok(client, account, type="WITHDRAWAL", considerationAmount="10.00")
        for _ in range(4)
    ]

    # Each raise alone fits (100 - 30 >= 40); together only two do (40 + 40 + 10 + 10 = 100).
    results = await asyncio.gather(
        *(update(client, id=t["id"], version=1, considerationAmount="40.00") for t in pending)
    )

    refused = [r.error()["extensions"]["reason"] for r in results if r.errors]
    assert refused == ["INSUFFICIENT_FUNDS"] * 2
    assert (await cash_of(client, account))["availableCash"] == money("0.00")
