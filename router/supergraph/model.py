"""What the supergraph says about each type and field: which subgraphs resolve what, and how.

The loader fills these plain records once; the planner only reads them. Subgraphs are named by the
`name:` of their `@join__graph`, the same names the transport and the printed plans use.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from graphql import SelectionSetNode


@dataclass(frozen=True)
class Key:
    """One `@key` of an entity in one subgraph."""

    graph: str
    selection: SelectionSetNode
    text: str
    resolvable: bool


@dataclass
class FieldInfo:
    """A field of an object or interface type, as the subgraphs see it."""

    name: str
    parent: str
    resolving: frozenset[str]  # subgraphs that resolve the field themselves
    external: frozenset[str]  # subgraphs that declare it @external (usable only when provided)
    requires: dict[str, SelectionSetNode] = field(default_factory=dict)
    provides: dict[str, SelectionSetNode] = field(default_factory=dict)
    # the field's type as a subgraph declares it, where it differs from the supergraph's
    types: dict[str, str] = field(default_factory=dict)
    # progressive override: subgraph -> (label, subgraph it overrides); labels count as disabled
    override_labels: dict[str, tuple[str, str]] = field(default_factory=dict)


@dataclass
class TypeInfo:
    """A named type of the supergraph with its per-subgraph facts."""

    name: str
    kind: str  # "object", "interface", "union", "enum", "scalar", "input"
    graphs: frozenset[str]
    keys: dict[str, list[Key]] = field(default_factory=dict)
    interface_object_graphs: frozenset[str] = frozenset()
    fields: dict[str, FieldInfo] = field(default_factory=dict)
    # interface/union -> per subgraph, the object types that subgraph may return for it
    possible_by_graph: dict[str, frozenset[str]] = field(default_factory=dict)

    @property
    def is_abstract(self) -> bool:
        return self.kind in ("interface", "union")

    def resolvable_keys(self, graph: str) -> list[Key]:
        return [key for key in self.keys.get(graph, ()) if key.resolvable]
