"""Exact request values: JSON parsed without floats, decimals and dates validated as the API says.

A REST client may send an amount as a JSON number (``1500.10``) or as a string (``"1500.10"``). The
body is parsed with ``parse_float=Decimal``, so a number never becomes a binary float on its way in
(``1500.10`` stays ``Decimal("1500.10")``). Amounts reach the subgraphs as plain decimal strings,
the only form their ``Decimal`` scalar accepts; the same limits apply here (18 digits either side of
the point, no exponent), so a bad amount is reported by the REST layer with its field name.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

__all__ = [
    "DECIMAL_PATTERN",
    "ExactDecimal",
    "IsoDate",
    "MalformedBody",
    "decimal_text",
    "parse_json_body",
]

DECIMAL_PATTERN = r"^[+-]?\d{1,18}(\.\d{1,18})?$"
_DECIMAL_TEXT = re.compile(DECIMAL_PATTERN)


class MalformedBody(ValueError):
    """The request body is not one JSON object."""


def _no_constants(name: str) -> Any:
    # NaN and Infinity are not JSON; Python's parser accepts them unless told otherwise.
    raise MalformedBody(f"{name} is not a JSON value")


def parse_json_body(raw: bytes) -> dict[str, Any]:
    """Parse a request body into a dict whose non-integral numbers are ``Decimal``."""
    try:
        text = raw.decode("utf-8")
        value = json.loads(text, parse_float=Decimal, parse_constant=_no_constants)
    except MalformedBody:
        raise
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise MalformedBody("the body is not valid JSON") from None
    if not isinstance(value, dict):
        raise MalformedBody("the body must be a JSON object")
    return value


def decimal_text(value: Decimal) -> str | None:
    """Return ``value`` as a plain decimal string within the API's limits, or ``None``."""
    if not value.is_finite():
        return None
    text = format(value, "f")
    return text if _DECIMAL_TEXT.match(text) else None


def _exact_decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise ValueError('must be a decimal number or a decimal string such as "1500.00"')
    if isinstance(value, str):
        if not _DECIMAL_TEXT.match(value):
            raise ValueError('must be a plain decimal string such as "1500.00"')
        return Decimal(value)
    try:
        number = Decimal(value)
    except InvalidOperation:  # pragma: no cover - ints and Decimals always convert
        raise ValueError("must be a decimal number") from None
    if decimal_text(number) is None:
        raise ValueError("must have at most 18 digits before and 18 after the decimal point")
    return number


def _iso_date(value: Any) -> dt.date:
    if not isinstance(value, str):
        raise ValueError('must be an ISO 8601 date string such as "1990-12-31"')
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError('must be an ISO 8601 date such as "1990-12-31"') from None


ExactDecimal = Annotated[
    Decimal,
    BeforeValidator(_exact_decimal),
    PlainSerializer(lambda v: decimal_text(v) or str(v), return_type=str),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": DECIMAL_PATTERN},
                {"type": "number"},
            ],
            "description": 'An exact decimal: a string such as "1500.00" or a JSON number '
            "(read exactly, never as a float); at most 18 digits each side of the point.",
        },
        mode="validation",
    ),
]
"""A decimal read exactly from a JSON number or a plain decimal string."""

IsoDate = Annotated[
    dt.date,
    BeforeValidator(_iso_date),
    PlainSerializer(lambda v: v.isoformat(), return_type=str),
    WithJsonSchema({"type": "string", "format": "date"}, mode="validation"),
]
"""A calendar date given as an ISO 8601 string."""
