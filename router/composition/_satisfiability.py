"""Basic satisfiability: every field must be reachable wherever its type can be returned.

We walk the supergraph from the root fields. A state is a type T at some query path together with
the subgraphs the router may be "in" at that path (a shareable field returning T may be fetched
from any subgraph that resolves it). From a subgraph G the router can get T's fields that G
resolves, or jump to a subgraph H through one of T's resolvable ``@key``s in H whose fields are
available where it stands. A field of T that no option reaches cannot be queried at that path:
composition fails and shows the query that cannot be answered, as Apollo's composition does.

This is deliberately a subset of Apollo's satisfiability check (a full query-graph traversal):
abstract types are followed through their implementations in the same subgraph, ``@provides`` is
taken to make its fields available on every path, ``@requires`` conditions are not checked, and
fields that only ``@interfaceObject`` subgraphs add are not checked.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from graphql.language import FieldNode

from ._model import ComposedSupergraph, Graph
from ._subgraph_model import Subgraph, TypeDef, named_type
from .errors import CompositionIssue

# Fields another subgraph took over with @override, as (source subgraph, type, field): the source
# no longer resolves them.
Overridden = frozenset[tuple[str, str, str]]


@dataclass(frozen=True)
class _State:
    type_name: str
    graphs: tuple[Graph, ...]  # the subgraphs the router may be in at this path (in graph order)
    path: tuple[str, ...]  # field names from the root, starting with the root type name


def _resolves(subgraph: Subgraph, type_name: str, field_name: str, overridden: Overridden) -> bool:
    type_def = subgraph.types.get(type_name)
    if type_def is None or type_def.kind != "object":
        return False
    found = type_def.fields.get(field_name)
    if found is None or (found.external and not found.provided):
        return False
    return (subgraph.name, type_name, field_name) not in overridden


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


def _resolvable_key_fields(type_def: TypeDef) -> list[list[str]]:
    return [
        [s.name.value for s in key.selection.selections if isinstance(s, FieldNode)]
        for key in type_def.keys
        if key.resolvable and key.selection is not None
    ]


class _Checker:
    def __init__(
        self,
        supergraph: ComposedSupergraph,
        issues: list[CompositionIssue],
        overridden: Overridden,
    ) -> None:
        self.graphs = supergraph.graphs
        self.issues = issues
        self.overridden = overridden
        self.reported: set[tuple[str, str]] = set()

    def run(self, roots: list[str]) -> None:
        queue: deque[_State] = deque()
        for root in roots:
            graphs = tuple(
                g for g in self.graphs if (t := g.subgraph.types.get(root)) is not None and t.fields
            )
            if graphs:
                queue.append(_State(root, graphs, (root,)))
        seen: set[tuple[str, tuple[str, ...]]] = set()
        while queue:
            state = queue.popleft()
            marker = (state.type_name, tuple(g.name for g in state.graphs))
            if marker in seen:
                continue
            seen.add(marker)
            is_root = state.type_name in roots
            # Where the router can be for this type: the options, and what each reaches by keys.
            reachable: list[Graph] = []
            for graph in state.graphs:
                for reached in [graph] if is_root else self._reachable_graphs(graph, state):
                    if reached not in reachable:
                        reachable.append(reached)
            resolvers_by_field = self._resolvers(state.type_name)
            for field_name, resolvers in resolvers_by_field.items():
                options = [g for g in reachable if g in resolvers]
                if not options:
                    if not is_root:
                        self._report(state, field_name, resolvers)
                    continue
                self._follow(state, field_name, options, queue)

    def _resolvers(self, type_name: str) -> dict[str, list[Graph]]:
        resolvers: dict[str, list[Graph]] = {}
        for graph in self.graphs:
            type_def = graph.subgraph.types.get(type_name)
            if type_def is None or type_def.kind != "object":
                continue
            for field_name in type_def.fields:
                if _resolves(graph.subgraph, type_name, field_name, self.overridden):
                    resolvers.setdefault(field_name, []).append(graph)
        return resolvers

    def _follow(
        self, state: _State, field_name: str, options: list[Graph], queue: deque[_State]
    ) -> None:
        by_target: dict[str, list[Graph]] = {}
        for graph in options:
            field_def = graph.subgraph.types[state.type_name].fields[field_name]
            for target in _possible_objects(graph.subgraph, named_type(field_def.type)):
                by_target.setdefault(target, []).append(graph)
        for target, graphs in by_target.items():
            queue.append(_State(target, tuple(graphs), (*state.path, field_name)))

    def _reachable_graphs(self, start: Graph, state: _State) -> list[Graph]:
        """Subgraphs the router can reach type T in from ``start``, through resolvable keys."""
        reached = [start]
        changed = True
        while changed:
            changed = False
            for graph in self.graphs:
                if graph in reached:
                    continue
                type_def = graph.subgraph.types.get(state.type_name)
                if type_def is None or type_def.kind != "object":
                    continue
                keys = _resolvable_key_fields(type_def)
                if any(self._key_available(fields, state.type_name, reached) for fields in keys):
                    reached.append(graph)
                    changed = True
        return reached

    def _key_available(self, fields: list[str], type_name: str, reached: list[Graph]) -> bool:
        def available(graph: Graph, field_name: str) -> bool:
            type_def = graph.subgraph.types.get(type_name)
            if type_def is None or field_name not in type_def.fields:
                return False
            return _resolves(graph.subgraph, type_name, field_name, self.overridden) or (
                type_def.fields[field_name].used_as_key
                and (graph.name, type_name, field_name) not in self.overridden
            )

        return all(any(available(g, name) for g in reached) for name in fields)

    def _report(self, state: _State, field_name: str, resolvers: list[Graph]) -> None:
        type_name = state.type_name
        coordinate = f"{type_name}.{field_name}"
        if (type_name, field_name) in self.reported:
            return
        self.reported.add((type_name, field_name))
        fields = [*state.path[1:], field_name]
        query_lines = ["{"]
        for depth, name in enumerate(fields, start=1):
            query_lines.append("  " * depth + name + (" {" if depth < len(fields) else ""))
        query_lines.extend("  " * depth + "}" for depth in range(len(fields) - 1, -1, -1))
        lines = [
            "The following supergraph API query:",
            *query_lines,
            "cannot be satisfied by the subgraphs because:",
        ]
        for start in state.graphs:
            lines.append(f'- from subgraph "{start.name}":')
            lines.append(f'  - cannot find field "{coordinate}".')
            for graph in resolvers:
                lines.append(
                    f'  - cannot move to subgraph "{graph.name}", which has field '
                    f'"{coordinate}", because {self._why(graph, start, type_name)}.'
                )
        self.issues.append(
            CompositionIssue(
                "SATISFIABILITY_ERROR",
                "\n".join(lines),
                tuple(
                    dict.fromkeys([*(g.name for g in state.graphs), *(g.name for g in resolvers)])
                ),
                coordinate,
            )
        )

    @staticmethod
    def _why(graph: Graph, start: Graph, type_name: str) -> str:
        type_def = graph.subgraph.types[type_name]
        if not type_def.keys:
            return f'type "{type_name}" has no @key defined in subgraph "{graph.name}"'
        if not any(key.resolvable for key in type_def.keys):
            return (
                f'none of the @key defined on type "{type_name}" in subgraph "{graph.name}" are '
                'resolvable (they are all declared with their "resolvable" argument set to false)'
            )
        return (
            f'none of the @key of type "{type_name}" in subgraph "{graph.name}" can be satisfied '
            f'from subgraph "{start.name}"'
        )


def check_satisfiability(supergraph: ComposedSupergraph, issues: list[CompositionIssue]) -> None:
    """Append a SATISFIABILITY_ERROR for each field some query path cannot reach."""
    roots = [name for _, name in supergraph.root_types]
    overridden: Overridden = frozenset(
        (str(field_def.override), type_def.name, field_def.name)
        for graph in supergraph.graphs
        for type_def in graph.subgraph.types.values()
        for field_def in type_def.fields.values()
        if field_def.override is not None and field_def.override_label is None
    )
    _Checker(supergraph, issues, overridden).run(roots)
