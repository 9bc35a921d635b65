"""Money: an exact ``Decimal`` amount and an ISO 4217 currency, validated at the edge.

Amounts travel as decimal strings (``"1500.00"``) and are parsed straight into ``Decimal``;
no float is ever involved, so ``"0.10" + "0.20"`` is exactly ``"0.30"``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from .currencies import minor_units
from .validation import Issues

__all__ = ["Money", "check_money", "parse_decimal"]

_DECIMAL_TEXT = re.compile(r"^[+-]?\d{1,18}(\.\d{1,18})?\Z")


def parse_decimal(text: str) -> Decimal | None:
    """Parse a plain decimal string (``"-12.50"``); ``None`` for anything else (exponents, NaN)."""
    if not _DECIMAL_TEXT.match(text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern already excludes these
        return None


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount in one currency."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise TypeError("Money.amount must be a Decimal")

    def to_json(self) -> dict[str, Any]:
        """Return ``{"amount": "1500.00", "currency": "GBP"}`` (for sealing or storage)."""
        return {"amount": str(self.amount), "currency": self.currency}

    @classmethod
    def from_json(cls, value: Any) -> Money:
        """Rebuild from :meth:`to_json` output."""
        return cls(Decimal(str(value["amount"])), str(value["currency"]))


def check_money(
    issues: Issues,
    field: str,
    amount: Decimal,
    currency: str,
    *,
    minimum: Decimal | None = None,
    minimum_inclusive: bool = True,
) -> Money | None:
    """Validate an amount and currency, recording issues under ``field``; return the Money if valid.

    Issues are reported as ``<field>.currency`` and ``<field>.amount``.
    """
    ok = True
    code = currency.strip().upper()
    places = minor_units(code)
    if places is None:
        issues.add(f"{field}.currency", "must be an ISO 4217 currency code")
        ok = False
    if not amount.is_finite():
        issues.add(f"{field}.amount", "must be a finite decimal amount")
        return None
    if places is not None:
        exponent = amount.as_tuple().exponent
        decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        if decimals > places:
            issues.add(f"{field}.amount", f"has more than the {places} decimals {code} allows")
            ok = False
    if minimum is not None:
        below = amount < minimum if minimum_inclusive else amount <= minimum
        if below:
            relation = "at least" if minimum_inclusive else "greater than"
            issues.add(f"{field}.amount", f"must be {relation} {minimum}")
            ok = False
    return Money(amount, code) if ok else None
