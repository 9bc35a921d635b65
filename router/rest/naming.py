"""REST (snake_case) names <-> GraphQL (camelCase) names.

Only field names are renamed: the values of opaque JSON fields (a compliance log's ``log_details``)
are the client's own data and keep their keys exactly as sent.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

__all__ = [
    "camel_to_snake",
    "field_path_to_snake",
    "keys_to_camel",
    "keys_to_snake",
    "snake_to_camel",
]

_UPPER = re.compile(r"(?<!^)(?=[A-Z])")


def snake_to_camel(name: str) -> str:
    """``email_address`` -> ``emailAddress``."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def camel_to_snake(name: str) -> str:
    """``emailAddress`` -> ``email_address``."""
    return _UPPER.sub("_", name).lower()


def field_path_to_snake(path: str) -> str:
    """Spell a GraphQL input path (``input.annualIncome``) as REST does (``annual_income``).

    The leading ``input.`` (the operation's variable) is dropped: a REST body is the input itself.
    """
    parts = [p for p in re.split(r"[.\[\]]+", path) if p]
    if parts and parts[0] in ("input", "$input"):
        parts = parts[1:]
    return ".".join(camel_to_snake(p) for p in parts) or "body"


def _convert(value: Any, rename: Any, opaque: Collection[str]) -> Any:
    if isinstance(value, dict):
        return {
            rename(k): (v if k in opaque else _convert(v, rename, opaque)) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_convert(item, rename, opaque) for item in value]
    return value


def keys_to_camel(value: Any, opaque: Collection[str] = ()) -> Any:
    """Rename every object key to camelCase, leaving the values of ``opaque`` keys untouched."""
    return _convert(value, snake_to_camel, opaque)


def keys_to_snake(value: Any, opaque: Collection[str] = ()) -> Any:
    """Rename every object key to snake_case, leaving the values of ``opaque`` keys untouched."""
    return _convert(value, camel_to_snake, opaque)
