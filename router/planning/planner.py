"""The query planner: a pure function from a validated operation to a `QueryPlan`.

The choices come from the search over the supergraph's query graph (`search.py`, `graph.py`):
at each point of the operation it says, for every field, whether the current fetch resolves it,
or which subgraph to jump to and through which key. This module carries them out, building the
fetch graph: fetch groups (one subgraph, one response path) with their dependencies. A jump makes
the current group also fetch `__typename` and the key (planned at the same point, so a key can
itself come from a third subgraph), and a child group fetch the field through `_entities`;
`@requires` fields are planned the same way and the child waits for every group contributing to
them. `fetchgraph.py` then optimises the groups and `emit.py` turns them into plan nodes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLOutputType,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
    print_ast,
)

from router.planning.emit import PlanEmitter
from router.planning.errors import OperationNotFound, PlanningError, UnsupportedOperation
from router.planning.fetchgraph import optimise
from router.planning.graph import KeyEdge, query_graph
from router.planning.groups import FetchGroup
from router.planning.nodes import QueryPlan
from router.planning.operation import (
    arguments_text,
    client_aliases,
    directives_text,
    internal_selection,
    select_operation,
    unwrap,
)
from router.planning.search import (
    NO_VISITS,
    ROOT,
    Choice,
    Search,
    Visiting,
    provided_field,
)
from router.planning.selection import SelSet
from router.supergraph import Supergraph

_INTROSPECTION_ROOT = frozenset({"__schema", "__type"})


@dataclass(frozen=True)
class _FragmentItem:
    """An inline fragment (or inlined spread) that must be planned in another subgraph."""

    type_condition: str | None
    directives: str
    selection_set: SelectionSetNode


class _Planner:
    def __init__(
        self,
        supergraph: Supergraph,
        operation: OperationDefinitionNode,
        fragments: dict[str, FragmentDefinitionNode],
    ) -> None:
        self.sg = supergraph
        self.graph = query_graph(supergraph)
        self.types = supergraph.types
        self.schema = supergraph.schema
        self.operation = operation
        self.fragments = fragments
        self.search = Search(self.graph, fragments)
        self.groups: list[FetchGroup] = []
        self.children: dict[tuple[int, str, tuple[str, ...]], list[FetchGroup]] = {}
        self.recorders: list[set[int]] = []
        self.client_aliases = client_aliases(operation, fragments)
        self.visiting: Visiting = NO_VISITS
        self.choices: dict[tuple[object, ...], Choice | None] = {}

    # ---- facts -----------------------------------------------------------------------------

    def possible(self, type_name: str) -> frozenset[str]:
        return self.search.possible(type_name)

    def is_interface_object(self, graph: str, type_name: str) -> bool:
        return graph in self.types[type_name].interface_object_graphs

    def field_type(self, parent: str, name: str) -> GraphQLOutputType:
        named = self.schema.type_map[parent]
        assert isinstance(named, GraphQLObjectType | GraphQLInterfaceType)
        found = named.fields.get(name)
        if found is None:
            raise PlanningError(f"unknown field {parent}.{name}")
        field_type: GraphQLOutputType = found.type
        return field_type

    # ---- decisions ---------------------------------------------------------------------------

    def decide(
        self,
        graph: str,
        parent: str,
        selection_set: SelectionSetNode,
        path: tuple[str, ...],
        provided: SelectionSetNode | None,
    ) -> None:
        """Choose, once per point, how each field selected on `parent` itself is resolved."""
        fields, _typed = self.search.collect(parent, selection_set)
        fields = [
            f
            for f in fields
            if (graph, parent, path, id(f), id(provided), self.visiting) not in self.choices
        ]
        if not fields:
            return
        assigned = self.search.assign(graph, parent, fields, provided, self.visiting)
        for node in fields:
            choice = assigned[0].get(id(node)) if assigned is not None else None
            self.choices[(graph, parent, path, id(node), id(provided), self.visiting)] = choice

    def choice(
        self,
        graph: str,
        parent: str,
        node: FieldNode,
        path: tuple[str, ...],
        provided: SelectionSetNode | None,
    ) -> Choice:
        key = (graph, parent, path, id(node), id(provided), self.visiting)
        if key not in self.choices:
            self.decide(graph, parent, SelectionSetNode(selections=(node,)), path, provided)
        found = self.choices[key]
        if found is None:
            raise self.failure(graph, parent, node, provided)
        return found

    def failure(
        self, graph: str, parent: str, node: FieldNode, provided: SelectionSetNode | None
    ) -> PlanningError:
        """Build a precise planning error: the field, the subgraphs having it, what is missing.

        Where the field itself is reachable but its selection is not, the error is about the
        first field below that cannot be planned.
        """
        name = node.name.value
        info = self.types[parent].fields.get(name)
        candidates = sorted(info.resolving) if info is not None else []
        here = "the start" if graph == ROOT else f"subgraph '{graph}'"
        if not candidates:
            return PlanningError(f"cannot plan {parent}.{name}: no subgraph resolves it")
        reasons: list[str] = []
        nested: list[tuple[str, str, SelectionSetNode, SelectionSetNode | None]] = []
        for candidate in candidates:
            edge = self.graph.field(candidate, parent, name)
            keys = self.graph.jumps_into(parent, candidate)
            if graph not in (ROOT, candidate) and not keys:
                reasons.append(f"'{candidate}' has no resolvable @key on {parent}")
                continue
            if graph not in (ROOT, candidate) and (
                self.search.best_key(graph, parent, keys, self.visiting) is None
            ):
                texts = " or ".join(f'"{k.key.text}"' for k in keys)
                reasons.append(f"the key {texts} of '{candidate}' is not obtainable from {here}")
                continue
            if edge is not None and edge.requires is not None:
                inner = self.visiting | {("req", parent, name)}
                if self.search.selection_cost(graph, parent, edge.requires, None, inner) is None:
                    reasons.append(
                        f"the requirement {print_ast(edge.requires)} of '{candidate}'"
                        f" cannot be fetched from {here}"
                    )
                    continue
            reasons.append(f"its selection cannot be planned in '{candidate}'")
            if edge is not None and node.selection_set is not None:
                nested.append((candidate, edge.target, node.selection_set, edge.provides))
        if nested and len(nested) == len(reasons):
            return self.nested_failure(*nested[0]) or PlanningError(
                f"cannot plan {parent}.{name} from {here}: " + "; ".join(reasons)
            )
        return PlanningError(
            f"cannot plan {parent}.{name} from {here}: it is resolved by"
            f" {', '.join(repr(c) for c in candidates)}, but " + "; ".join(reasons)
        )

    def nested_failure(
        self,
        graph: str,
        type_name: str,
        selection_set: SelectionSetNode,
        provided: SelectionSetNode | None,
    ) -> PlanningError | None:
        """Return the error of the first field of a selection that has no option at all."""
        fields, typed = self.search.collect(type_name, selection_set)
        for node in fields:
            if not self.search.field_options(graph, type_name, node, provided, NO_VISITS):
                return self.failure(graph, type_name, node, provided)
        for condition, _sub in typed:
            return PlanningError(
                f"cannot plan ... on {condition} within {type_name} from subgraph '{graph}'"
            )
        return None

    # ---- groups -----------------------------------------------------------------------------

    def new_group(
        self, subgraph: str, path: tuple[str, ...], entity: bool, parent: FetchGroup | None
    ) -> FetchGroup:
        group = FetchGroup(
            id=len(self.groups),
            subgraph=subgraph,
            path=path,
            entity=entity,
            parent=parent.id if parent else None,
        )
        if parent is not None:
            group.parents.add(parent.id)
        self.groups.append(group)
        return group

    def ancestors(self, ids: set[int]) -> set[int]:
        found: set[int] = set()
        stack = list(ids)
        while stack:
            current = stack.pop()
            if current in found:
                continue
            found.add(current)
            stack.extend(self.groups[current].parents)
        return found

    def child_group(
        self, parent: FetchGroup, subgraph: str, path: tuple[str, ...], needs: set[int]
    ) -> FetchGroup:
        """Return the entity group for `subgraph` at `path` below `parent` waiting for `needs`.

        An existing one is reused unless one of `needs` waits for it (a requirement chain that
        goes back to the same subgraph needs a second fetch there).
        """
        key = (parent.id, subgraph, path)
        waiting = self.ancestors(needs)
        for group in self.children.get(key, ()):
            if group.id not in waiting:
                group.parents |= needs
                return group
        group = self.new_group(subgraph, path, True, parent)
        group.parents |= needs
        self.children.setdefault(key, []).append(group)
        return group

    def touch(self, group: FetchGroup) -> None:
        for recorder in self.recorders:
            recorder.add(group.id)

    # ---- walking the operation ---------------------------------------------------------------

    def plan_selection_set(
        self,
        group: FetchGroup,
        parent: str,
        selection_set: SelectionSetNode,
        target: SelSet,
        path: tuple[str, ...],
        provided: SelectionSetNode | None,
    ) -> None:
        self.decide(group.subgraph, parent, selection_set, path, provided)
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                self.plan_field(group, parent, selection, target, path, provided)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                self.plan_fragment(
                    group,
                    parent,
                    _FragmentItem(
                        condition.name.value if condition else None,
                        directives_text(selection),
                        selection.selection_set,
                    ),
                    target,
                    path,
                    provided,
                )
            elif isinstance(selection, FragmentSpreadNode):
                definition = self.fragments[selection.name.value]
                self.plan_fragment(
                    group,
                    parent,
                    _FragmentItem(
                        definition.type_condition.name.value,
                        directives_text(selection),
                        definition.selection_set,
                    ),
                    target,
                    path,
                    provided,
                )

    def plan_fragment(
        self,
        group: FetchGroup,
        parent: str,
        item: _FragmentItem,
        target: SelSet,
        path: tuple[str, ...],
        provided: SelectionSetNode | None,
    ) -> None:
        condition = item.type_condition
        graph = group.subgraph
        if condition is None or condition == parent:
            inner = target.fragment(None, item.directives) if item.directives else target
            self.plan_selection_set(group, parent, item.selection_set, inner, path, provided)
            return
        if self.is_interface_object(graph, parent):
            # This subgraph does not know the concrete types: ask one that does.
            self.jump_to_interface(group, parent, path, target, item)
            return
        runtime = self.graph.possible_in(graph, parent) & self.possible(condition)
        if not runtime:
            return
        if not self.types[parent].is_abstract:
            inner = target.fragment(None, item.directives) if item.directives else target
            self.plan_selection_set(group, parent, item.selection_set, inner, path, provided)
            return
        cond_info = self.types[condition]
        if not cond_info.is_abstract or (
            graph in cond_info.graphs and not self.is_interface_object(graph, condition)
        ):
            inner = target.fragment(condition, item.directives)
            self.plan_selection_set(group, condition, item.selection_set, inner, path, provided)
            return
        for type_name in sorted(runtime):
            inner = target.fragment(type_name, item.directives)
            self.plan_selection_set(group, type_name, item.selection_set, inner, path, provided)

    def plan_field(
        self,
        group: FetchGroup,
        parent: str,
        node: FieldNode,
        target: SelSet,
        path: tuple[str, ...],
        provided: SelectionSetNode | None,
        allow_requires: bool = False,
    ) -> None:
        name = node.name.value
        graph = group.subgraph
        directives = directives_text(node)
        if name == "__typename" and not self.is_interface_object(graph, parent):
            target.field(node.alias.value if node.alias else name, name, "", directives, leaf=True)
            self.touch(group)
            return
        if allow_requires and self.graph.field(graph, parent, name) is not None:
            self.add_field(group, parent, node, target, path, provided, directives)
            return
        choice = self.choice(graph, parent, node, path, provided)
        if choice.split:
            for type_name in sorted(self.graph.possible_in(graph, parent)):
                inner = target.fragment(type_name)
                self.plan_field(group, type_name, node, inner, path, provided)
            return
        if choice.target is None:
            self.add_field(group, parent, node, target, path, provided, directives)
            return
        assert choice.edge is not None
        self.jump(group, parent, path, target, node, choice.edge)

    def add_field(
        self,
        group: FetchGroup,
        parent: str,
        node: FieldNode,
        target: SelSet,
        path: tuple[str, ...],
        provided: SelectionSetNode | None,
        directives: str,
    ) -> None:
        name = node.name.value
        response_key = node.alias.value if node.alias else name
        field_type = self.field_type(parent, name)
        depth, named = unwrap(field_type)
        leaf = node.selection_set is None
        added = target.field(response_key, name, arguments_text(node), directives, leaf=leaf)
        self.touch(group)
        if leaf or node.selection_set is None:
            return
        assert added.sub is not None
        sub_type = get_named_type(named).name
        sub_info = self.types[sub_type]
        if sub_info.is_abstract:
            added.sub.field("__typename", "__typename", leaf=True)
        edge = self.graph.field(group.subgraph, parent, name)
        provides = edge.provides if edge is not None else None
        if edge is None:
            possible = self.possible(parent) | {parent}
            provides = provided_field(provided, possible, name)[1]
        child_path = path + (response_key,) + ("@",) * depth
        outer = self.visiting
        self.visiting = NO_VISITS  # conditions are resolved per point
        try:
            self.plan_selection_set(
                group, sub_type, node.selection_set, added.sub, child_path, provides
            )
        finally:
            self.visiting = outer

    # ---- entity jumps -------------------------------------------------------------------------

    def jump_to_interface(
        self,
        group: FetchGroup,
        parent: str,
        path: tuple[str, ...],
        target: SelSet,
        item: _FragmentItem,
    ) -> None:
        """Plan a type condition below an @interfaceObject in a subgraph with the real interface."""
        edges = self.search.real_interface_jumps(group.subgraph, parent, self.visiting)
        edge = self.search.best_key(group.subgraph, parent, edges, self.visiting)
        if edge is None:
            raise PlanningError(
                f"cannot plan ... on {item.type_condition} below {parent} from subgraph"
                f" '{group.subgraph}': no subgraph with the interface {parent} is reachable"
                " through a @key"
            )
        self.jump(group, parent, path, target, item, edge)

    def jump(
        self,
        group: FetchGroup,
        parent: str,
        path: tuple[str, ...],
        target: SelSet,
        item: FieldNode | _FragmentItem,
        edge: KeyEdge,
    ) -> None:
        other = edge.graph
        fragment_type = edge.fragment_type
        edges = [
            e for e in self.graph.jumps_into(parent, other) if e.fragment_type == fragment_type
        ]
        edge = self.search.best_key(group.subgraph, parent, edges, self.visiting) or edge
        key_selection = internal_selection(edge.key.selection, self.client_aliases)
        outer = self.visiting
        needs: set[int] = set()
        requires: SelectionSetNode | None = None
        try:
            self.visiting = outer | {("key", fragment_type, other)}
            needs |= self.ensure(group, parent, key_selection, target, path)
            if isinstance(item, FieldNode):
                field_edge = self.graph.field(other, fragment_type, item.name.value)
                if field_edge is not None and field_edge.requires is not None:
                    requires = internal_selection(field_edge.requires, self.client_aliases)
                    self.visiting = outer | {("req", parent, item.name.value)}
                    needs |= self.ensure(group, parent, requires, target, path)
        finally:
            self.visiting = outer
        child = self.child_group(group, other, path, needs)
        accepted = {parent} | (self.possible(parent) if self.types[parent].is_abstract else set())
        for typename in sorted(accepted):
            _rep, representation = child.requires.setdefault(
                typename, (edge.representation, SelSet())
            )
            representation.field("__typename", "__typename", leaf=True)
            self.copy_field_set(representation, key_selection, parent)
            if requires is not None:
                self.copy_field_set(representation, requires, parent)
        inner = child.selection.fragment(fragment_type)
        saved = self.visiting
        self.visiting = NO_VISITS
        try:
            if isinstance(item, FieldNode):
                self.plan_field(child, fragment_type, item, inner, path, None, allow_requires=True)
            else:
                # the real __typename replaces the interface object's placeholder on merge, so
                # that type conditions match when shaping
                inner.field("__typename", "__typename", leaf=True)
                self.plan_fragment(child, fragment_type, item, inner, path, None)
        finally:
            self.visiting = saved

    def ensure(
        self,
        group: FetchGroup,
        parent: str,
        selection: SelectionSetNode,
        target: SelSet,
        path: tuple[str, ...],
    ) -> set[int]:
        """Plan internal fields (keys, requirements) at `path`; return the groups fetching them."""
        recorder: set[int] = set()
        self.recorders.append(recorder)
        try:
            target.field("__typename", "__typename", leaf=True)
            self.touch(group)
            self.plan_selection_set(group, parent, selection, target, path, None)
        finally:
            self.recorders.pop()
        return recorder

    def copy_field_set(self, target: SelSet, selection: SelectionSetNode, parent: str) -> None:
        for item in selection.selections:
            if isinstance(item, FieldNode):
                name = item.name.value
                response_key = item.alias.value if item.alias else name
                arguments = arguments_text(item)
                sub = target.field(response_key, name, arguments, leaf=item.selection_set is None)
                if item.selection_set is not None and sub.sub is not None:
                    sub_type = get_named_type(self.field_type(parent, name)).name
                    if self.types[sub_type].is_abstract:
                        # the subgraph may need the concrete type of an abstract requirement
                        sub.sub.field("__typename", "__typename", leaf=True)
                    self.copy_field_set(sub.sub, item.selection_set, sub_type)
            elif isinstance(item, InlineFragmentNode):
                condition = item.type_condition.name.value if item.type_condition else None
                inner = target.fragment(condition)
                self.copy_field_set(inner, item.selection_set, condition or parent)

    # ---- the whole operation -------------------------------------------------------------------

    def root_fields(
        self, selection_set: SelectionSetNode, directives: str = ""
    ) -> Iterable[tuple[FieldNode, str]]:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                yield selection, directives
            elif isinstance(selection, InlineFragmentNode):
                yield from self.root_fields(
                    selection.selection_set, directives + directives_text(selection)
                )
            elif isinstance(selection, FragmentSpreadNode):
                definition = self.fragments[selection.name.value]
                yield from self.root_fields(
                    definition.selection_set, directives + directives_text(selection)
                )

    def plan(self) -> QueryPlan:
        kind = self.operation.operation
        if kind == OperationType.SUBSCRIPTION:
            raise UnsupportedOperation("Subscriptions are not supported by this router.")
        mutation = kind == OperationType.MUTATION
        root_type = self.sg.mutation_type if mutation else self.sg.query_type
        if root_type is None:
            raise PlanningError("the supergraph has no mutation type")
        roots: list[FetchGroup] = []
        planned = [
            (node, extra)
            for node, extra in self.root_fields(self.operation.selection_set)
            if node.name.value != "__typename" and node.name.value not in _INTROSPECTION_ROOT
        ]
        for node, _extra in planned:
            info = self.types[root_type].fields.get(node.name.value)
            if info is None or not info.resolving:
                raise PlanningError(f"no subgraph resolves {root_type}.{node.name.value}")
        if mutation:
            # mutation fields run one after the other: each is placed on its own, joining the
            # previous fetch when that subgraph can take it
            for node, _extra in planned:
                assigned = self.search.assign(ROOT, root_type, [node], None, NO_VISITS)
                if assigned is None:
                    raise self.failure(ROOT, root_type, node, None)
                best = assigned[0][id(node)]
                info = self.types[root_type].fields[node.name.value]
                if (
                    roots
                    and roots[-1].subgraph in info.resolving
                    and self.search.assign(roots[-1].subgraph, root_type, [node], None, NO_VISITS)
                    is not None
                ):
                    best = Choice(roots[-1].subgraph)
                if not roots or roots[-1].subgraph != best.target:
                    assert best.target is not None
                    roots.append(self.new_group(best.target, (), False, None))
                    roots[-1].root_type = root_type
                group = roots[-1]
                target = group.selection.fragment(None, _extra) if _extra else group.selection
                self.plan_field(group, root_type, node, target, (), None)
        else:
            assigned = self.search.assign(
                ROOT, root_type, [node for node, _ in planned], None, NO_VISITS
            )
            if assigned is None:
                for node, _extra in planned:
                    if self.search.assign(ROOT, root_type, [node], None, NO_VISITS) is None:
                        raise self.failure(ROOT, root_type, node, None)
                raise PlanningError("the operation cannot be planned")
            by_graph: dict[str, FetchGroup] = {}
            for node, extra in planned:
                choice = assigned[0][id(node)]
                assert choice.target is not None
                found = by_graph.get(choice.target)
                if found is None:
                    found = self.new_group(choice.target, (), False, None)
                    found.root_type = root_type
                    by_graph[choice.target] = found
                    roots.append(found)
                group = found
                target = group.selection.fragment(None, extra) if extra else group.selection
                self.plan_field(group, root_type, node, target, (), None)
        operation_kind: Literal["query", "mutation"] = "mutation" if mutation else "query"
        groups = optimise(self.groups, roots, self.schema, self.graph)
        return QueryPlan(
            node=PlanEmitter(groups, self.operation).emit(roots, operation_kind),
            operation_kind=operation_kind,
            fetch_count=len(groups),
        )


def build_plan(
    supergraph: Supergraph, document: DocumentNode, operation_name: str | None = None
) -> QueryPlan:
    """Plan one operation of a validated document (pure: same input, same plan)."""
    operation, fragments = select_operation(document, operation_name)
    return _Planner(supergraph, operation, fragments).plan()


__all__ = [
    "OperationNotFound",
    "PlanningError",
    "UnsupportedOperation",
    "build_plan",
    "select_operation",
]
