"""Pure rules, without a database: ISIN check digits and the cash arithmetic."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from subgraphs.kit import Issues
from subgraphs.transactions.cash import CashMovement, cash_position
from subgraphs.transactions.domain import (
    CASH_COUNTED_STATUSES,
    INFLOW_TYPES,
    OUTFLOW_TYPES,
    TransactionStatus,
    TransactionType,
)
from subgraphs.transactions.rules import check_isin, isin_check_digit

# Published ISINs: Apple, BAE Systems, Bayer, iShares Core MSCI World, Microsoft, a Treasury bill.
REAL_ISINS = [
    "US0378331005",
    "GB0002634946",
    "DE000BAY0017",
    "IE00B4L5Y983",
    "US5949181045",
    "US912796YB94",
]


@pytest.mark.parametrize("isin", REAL_ISINS)
def test_real_isins_pass_and_every_other_check_digit_fails(isin: str) -> None:
    assert isin_check_digit(isin[:11]) == int(isin[11])
    assert check_isin(Issues(), isin.lower()) == isin
    for digit in "0123456789":
        if digit != isin[11]:
            issues = Issues()
            assert check_isin(issues, isin[:11] + digit) is None
            assert issues.has("isin")


def test_swapped_neighbours_in_the_body_are_caught() -> None:
    # The Luhn step catches most adjacent transpositions, the usual typing error.
    isin = "US0378331005"
    swapped = isin[:4] + isin[5] + isin[4] + isin[6:]
    assert check_isin(Issues(), swapped) is None


def _movement(
    kind: TransactionType, status: TransactionStatus, amount: str, charges: str = "0"
) -> CashMovement:
    return CashMovement(kind, status, Decimal(amount), Decimal(charges))


def test_cash_position_by_type_and_status() -> None:
    s, p = TransactionStatus.SETTLED, TransactionStatus.PENDING
    position = cash_position(
        "GBP",
        [
            _movement(TransactionType.DEPOSIT, s, "1000.00", "1.00"),
            _movement(TransactionType.DEPOSIT, p, "500.00", "0.50"),
            _movement(TransactionType.WITHDRAWAL, s, "100.00"),
            _movement(TransactionType.WITHDRAWAL, p, "50.00"),
            _movement(TransactionType.BUY, p, "20.00", "0.25"),
            _movement(TransactionType.CHARGE, s, "3.00"),
            _movement(TransactionType.DIVIDEND, s, "0.10"),
            _movement(TransactionType.INTEREST, s, "0.20"),
            _movement(TransactionType.SELL, p, "70.00", "1.00"),
            _movement(TransactionType.WITHDRAWAL, TransactionStatus.CANCELLED, "999.00"),
            _movement(TransactionType.DEPOSIT, TransactionStatus.REJECTED, "999.00", "9.00"),
        ],
    )
    assert position.cash_balance.amount == Decimal("896.30")  # 1000.30 - 1 - 100 - 3
    # 896.30 - pending out (50 + 20) - pending charges (0.50 + 0.25 + 1.00)
    assert position.available_cash.amount == Decimal("824.55")
    assert str(cash_position("JPY", []).cash_balance.amount) == "0"
    assert str(cash_position("KWD", []).available_cash.amount) == "0.000"


amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1000000"), places=2)
movements = st.builds(
    CashMovement,
    type=st.sampled_from(list(TransactionType)),
    status=st.sampled_from(list(TransactionStatus)),
    consideration=amounts,
    charges=st.one_of(st.just(Decimal(0)), amounts),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(movements, max_size=12))
def test_cash_position_matches_a_straightforward_ledger(items: list[CashMovement]) -> None:
    position = cash_position("GBP", items)
    balance = available = Decimal(0)
    for item in items:
        if item.status not in CASH_COUNTED_STATUSES:
            continue
        signed = item.consideration if item.type in INFLOW_TYPES else -item.consideration
        assert item.type in INFLOW_TYPES or item.type in OUTFLOW_TYPES
        if item.status is TransactionStatus.SETTLED:
            balance += signed - item.charges
            available += signed - item.charges
        else:  # pending: outflows and charges count, inflows wait for settlement
            available += min(signed, Decimal(0)) - item.charges
    assert position.cash_balance.amount == balance
    assert position.available_cash.amount == available
    assert position.available_cash.amount <= position.cash_balance.amount
