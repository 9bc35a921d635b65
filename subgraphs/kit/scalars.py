"""Custom GraphQL scalars shared by the subgraphs (registered in ``StrawberryConfig.scalar_map``).

``Decimal`` is serialised as a string and only parsed from a string: a JSON number would already
have been through a float in the client's or server's JSON parser, and money must not be.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.types.scalar import ScalarDefinition

from .money import parse_decimal

__all__ = ["SCALAR_MAP", "DateScalar", "DecimalScalar"]


def _serialize_decimal(value: Any) -> str:
    if not isinstance(value, Decimal):
        raise TypeError("Decimal fields must resolve to decimal.Decimal, never float")
    return str(value)


def _parse_decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError('Decimal values are strings such as "1500.00"')
    parsed = parse_decimal(str(value))
    if parsed is None:
        raise ValueError('Decimal values are plain decimal strings such as "1500.00"')
    return parsed


DecimalScalar: ScalarDefinition = strawberry.scalar(
    name="Decimal",
    description='An exact decimal number, written as a string such as "1500.00".',
    serialize=_serialize_decimal,
    parse_value=_parse_decimal,
)


def _parse_date(value: Any) -> dt.date:
    # Strawberry's own Date parser quotes the bad value in its error; a date of birth is sensitive.
    if not isinstance(value, str):
        raise ValueError('Date values are strings such as "1990-12-31"')
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError('Date values are ISO 8601 dates such as "1990-12-31"') from None


DateScalar: ScalarDefinition = strawberry.scalar(
    name="Date",
    description='A calendar date, ISO 8601 ("1990-12-31").',
    serialize=lambda value: value.isoformat(),
    parse_value=_parse_date,
)

SCALAR_MAP: dict[object, ScalarDefinition] = {Decimal: DecimalScalar, dt.date: DateScalar}
