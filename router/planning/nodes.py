"""Query plan data: `Sequence`, `Parallel`, `Fetch`, `Flatten`, plain frozen records that print.

A plan is what the executor walks. Printing follows the shape of Apollo's plan printer so that
plans can be snapshot-tested and compared by eye in review.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# A representation template: how to build one `_entities` representation from a merged object.
# Each item is (field name, response key in the merged object, nested template or None);
# an item whose name is "" is an inline fragment, its key the type condition.
RepTemplate = tuple[tuple[str, str, "RepTemplate | None"], ...]


@dataclass(frozen=True)
class Renames:
    """Internal aliases of one response level of a fetch, to undo before merging its data.

    `by_type`: for objects of that `__typename`, (alias sent, client response key); `below`: the
    levels under a response key (as sent). A subgraph operation may not select one response name
    with two types (e.g. `id: ID!` in one member type, `id: ID` in another), so the planner sends
    one of them under an alias.
    """

    by_type: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()
    below: tuple[tuple[str, Renames], ...] = ()


@dataclass(frozen=True)
class EntityType:
    """Objects of `typename` at the flatten path become representations named `representation`."""

    typename: str
    representation: str | None  # None: use the object's own __typename
    template: RepTemplate


@dataclass(frozen=True)
class Fetch:
    """One request to one subgraph; under a `Flatten` it is an `_entities` request."""

    subgraph: str
    operation: str  # the exact document sent
    operation_kind: Literal["query", "mutation"]
    variable_usages: tuple[str, ...]
    selection_text: str  # pretty printed selection, for display
    requires_text: str | None = None
    entity_types: tuple[EntityType, ...] = ()
    id: int = 0
    # ("include" | "skip", variable): every selection of the fetch carries that one condition,
    # so the fetch is not sent at all when the condition excludes it
    condition: tuple[str, str] | None = None
    # internal aliases to undo in the response (None: none); for an entity fetch, per entity
    renames: Renames | None = None

    def print_lines(self, indent: int) -> list[str]:
        pad = "  " * indent
        when = f", {self.condition[0]}: ${self.condition[1]}" if self.condition else ""
        lines = [f'{pad}Fetch(service: "{self.subgraph}"{when}) {{']
        inner = "  " * (indent + 1)
        if self.requires_text is not None:
            lines += [inner + line for line in self.requires_text.splitlines()]
            lines[-1] += " =>"
        lines += [inner + line for line in self.selection_text.splitlines()]
        lines.append(pad + "},")
        return lines


@dataclass(frozen=True)
class Flatten:
    """Run `node` for the objects found at `path` ("@" marks list elements) and merge back."""

    path: tuple[str, ...]
    node: Fetch

    def print_lines(self, indent: int) -> list[str]:
        pad = "  " * indent
        path = ".".join(self.path)
        return [
            f'{pad}Flatten(path: "{path}") {{',
            *self.node.print_lines(indent + 1),
            pad + "},",
        ]


@dataclass(frozen=True)
class Sequence:
    """Children run one after the other."""

    nodes: tuple[PlanNode, ...]

    def print_lines(self, indent: int) -> list[str]:
        return _print_block("Sequence", self.nodes, indent)


@dataclass(frozen=True)
class Parallel:
    """Children run concurrently."""

    nodes: tuple[PlanNode, ...]

    def print_lines(self, indent: int) -> list[str]:
        return _print_block("Parallel", self.nodes, indent)


PlanNode = Fetch | Flatten | Sequence | Parallel


def _print_block(name: str, nodes: tuple[PlanNode, ...], indent: int) -> list[str]:
    pad = "  " * indent
    lines = [f"{pad}{name} {{"]
    for node in nodes:
        lines += node.print_lines(indent + 1)
    lines.append(pad + "},")
    return lines


@dataclass(frozen=True)
class QueryPlan:
    """The plan of one operation; `str(plan)` prints it."""

    node: PlanNode | None
    operation_kind: Literal["query", "mutation", "subscription"] = "query"
    fetch_count: int = field(default=0, compare=False)

    def __str__(self) -> str:
        if self.node is None:
            return "QueryPlan {\n}"
        return "\n".join(["QueryPlan {", *self.node.print_lines(1), "}"])
