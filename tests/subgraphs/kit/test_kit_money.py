from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from subgraphs.kit import Issues, Money, check_money, minor_units, parse_decimal
from subgraphs.kit.scalars import DecimalScalar


def test_minor_units_table() -> None:
    assert minor_units("GBP") == 2
    assert minor_units("JPY") == 0
    assert minor_units("KWD") == 3
    assert minor_units("CLF") == 4
    assert minor_units("XAU") is None
    assert minor_units("gbp") is None  # callers normalise case first


@pytest.mark.parametrize(
    ("amount", "currency", "field"),
    [
        ("1.001", "GBP", "price.amount"),
        ("1.5", "JPY", "price.amount"),
        ("1.0001", "KWD", "price.amount"),
        ("1.00", "ABC", "price.currency"),
        ("-0.01", "GBP", "price.amount"),
    ],
)
def test_check_money_refuses(amount: str, currency: str, field: str) -> None:
    issues = Issues()
    assert check_money(issues, "price", Decimal(amount), currency, minimum=Decimal(0)) is None
    assert issues.has(field)


def test_check_money_accepts_and_normalises_currency() -> None:
    issues = Issues()
    money = check_money(issues, "price", Decimal("10.50"), "eur", minimum=Decimal(0))
    assert money == Money(Decimal("10.50"), "EUR")
    assert not issues


def test_strict_minimum() -> None:
    issues = Issues()
    assert (
        check_money(issues, "x", Decimal(0), "GBP", minimum=Decimal(0), minimum_inclusive=False)
        is None
    )
    assert issues.has("x.amount")


@pytest.mark.parametrize("text", ["1e3", "NaN", "Infinity", "1,000.00", " 1.00", "1.", ".5", ""])
def test_parse_decimal_takes_plain_decimal_strings_only(text: str) -> None:
    assert parse_decimal(text) is None


def test_money_json_round_trip_is_exact() -> None:
    money = Money(Decimal("0.10") + Decimal("0.20"), "GBP")
    assert money.to_json() == {"amount": "0.30", "currency": "GBP"}
    assert Money.from_json(money.to_json()) == money


def test_money_refuses_float() -> None:
    with pytest.raises(TypeError):
        Money(0.1, "GBP")  # type: ignore[arg-type]


@settings(max_examples=50)
@given(
    st.decimals(
        allow_nan=False, allow_infinity=False, places=2, min_value=-(10**15), max_value=10**15
    )
)
def test_decimal_scalar_round_trips_exactly(value: Decimal) -> None:
    text = DecimalScalar.serialize(value)
    assert isinstance(text, str)
    assert DecimalScalar.parse_value(text) == value


def test_decimal_scalar_refuses_floats_and_booleans() -> None:
    for bad in (0.1, True, None, "1e5"):
        with pytest.raises(ValueError, match="Decimal"):
            DecimalScalar.parse_value(bad)
    with pytest.raises(TypeError):
        DecimalScalar.serialize(0.1)
