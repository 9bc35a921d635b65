"""The binding of a sealed value to its place: subgraph, table, column and row id.

The binding is authenticated as associated data, so a ciphertext copied to another row, column,
table or subgraph fails to open.  It is encoded with a length prefix per field: naive
concatenation would let ``("ab", "c")`` and ``("a", "bc")`` collide.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

__all__ = ["Binding"]

_LENGTH = struct.Struct(">I")


def length_prefixed(*parts: bytes) -> bytes:
    """Join byte strings unambiguously: each is preceded by its length as 4 big-endian bytes."""
    return b"".join(_LENGTH.pack(len(part)) + part for part in parts)


@dataclass(frozen=True, slots=True)
class Binding:
    """Where a sealed value lives; all four parts must be non-empty."""

    subgraph: str
    table: str
    column: str
    row_id: str

    def __post_init__(self) -> None:
        # Fast path first: a binding is built for every value sealed or opened.
        if (
            type(self.subgraph) is str
            and type(self.table) is str
            and type(self.column) is str
            and type(self.row_id) is str
            and self.subgraph
            and self.table
            and self.column
            and self.row_id
        ):
            return
        for name in ("subgraph", "table", "column", "row_id"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                # An empty row id almost always means "sealed before the id was generated",
                # which would bind every such value to the same place.
                raise ValueError(f"Binding.{name} must be a non-empty string")

    def associated_data(self) -> bytes:
        """Return the unambiguous byte encoding authenticated alongside the ciphertext."""
        return length_prefixed(
            self.subgraph.encode(),
            self.table.encode(),
            self.column.encode(),
            self.row_id.encode(),
        )
