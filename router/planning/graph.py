"""The query graph of a supergraph: what each subgraph can resolve, and how to move between them.

A node is a type as one subgraph sees it, `(subgraph, type)`. Edges leave a node:

- field edges: the subgraph resolves the field itself (with its `@requires` condition, and the
  `@provides` shortcut its result carries); `@external` fields are no edge (they are usable only
  where a `@provides` names them), `@override`n fields only in the overriding subgraph (with a
  progressive-override label, in the subgraph being overridden: labels count as disabled);
  `@inaccessible` fields are edges like any other (usable for keys and requirements, never in
  the API schema);
- entity jumps: to the same type in any subgraph with a resolvable `@key` (each key is an edge;
  composite and nested keys are conditions like any field set), including the jump from an
  object type to the `@interfaceObject` subgraph of an interface it implements;
- root jumps: the root type of every subgraph is reachable from the start;
- type conditions: from an abstract type to each object type the subgraph may return for it.

Built once per `Supergraph` (a reload loads a new one, so the graph is rebuilt) and cached.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

from graphql import GraphQLInterfaceType, GraphQLObjectType, SelectionSetNode, get_named_type

from router.planning.operation import unwrap
from router.supergraph import Supergraph
from router.supergraph.model import Key


@dataclass(frozen=True)
class FieldEdge:
    """`parent.name` resolved by `graph`; `requires` must be fetched first when set."""

    graph: str
    parent: str
    name: str
    target: str  # the named type of the field
    list_depth: int
    requires: SelectionSetNode | None
    provides: SelectionSetNode | None
    subgraph_type: str  # the field's type as `graph` declares it (for response-name conflicts)


@dataclass(frozen=True)
class KeyEdge:
    """An entity jump into `graph` for objects of `source_type`, through `key`.

    `fragment_type` is the type the jump selects (`... on X`): the type itself, or the interface
    an `@interfaceObject` subgraph knows it as. `representation` overrides the representation's
    `__typename` (None: the object's own).
    """

    graph: str
    source_type: str
    fragment_type: str
    key: Key
    representation: str | None


class QueryGraph:
    """Nodes and edges of one supergraph (see the module docstring)."""

    def __init__(self, supergraph: Supergraph) -> None:
        self.supergraph = supergraph
        types = supergraph.types
        schema = supergraph.schema
        self.order = {name: i for i, name in enumerate(supergraph.subgraph_names)}
        self.nodes: set[tuple[str, str]] = set()
        self.fields: dict[tuple[str, str], dict[str, FieldEdge]] = {}
        self.provided_only: dict[tuple[str, str], frozenset[str]] = {}
        self.jumps: dict[str, tuple[KeyEdge, ...]] = {}
        self.possible_types: dict[tuple[str, str], frozenset[str]] = {}
        self.roots: dict[str, tuple[str, ...]] = {}
        for info in types.values():
            if info.kind not in ("object", "interface", "union"):
                continue
            for graph in info.graphs:
                self.nodes.add((graph, info.name))
            if info.is_abstract:
                for graph in info.graphs:
                    self.possible_types[(graph, info.name)] = info.possible_by_graph.get(
                        graph, frozenset()
                    )
            named = schema.type_map.get(info.name)
            if not isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
                continue
            for field in info.fields.values():
                field_type = named.fields[field.name].type
                depth, _ = unwrap(field_type)
                target = get_named_type(field_type).name
                for graph in field.resolving:
                    self.fields.setdefault((graph, info.name), {})[field.name] = FieldEdge(
                        graph=graph,
                        parent=info.name,
                        name=field.name,
                        target=target,
                        list_depth=depth,
                        requires=field.requires.get(graph),
                        provides=field.provides.get(graph),
                        subgraph_type=field.types.get(graph, str(field_type)),
                    )
                for graph in field.external:
                    node = (graph, info.name)
                    self.provided_only[node] = self.provided_only.get(node, frozenset()) | {
                        field.name
                    }
        for info in types.values():
            if info.kind not in ("object", "interface"):
                continue
            edges: list[KeyEdge] = []
            abstract_rep = info.name if info.is_abstract else None
            for graph in sorted(info.keys, key=self.order.__getitem__):
                rep = info.name if graph in info.interface_object_graphs else abstract_rep
                edges += [
                    KeyEdge(graph, info.name, info.name, key, rep)
                    for key in info.resolvable_keys(graph)
                ]
            named = schema.type_map[info.name]
            if isinstance(named, GraphQLObjectType):
                for interface in named.interfaces:
                    iface = types.get(interface.name)
                    if iface is None:
                        continue
                    for graph in sorted(iface.interface_object_graphs, key=self.order.__getitem__):
                        edges += [
                            KeyEdge(graph, info.name, iface.name, key, iface.name)
                            for key in iface.resolvable_keys(graph)
                        ]
            self.jumps[info.name] = tuple(edges)
        for root in (supergraph.query_type, supergraph.mutation_type):
            if root is not None:
                self.roots[root] = tuple(sorted(types[root].graphs, key=self.order.__getitem__))

    def field(self, graph: str, parent: str, name: str) -> FieldEdge | None:
        """Return the field edge `parent.name` in `graph`, if `graph` resolves it itself."""
        found = self.fields.get((graph, parent))
        return found.get(name) if found else None

    def jumps_into(self, type_name: str, graph: str) -> list[KeyEdge]:
        """Return the entity jumps to `graph` for objects of `type_name`."""
        return [edge for edge in self.jumps.get(type_name, ()) if edge.graph == graph]

    def possible_in(self, graph: str, type_name: str) -> frozenset[str]:
        """Return the object types `graph` may return for `type_name` (itself for an object)."""
        if self.supergraph.types[type_name].is_abstract:
            return self.possible_types.get((graph, type_name), frozenset())
        return frozenset({type_name})


_GRAPHS: weakref.WeakKeyDictionary[Supergraph, QueryGraph] = weakref.WeakKeyDictionary()


def query_graph(supergraph: Supergraph) -> QueryGraph:
    """Return the query graph of `supergraph`, built on first use, kept while it is loaded."""
    graph = _GRAPHS.get(supergraph)
    if graph is None:
        graph = QueryGraph(supergraph)
        _GRAPHS[supergraph] = graph
    return graph
