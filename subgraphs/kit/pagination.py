"""Cursor pagination over time-ordered ids: ``first`` / ``after`` with filters.

Ids sort by creation time (see :mod:`.ids`), so a page is ``WHERE id > :after ORDER BY id
LIMIT :first + 1``: stable under concurrent inserts and an index seek whatever the page number.
The cursor is opaque to callers (base64url of a versioned JSON object) so the scheme can change.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from .errors import BadUserInput

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "Page",
    "check_page_size",
    "decode_cursor",
    "encode_cursor",
    "paginate",
]

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
RowT = TypeVar("RowT")


def encode_cursor(row_id: str) -> str:
    """Return the opaque cursor that points just after ``row_id``."""
    raw = json.dumps({"v": 1, "id": row_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, *, field: str = "after") -> str:
    """Return the id inside ``cursor``; a malformed cursor is a ``BAD_USER_INPUT`` on ``field``."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if isinstance(data, dict) and data.get("v") == 1 and isinstance(data.get("id"), str):
            return str(data["id"])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        pass
    raise BadUserInput.single(field, "is not a cursor returned by this list")


@dataclass(frozen=True, slots=True)
class Page(Generic[RowT]):
    """One page of rows, their cursors, and whether more follow."""

    items: Sequence[RowT]
    has_next_page: bool

    @property
    def cursors(self) -> list[str]:
        return [encode_cursor(_row_id(row)) for row in self.items]

    @property
    def end_cursor(self) -> str | None:
        return encode_cursor(_row_id(self.items[-1])) if self.items else None


def _row_id(row: Any) -> str:
    return str(row.id)


def check_page_size(first: int | None, *, field: str = "first") -> int:
    """Return the page size to use; outside 1..MAX_PAGE_SIZE is a ``BAD_USER_INPUT``."""
    if first is None:
        return DEFAULT_PAGE_SIZE
    if not 1 <= first <= MAX_PAGE_SIZE:
        raise BadUserInput.single(field, f"must be between 1 and {MAX_PAGE_SIZE}")
    return first


async def paginate(
    session: AsyncSession,
    statement: Select[Any],
    id_column: InstrumentedAttribute[str],
    *,
    first: int | None,
    after: str | None,
) -> Page[Any]:
    """Run ``statement`` (already filtered) one page at a time, ordered by ``id_column``."""
    size = check_page_size(first)
    if after is not None:
        statement = statement.where(id_column > decode_cursor(after))
    result = await session.scalars(statement.order_by(id_column).limit(size + 1))
    rows = list(result.all())
    return Page(items=rows[:size], has_next_page=len(rows) > size)
