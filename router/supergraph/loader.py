"""Read the join directives of a supergraph SDL into the per-type model (`TypeInfo`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from graphql import (
    ConstDirectiveNode,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    value_from_ast_untyped,
)
from graphql.type.introspection import introspection_types

from router.supergraph.errors import SupergraphError
from router.supergraph.fieldsets import parse_field_set
from router.supergraph.links import Links
from router.supergraph.model import FieldInfo, Key, TypeInfo

_SUPPORTED_JOIN = ((0, 2), (0, 5))


def _label_enabled(label: str) -> bool:
    """Whether a progressive-override label is on for every request.

    Plans are made once per document, not per request, so a label is either on (`percent(100)`)
    or off (`percent(0)`, any other percentage, and custom labels, which the router cannot
    evaluate): the field stays with the subgraph it is moving away from until the rollout is
    complete.
    """
    text = label.strip()
    if text.startswith("percent(") and text.endswith(")"):
        try:
            return float(text[len("percent(") : -1]) >= 100
        except ValueError:
            return False
    return False


def _args(directive: ConstDirectiveNode) -> dict[str, Any]:
    return {arg.name.value: value_from_ast_untyped(arg.value) for arg in directive.arguments or ()}


def _directives(named: Any) -> Iterable[ConstDirectiveNode]:
    nodes = [named.ast_node, *(named.extension_ast_nodes or ())]
    for node in nodes:
        if node is not None:
            yield from node.directives or ()


def _kind(named: GraphQLNamedType) -> str:
    if isinstance(named, GraphQLObjectType):
        return "object"
    if isinstance(named, GraphQLInterfaceType):
        return "interface"
    if isinstance(named, GraphQLUnionType):
        return "union"
    if isinstance(named, GraphQLEnumType):
        return "enum"
    if isinstance(named, GraphQLInputObjectType):
        return "input"
    assert isinstance(named, GraphQLScalarType)
    return "scalar"


class JoinReader:
    """Turns the join directives of a built supergraph schema into `TypeInfo` records."""

    def __init__(self, schema: GraphQLSchema, links: Links) -> None:
        join = links.get("join")
        if join is None:
            raise SupergraphError(
                "not a federation supergraph: no @link to https://specs.apollo.dev/join"
            )
        if join.version < _SUPPORTED_JOIN[0]:
            raise SupergraphError(
                f"join spec v{join.version[0]}.{join.version[1]} (Federation 1) is not supported;"
                " recompose with Federation 2"
            )
        self.schema = schema
        self.join = join
        self.internal_prefixes = links.internal_prefixes()
        self.d_graph = join.directive("graph")
        self.d_type = join.directive("type")
        self.d_field = join.directive("field")
        self.d_implements = join.directive("implements")
        self.d_union_member = join.directive("unionMember")
        self.graph_names: dict[str, str] = {}
        self.subgraph_urls: dict[str, str] = {}
        self._read_graphs()

    def _read_graphs(self) -> None:
        enum = self.schema.type_map.get(f"{self.join.prefix}__Graph")
        if not isinstance(enum, GraphQLEnumType):
            raise SupergraphError(f"the supergraph has no {self.join.prefix}__Graph enum")
        for value_name, value in enum.values.items():
            graph_args: dict[str, Any] | None = None
            if value.ast_node is not None:
                for directive in value.ast_node.directives or ():
                    if directive.name.value == self.d_graph:
                        graph_args = _args(directive)
            if graph_args is None:
                raise SupergraphError(f"{enum.name}.{value_name} has no @{self.d_graph}")
            name = str(graph_args.get("name") or value_name)
            self.graph_names[value_name] = name
            self.subgraph_urls[name] = str(graph_args.get("url") or "")
        if not self.graph_names:
            raise SupergraphError("the supergraph declares no subgraphs")

    def _graph(self, value: Any, where: str) -> str:
        try:
            return self.graph_names[str(value)]
        except KeyError:
            raise SupergraphError(f"{where}: unknown subgraph {value!r}") from None

    def is_internal(self, name: str) -> bool:
        return name.startswith(self.internal_prefixes) or name in introspection_types

    def read(self) -> dict[str, TypeInfo]:
        types: dict[str, TypeInfo] = {}
        implements: dict[str, dict[str, set[str]]] = {}
        for name, named in self.schema.type_map.items():
            if self.is_internal(name):
                continue
            info = self._read_type(named, implements)
            types[name] = info
        self._fill_possible_types(types, implements)
        return types

    def _read_type(
        self, named: GraphQLNamedType, implements: dict[str, dict[str, set[str]]]
    ) -> TypeInfo:
        kind = _kind(named)
        graphs: list[str] = []
        keys: dict[str, list[Key]] = {}
        interface_object: set[str] = set()
        union_members: dict[str, set[str]] = {}
        for directive in _directives(named):
            directive_name = directive.name.value
            if directive_name == self.d_type:
                args = _args(directive)
                graph = self._graph(args.get("graph"), named.name)
                if graph not in graphs:
                    graphs.append(graph)
                key_text = args.get("key")
                if key_text:
                    keys.setdefault(graph, []).append(
                        Key(
                            graph=graph,
                            selection=parse_field_set(str(key_text)),
                            text=str(key_text),
                            resolvable=args.get("resolvable", True) is not False,
                        )
                    )
                if args.get("isInterfaceObject"):
                    interface_object.add(graph)
            elif directive_name == self.d_implements:
                args = _args(directive)
                graph = self._graph(args.get("graph"), named.name)
                implements.setdefault(str(args.get("interface")), {}).setdefault(graph, set()).add(
                    named.name
                )
            elif directive_name == self.d_union_member:
                args = _args(directive)
                graph = self._graph(args.get("graph"), named.name)
                union_members.setdefault(graph, set()).add(str(args.get("member")))
        if not graphs:
            # A type without @join__type is known to every subgraph (e.g. built-in scalars).
            graphs = list(self.subgraph_urls)
        info = TypeInfo(
            name=named.name,
            kind=kind,
            graphs=frozenset(graphs),
            keys=keys,
            interface_object_graphs=frozenset(interface_object),
        )
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in named.fields.items():
                info.fields[field_name] = self._read_field(info, field_name, field.ast_node)
        if isinstance(named, GraphQLUnionType):
            members = {member.name for member in named.types}
            for graph in graphs:
                if union_members:
                    found = union_members.get(graph, set())
                else:  # join v0.2 has no @join__unionMember: a member is there if its type is
                    found = {m for m in members if self._type_in_graph(m, graph)}
                info.possible_by_graph[graph] = frozenset(found & members)
        return info

    def _type_in_graph(self, type_name: str, graph: str) -> bool:
        named = self.schema.type_map.get(type_name)
        if named is None:
            return False
        found = False
        for directive in _directives(named):
            if directive.name.value == self.d_type:
                found = True
                if self.graph_names.get(str(_args(directive).get("graph"))) == graph:
                    return True
        return not found

    def _read_field(self, parent: TypeInfo, name: str, node: Any) -> FieldInfo:
        applications = [
            _args(d)
            for d in ((node.directives or ()) if node is not None else ())
            if d.name.value == self.d_field
        ]
        if not applications:
            return FieldInfo(
                name=name, parent=parent.name, resolving=parent.graphs, external=frozenset()
            )
        resolving: set[str] = set()
        external: set[str] = set()
        info = FieldInfo(name=name, parent=parent.name, resolving=frozenset(), external=frozenset())
        for args in applications:
            if args.get("graph") is None:
                continue  # present in the API but resolved by no subgraph on this type directly
            graph = self._graph(args["graph"], f"{parent.name}.{name}")
            if args.get("type"):
                info.types[graph] = str(args["type"])
            label = args.get("overrideLabel")
            if args.get("external"):
                external.add(graph)
            elif label and args.get("override"):
                # progressive override, the subgraph the field moves to: it resolves the field
                # only while the label is enabled (one plan per document: see _label_enabled)
                info.override_labels[graph] = (str(label), str(args["override"]))
                if _label_enabled(str(label)):
                    resolving.add(graph)
            elif label:
                # the subgraph the field moves away from keeps it while the label is disabled
                if not _label_enabled(str(label)):
                    resolving.add(graph)
            elif not args.get("usedOverridden"):
                resolving.add(graph)
            if args.get("requires"):
                info.requires[graph] = parse_field_set(str(args["requires"]))
            if args.get("provides"):
                info.provides[graph] = parse_field_set(str(args["provides"]))
        info.resolving = frozenset(resolving)
        info.external = frozenset(external - resolving)
        return info

    def _fill_possible_types(
        self, types: dict[str, TypeInfo], implements: dict[str, dict[str, set[str]]]
    ) -> None:
        for info in types.values():
            if info.kind != "interface":
                continue
            interface = self.schema.type_map[info.name]
            assert isinstance(interface, GraphQLInterfaceType)
            objects = {t.name for t in self.schema.get_possible_types(interface)}
            by_graph = implements.get(info.name)
            for graph in info.graphs:
                if graph in info.interface_object_graphs:
                    # The subgraph sees the interface as an object type; it answers with the
                    # interface's own name as __typename.
                    info.possible_by_graph[graph] = frozenset({info.name})
                    continue
                if by_graph is not None:
                    direct = set(by_graph.get(graph, set()))
                    # interfaces implementing this interface contribute their implementations
                    for sub in list(direct):
                        if types.get(sub) is not None and types[sub].kind == "interface":
                            direct |= set(implements.get(sub, {}).get(graph, set()))
                    found = direct & objects
                else:
                    found = {o for o in objects if graph in types[o].graphs}
                info.possible_by_graph[graph] = frozenset(found)
