"""Typed serialisation of sealable values (no pickle): a one-byte type tag, then the payload.

An opened value comes back with the type it was sealed with: ``Decimal`` stays ``Decimal`` (with
its exponent, so ``"1500.00"`` keeps two decimals), ``date`` stays ``date``.  Lists of enum members
are stored by member *name* and open as ``list[str]``; callers map names back to their enum.
An aware ``datetime`` comes back with a fixed UTC offset (equal instant, ``tzinfo`` of type
``timezone``), since the ISO text carries the offset and not the zone name.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, TypeAlias

__all__ = ["JSONValue", "Sealable", "deserialise", "serialise"]

JSONValue: TypeAlias = dict[str, "JSONValue"] | list["JSONValue"] | str | int | float | bool | None
Sealable: TypeAlias = str | Decimal | date | datetime | list[str] | list[Enum] | JSONValue

_STR = 0x73  # "s"
_DECIMAL = 0x6E  # "n"
_DATE = 0x64  # "d"
_DATETIME = 0x74  # "t"
_NAMES = 0x65  # "e": list of enum names
_JSON = 0x6A  # "j"
_SEPARATOR = "\x1f"


class _Malformed(Exception):
    """Raised internally when an authenticated payload cannot be decoded (a bug, not an attack)."""


def _is_name_list(value: Sequence[Any]) -> bool:
    return bool(value) and all(isinstance(item, (str, Enum)) for item in value)


def serialise(value: object) -> bytes:
    """Encode ``value`` with its type tag; raises ``TypeError`` for a type that cannot be sealed.

    The error names the type only, never the value.
    """
    if isinstance(value, Enum):
        raise TypeError("seal a list of enum members or the member's name, not a bare Enum")
    if isinstance(value, str):
        return bytes((_STR,)) + value.encode()
    if isinstance(value, bool) or value is None or isinstance(value, (int, float, dict)):
        return bytes((_JSON,)) + _dump_json(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise TypeError("only finite Decimal values can be sealed")
        return bytes((_DECIMAL,)) + str(value).encode()
    if isinstance(value, datetime):
        return bytes((_DATETIME,)) + value.isoformat().encode()
    if isinstance(value, date):
        return bytes((_DATE,)) + value.isoformat().encode()
    if isinstance(value, (list, tuple)):
        if _is_name_list(value):
            names = [item.name if isinstance(item, Enum) else item for item in value]
            # Names are joined with the ASCII unit separator (faster than JSON); a list whose
            # strings contain it goes through JSON and opens the same.
            if not any(_SEPARATOR in name for name in names):
                return bytes((_NAMES,)) + _SEPARATOR.join(names).encode()
        return bytes((_JSON,)) + _dump_json(list(value))
    raise TypeError(f"a value of type {type(value).__name__} cannot be sealed")


def _dump_json(value: object) -> bytes:
    try:
        return _ENCODER.encode(value).encode()
    except ValueError as exc:  # NaN / Infinity, circular references
        raise TypeError("value is not JSON-serialisable (NaN, Infinity or a cycle)") from exc


def _refuse(value: object) -> Any:
    raise TypeError(f"a value of type {type(value).__name__} inside JSON cannot be sealed")


# One encoder, built once: json.dumps with options builds a new encoder per call.
_ENCODER = json.JSONEncoder(
    ensure_ascii=False, allow_nan=False, separators=(",", ":"), sort_keys=True, default=_refuse
)


def deserialise(payload: bytes) -> Sealable:
    """Decode what :func:`serialise` produced; raises ``_Malformed`` on anything else."""
    if not payload:
        raise _Malformed
    tag, body = payload[0], payload[1:]
    try:
        text = body.decode()
        if tag == _STR:
            return text
        if tag == _DECIMAL:
            return Decimal(text)
        if tag == _DATE:
            return date.fromisoformat(text)
        if tag == _DATETIME:
            return datetime.fromisoformat(text)
        if tag == _NAMES:
            return text.split(_SEPARATOR)
        if tag == _JSON:
            loaded: JSONValue = json.loads(text)
            return loaded
    except (UnicodeDecodeError, ValueError, InvalidOperation) as exc:
        raise _Malformed from exc
    raise _Malformed
