"""Basic satisfiability: every field must be reachable from wherever its type can be returned.

From each root field, we follow the object types a subgraph can return (subgraph G returns type
T at some path). From G the router can get T's fields that G resolves, or jump to another subgraph
H through one of T's resolvable ``@key``s in H, provided the key's fields are available where it
stands. A field of T that no such subgraph resolves cannot be queried at that path: composition
fails and shows the query that cannot be answered, as Apollo's composition does.

This is deliberately a subset of Apollo's full satisfiability check (query graph traversal):
abstract types are followed through their implementations in the same subgraph, ``@provides`` is
taken to make its fields available on every path, ``@requires`` conditions are not checked, and
fields that only ``@interfaceObject`` subgraphs add are not checked.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from graphql.language import FieldNode

from ._model import ComposedSupergraph, Graph
from ._subgraph import Subgraph, TypeDef, named_type
from .errors import CompositionIssue


@dataclass(frozen=True)
class _Position:
    graph: Graph
    type_name: str
    path: tuple[str, ...]  # field names from the root, starting with the root type name


def _resolves(subgraph: Subgraph, type_name: str, field_name: str) -> bool:
    type_def = subgraph.types.get(type_name)
    if type_def is None or type_def.kind != "object":
        return False
    found = type_def.fields.get(field_name)
    return found is not None and (not found.external or found.provided)


def _possible_objects(subgraph: Subgraph, type_name: str) -> list[str]:
    type_def = subgraph.types.get(type_name)
    if type_def is None:
        return []
    if type_def.kind == "object":
        return [type_name]
    if type_def.kind == "union":
        return [m for m in type_def.members if m in subgraph.types]
    if type_def.kind == "interface" and not type_def.interface_object:
        return [
            name
            for name, candidate in subgraph.types.items()
            if candidate.kind == "object" and type_name in candidate.interfaces
        ]
    return []


class _Checker:
    def __init__(self, supergraph: ComposedSupergraph, issues: list[CompositionIssue]) -> None:
        self.graphs = supergraph.graphs
        self.issues = issues
        self.reported: set[tuple[str, str]] = set()

    def run(self, roots: list[str]) -> None:
        queue: deque[_Position] = deque()
        seen: set[tuple[str, str]] = set()
        for graph in self.graphs:
            for root in roots:
                root_def = graph.subgraph.types.get(root)
                if root_def is not None and root_def.fields:
                    queue.append(_Position(graph, root, (root,)))
        while queue:
            position = queue.popleft()
            marker = (position.graph.name, position.type_name)
            if marker in seen:
                continue
            seen.add(marker)
            reachable = self._reachable_graphs(position)
            for graph in reachable:
                if graph is not position.graph:
                    queue.append(_Position(graph, position.type_name, position.path))
            if position.type_name not in roots:
                self._check_fields(position, reachable)
            type_def = position.graph.subgraph.types[position.type_name]
            for field_def in type_def.fields.values():
                if not _resolves(position.graph.subgraph, position.type_name, field_def.name):
                    continue
                for target in _possible_objects(
                    position.graph.subgraph, named_type(field_def.type)
                ):
                    queue.append(
                        _Position(position.graph, target, (*position.path, field_def.name))
                    )

    def _reachable_graphs(self, position: _Position) -> list[Graph]:
        """Subgraphs the router can reach type T in, starting from one that returned it."""
        reached = [position.graph]
        changed = True
        while changed:
            changed = False
            for graph in self.graphs:
                if graph in reached:
                    continue
                type_def = graph.subgraph.types.get(position.type_name)
                if type_def is None or type_def.kind != "object":
                    continue
                keys = self._resolvable_key_fields(type_def)
                if any(self._key_available(fields, position, reached) for fields in keys):
                    reached.append(graph)
                    changed = True
        return reached

    @staticmethod
    def _resolvable_key_fields(type_def: TypeDef) -> list[list[str]]:
        keys: list[list[str]] = []
        for key in type_def.keys:
            if key.resolvable and key.selection is not None:
                keys.append(
                    [s.name.value for s in key.selection.selections if isinstance(s, FieldNode)]
                )
        return keys

    @staticmethod
    def _key_available(fields: list[str], position: _Position, reached: list[Graph]) -> bool:
        for field_name in fields:
            if not any(
                (g.subgraph.types.get(position.type_name) is not None)
                and field_name in g.subgraph.types[position.type_name].fields
                and (
                    _resolves(g.subgraph, position.type_name, field_name)
                    or g.subgraph.types[position.type_name].fields[field_name].used_as_key
                )
                for g in reached
            ):
                return False
        return True

    def _check_fields(self, position: _Position, reachable: list[Graph]) -> None:
        type_name = position.type_name
        declared: dict[str, list[Graph]] = {}
        for graph in self.graphs:
            type_def = graph.subgraph.types.get(type_name)
            if type_def is None or type_def.kind != "object":
                continue
            for field_name in type_def.fields:
                if _resolves(graph.subgraph, type_name, field_name):
                    declared.setdefault(field_name, []).append(graph)
        for field_name, resolvers in declared.items():
            if any(graph in reachable for graph in resolvers):
                continue
            if (type_name, field_name) in self.reported:
                continue
            self.reported.add((type_name, field_name))
            self._report(position, field_name, resolvers)

    def _report(self, position: _Position, field_name: str, resolvers: list[Graph]) -> None:
        type_name = position.type_name
        coordinate = f"{type_name}.{field_name}"
        fields = [*position.path[1:], field_name]
        query_lines = ["{"]
        for depth, name in enumerate(fields, start=1):
            suffix = " {" if depth < len(fields) else ""
            query_lines.append("  " * depth + name + suffix)
        query_lines.extend("  " * depth + "}" for depth in range(len(fields) - 1, -1, -1))
        reasons = [f'  - cannot find field "{coordinate}".']
        for graph in resolvers:
            type_def = graph.subgraph.types[type_name]
            if not type_def.keys:
                why = f'type "{type_name}" has no @key defined in subgraph "{graph.name}"'
            elif not any(key.resolvable for key in type_def.keys):
                why = (
                    f'none of the @key defined on type "{type_name}" in subgraph "{graph.name}" '
                    'are resolvable (they are all declared with their "resolvable" argument set '
                    "to false)"
                )
            else:
                why = (
                    f'none of the @key of type "{type_name}" in subgraph "{graph.name}" can be '
                    f'satisfied from subgraph "{position.graph.name}"'
                )
            reasons.append(
                f'  - cannot move to subgraph "{graph.name}", which has field "{coordinate}", '
                f"because {why}."
            )
        message = (
            "The following supergraph API query:\n"
            + "\n".join(query_lines)
            + "\ncannot be satisfied by the subgraphs because:\n"
            + f'- from subgraph "{position.graph.name}":\n'
            + "\n".join(reasons)
        )
        self.issues.append(
            CompositionIssue(
                "SATISFIABILITY_ERROR",
                message,
                (position.graph.name, *(graph.name for graph in resolvers)),
                coordinate,
            )
        )


def check_satisfiability(supergraph: ComposedSupergraph, issues: list[CompositionIssue]) -> None:
    """Append a SATISFIABILITY_ERROR for each field some query path cannot reach."""
    roots = [name for _, name in supergraph.root_types]
    _Checker(supergraph, issues).run(roots)
