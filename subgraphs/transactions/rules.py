"""Field rules of a transaction (DESIGN §3), each a small pure function.

Each ``check_*`` records a problem under the field's GraphQL name in an :class:`Issues` and
returns the normalised value (or ``None`` when invalid). Messages describe the rule, never the
value: amounts are sealed at rest and must not resurface in errors.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal

from subgraphs.kit import Issues, minor_units
from subgraphs.kit.validation import IDEMPOTENCY_KEY_MAX_LENGTH, check_idempotency_key

__all__ = [
    "IDEMPOTENCY_KEY_MAX_LENGTH",
    "PRICE_DECIMALS",
    "QUANTITY_DECIMALS",
    "REFERENCE_MAX_LENGTH",
    "check_amount",
    "check_amount_decimals",
    "check_currency",
    "check_dates",
    "check_idempotency_key",
    "check_isin",
    "check_positive_decimal",
    "check_reference",
    "decimals_of",
    "isin_check_digit",
]

REFERENCE_MAX_LENGTH = 100
# Fund units and fractional shares go to a few decimals; prices are quoted beyond the currency's
# minor unit (a fund priced at 1.234567 GBP). Both are bounded so the columns stay exact.
QUANTITY_DECIMALS = 8
PRICE_DECIMALS = 8
_ISIN = re.compile(r"^[A-Z]{2}[A-Z0-9]{9}[0-9]\Z")


def decimals_of(value: Decimal) -> int:
    """Return how many digits ``value`` carries after the decimal point."""
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _has_control_characters(value: str) -> bool:
    return any(unicodedata.category(char).startswith("C") for char in value)


def check_currency(issues: Issues, value: str, field: str = "currency") -> str | None:
    """Check an ISO 4217 code; accepted in any case, returned upper-case."""
    code = value.strip().upper()
    if minor_units(code) is None:
        issues.add(field, "must be an ISO 4217 currency code such as GBP")
        return None
    return code


def check_amount(
    issues: Issues, field: str, value: Decimal, *, positive: bool, currency: str | None
) -> Decimal | None:
    """Check an amount: finite, > 0 (``positive``) or >= 0, and within the currency's decimals.

    ``currency`` is ``None`` while the account (and so its currency) is not known yet: the
    decimals are then checked in a second pass by :func:`check_amount_decimals`.
    """
    if not value.is_finite():
        issues.add(field, "must be a finite decimal amount")
        return None
    if positive and value <= 0:
        issues.add(field, "must be greater than 0")
        return None
    if not positive and value < 0:
        issues.add(field, "must be 0 or more")
        return None
    if currency is not None and not check_amount_decimals(issues, field, value, currency):
        return None
    return value


def check_amount_decimals(issues: Issues, field: str, value: Decimal, currency: str) -> bool:
    """Record an issue if ``value`` has more decimals than ``currency`` allows."""
    places = minor_units(currency)
    if places is None:  # the account's currency is the owner's business; never expected
        issues.add(field, "is in a currency this service does not know")
        return False
    if decimals_of(value) > places:
        issues.add(field, f"has more than the {places} decimals {currency} allows")
        return False
    return True


def check_positive_decimal(
    issues: Issues, field: str, value: Decimal, *, max_decimals: int
) -> Decimal | None:
    """Check a quantity or price: finite, greater than 0, at most ``max_decimals`` decimals."""
    if not value.is_finite() or value <= 0:
        issues.add(field, "must be greater than 0")
        return None
    if decimals_of(value) > max_decimals:
        issues.add(field, f"must have at most {max_decimals} decimals")
        return None
    return value


def isin_check_digit(body: str) -> int:
    """Return the ISO 6166 check digit of the first 11 characters of an ISIN.

    Letters become two digits (A=10 ... Z=35), then the Luhn algorithm runs over the digits,
    doubling every second digit from the right (the check digit's own position excluded).
    """
    digits = "".join(str(int(char, 36)) for char in body)
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10


def check_isin(issues: Issues, value: str) -> str | None:
    """Check an ISIN (ISO 6166): country letters, 9 alphanumerics, a valid check digit."""
    isin = value.strip().upper()
    if not _ISIN.match(isin):
        issues.add("isin", "must be 12 characters: 2 letters, 9 letters or digits, 1 check digit")
        return None
    if isin_check_digit(isin[:11]) != int(isin[11]):
        issues.add("isin", "has an invalid check digit")
        return None
    return isin


def check_reference(issues: Issues, value: str | None) -> str | None:
    """Check an optional reference: null, or 1 to 100 characters without control characters."""
    if value is None:
        return None
    reference = value.strip()
    if not 1 <= len(reference) <= REFERENCE_MAX_LENGTH or _has_control_characters(reference):
        issues.add("reference", f"must be 1 to {REFERENCE_MAX_LENGTH} characters, or null")
        return None
    return reference


def check_dates(
    issues: Issues, trade_date: dt.date | None, settlement_date: dt.date | None
) -> bool:
    """Check that the settlement date is on or after the trade date."""
    if trade_date is not None and settlement_date is not None and settlement_date < trade_date:
        issues.add("settlementDate", "must be on or after the trade date")
        return False
    return True
