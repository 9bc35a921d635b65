"""Fetch groups: what one subgraph request will select, filled while the planner walks."""

from __future__ import annotations

from dataclasses import dataclass, field

from router.planning.nodes import Renames
from router.planning.selection import SelSet


@dataclass(eq=False)
class FetchGroup:
    """One future fetch: a subgraph, the response path it merges at, what it selects."""

    id: int
    subgraph: str
    path: tuple[str, ...]
    entity: bool
    parent: int | None
    selection: SelSet = field(default_factory=SelSet)
    # object __typename at the path -> (representation __typename or None, representation selection)
    requires: dict[str, tuple[str | None, SelSet]] = field(default_factory=dict)
    parents: set[int] = field(default_factory=set)
    root_type: str = ""  # a root group: the operation's root type
    renames: Renames | None = None  # internal aliases (set by the alias pass)
