"""Undo the planner's internal aliases in a subgraph's response, before it is merged.

A subgraph operation may carry one response name under an internal alias where two of its
selections would otherwise select it with different types (`router/planning/fetchgraph.py`).
The fetch's `Renames` say where: this puts each value back under the client's response key, so
merging and shaping never see an alias.
"""

from __future__ import annotations

from typing import Any

from router.planning.nodes import Renames


def restore_aliases(value: Any, renames: Renames) -> None:
    """Rename aliased keys in `value` (an object or a list of them) in place, at every level."""
    if isinstance(value, list):
        for item in value:
            restore_aliases(item, renames)
        return
    if not isinstance(value, dict):
        return
    for key, below in renames.below:
        if key in value:
            restore_aliases(value[key], below)
    typename = value.get("__typename")
    for name, aliases in renames.by_type:
        if name == typename:
            for alias, key in aliases:
                if alias in value:
                    value[key] = value.pop(alias)
