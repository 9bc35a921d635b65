"""The query planner: a pure function from a validated operation to a `QueryPlan`.

It walks the client operation once, placing each field in a fetch group (one subgraph, one response
path). A field its current subgraph cannot resolve becomes an entity jump: the current group also
fetches `__typename` and a key, and a child group fetches the field through `_entities`. `@requires`
fields are planned the same way from the parent group, and the child waits for every group that
contributes to them. Groups then become `Fetch`/`Flatten` nodes arranged by their dependencies.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any, Literal

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLUnionType,
    InlineFragmentNode,
    NamedTypeNode,
    NameNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
)

from router.planning.emit import PlanEmitter
from router.planning.errors import OperationNotFound, PlanningError, UnsupportedOperation
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
from router.planning.selection import SelSet
from router.supergraph import FieldInfo, Key, Supergraph

_MAX_DEPTH = 40
_INTROSPECTION_ROOT = frozenset({"__schema", "__type"})


@dataclass(frozen=True)
class _Frame:
    """A field being planned: `node` on `parent` at `path`, added to `target` of `group`."""

    group: FetchGroup
    node: FieldNode
    parent: str
    path: tuple[str, ...]
    target: SelSet
    field_type: str


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
        self.types = supergraph.types
        self.schema = supergraph.schema
        self.operation = operation
        self.fragments = fragments
        self.groups: list[FetchGroup] = []
        self.children: dict[tuple[int, str, tuple[str, ...]], FetchGroup] = {}
        self.recorders: list[set[int]] = []
        self.frames: list[_Frame] = []
        self.client_aliases = client_aliases(operation, fragments)
        self.depth = 0
        self.graph_order = {name: i for i, name in enumerate(supergraph.subgraph_names)}

    # ---- facts -----------------------------------------------------------------------------

    def possible_in(self, graph: str, type_name: str) -> frozenset[str]:
        info = self.types[type_name]
        if not info.is_abstract:
            return frozenset({type_name})
        return info.possible_by_graph.get(graph, frozenset())

    def possible(self, type_name: str) -> frozenset[str]:
        named = self.schema.type_map[type_name]
        if isinstance(named, GraphQLObjectType):
            return frozenset({type_name})
        assert isinstance(named, GraphQLInterfaceType | GraphQLUnionType)
        return frozenset(t.name for t in self.schema.get_possible_types(named))

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

    @staticmethod
    def provided_field(
        provided: SelectionSetNode | None, possible: frozenset[str], name: str
    ) -> tuple[bool, SelectionSetNode | None]:
        if provided is None:
            return False, None
        for selection in provided.selections:
            if isinstance(selection, FieldNode) and selection.name.value == name:
                return True, selection.selection_set
            if isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if condition is None or condition.name.value in possible:
                    found, sub = _Planner.provided_field(selection.selection_set, possible, name)
                    if found:
                        return found, sub
        return False, None

    def can_resolve(
        self,
        graph: str,
        parent: str,
        info: FieldInfo,
        provided: SelectionSetNode | None,
        allow_requires: bool,
    ) -> bool:
        if graph in info.resolving:
            return allow_requires or graph not in info.requires
        possible = self.possible(parent) | {parent}
        return self.provided_field(provided, possible, info.name)[0]

    def local_field_set(self, graph: str, parent: str, selection: SelectionSetNode) -> bool:
        """Whether `graph` resolves every field of a key selection on `parent` itself."""
        for item in selection.selections:
            if not isinstance(item, FieldNode):
                return False
            name = item.name.value
            if name == "__typename":
                continue
            info = self.types[parent].fields.get(name)
            if info is None or graph not in info.resolving:
                return False
            if item.selection_set is not None:
                sub = get_named_type(self.field_type(parent, name)).name
                if not self.local_field_set(graph, sub, item.selection_set):
                    return False
        return True

    def obtainable(
        self,
        graph: str,
        parent: str,
        selection: SelectionSetNode,
        visiting: frozenset[tuple[str, str]] = frozenset(),
    ) -> bool:
        """Whether a key selection on `parent` can be fetched starting from `graph`.

        Fields `graph` resolves itself are obtainable; others through a key of a subgraph that
        resolves them, whose own key fields are obtainable (without going in circles).
        """
        for item in selection.selections:
            if not isinstance(item, FieldNode) or item.name.value == "__typename":
                continue
            name = item.name.value
            info = self.types[parent].fields.get(name)
            if info is None:
                return False
            if graph in info.resolving:
                if item.selection_set is not None:
                    sub = get_named_type(self.field_type(parent, name)).name
                    if not self.obtainable(graph, sub, item.selection_set, visiting):
                        return False
                continue
            if (graph, parent) in visiting:
                return False
            inner = visiting | {(graph, parent)}
            if not any(
                other != graph
                and self.obtainable(graph, parent, key.selection, inner)
                and (
                    item.selection_set is None
                    or self.obtainable(
                        other,
                        get_named_type(self.field_type(parent, name)).name,
                        item.selection_set,
                        inner,
                    )
                )
                for other in info.resolving
                for key in self.types[parent].resolvable_keys(other)
            ):
                return False
        return True

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

    def child_group(self, parent: FetchGroup, subgraph: str, path: tuple[str, ...]) -> FetchGroup:
        key = (parent.id, subgraph, path)
        group = self.children.get(key)
        if group is None:
            group = self.new_group(subgraph, path, True, parent)
            self.children[key] = group
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
            self.jump(group, parent, path, target, item)
            return
        runtime = self.possible_in(graph, parent) & self.possible(condition)
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
        if name == "__typename":
            if self.is_interface_object(graph, parent):
                self.jump(group, parent, path, target, node)
                return
            target.field(node.alias.value if node.alias else name, name, "", directives, leaf=True)
            self.touch(group)
            return
        info = self.types[parent].fields.get(name)
        if info is None:
            raise PlanningError(f"unknown field {parent}.{name}")
        if self.can_resolve(graph, parent, info, provided, allow_requires):
            self.add_field(group, parent, node, target, path, provided, directives)
            return
        if self.types[parent].is_abstract and not self.is_interface_object(graph, parent):
            for type_name in sorted(self.possible_in(graph, parent)):
                inner = target.fragment(type_name)
                self.plan_field(group, type_name, node, inner, path, provided)
            return
        self.jump(group, parent, path, target, node)

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
        provides = self.types[parent].fields[name].provides.get(group.subgraph)
        if provides is None:
            possible = self.possible(parent) | {parent}
            provides = self.provided_field(provided, possible, name)[1]
        child_path = path + (response_key,) + ("@",) * depth
        self.frames.append(_Frame(group, node, parent, path, target, sub_type))
        try:
            self.plan_selection_set(
                group, sub_type, node.selection_set, added.sub, child_path, provides
            )
        finally:
            self.frames.pop()

    # ---- entity jumps -------------------------------------------------------------------------

    def jump_options(
        self,
        group: FetchGroup,
        parent: str,
        item: FieldNode | _FragmentItem,
        path: tuple[str, ...],
    ) -> list[tuple[str, str | None, Key]]:
        graph = group.subgraph
        info = self.types[parent]
        options: list[tuple[str, str | None, Key]] = []
        abstract_rep = parent if info.is_abstract else None
        name = item.name.value if isinstance(item, FieldNode) else None
        if name is not None and name != "__typename":
            field_info = info.fields[name]
            for other in field_info.resolving:
                if other == graph and other not in field_info.requires:
                    continue
                rep = parent if other in info.interface_object_graphs else abstract_rep
                options += [(other, rep, key) for key in info.resolvable_keys(other)]
            named = self.schema.type_map[parent]
            if isinstance(named, GraphQLObjectType):
                for interface in named.interfaces:
                    iface = self.types.get(interface.name)
                    if iface is None or name not in iface.fields:
                        continue
                    for other in iface.interface_object_graphs & iface.fields[name].resolving:
                        options += [
                            (other, interface.name, key) for key in iface.resolvable_keys(other)
                        ]
        else:
            # __typename or a type condition below an @interfaceObject: ask a subgraph that
            # has the real interface and its implementations.
            for other in info.graphs - info.interface_object_graphs:
                options += [(other, parent, key) for key in info.resolvable_keys(other)]

        def rank(option: tuple[str, str | None, Key]) -> tuple[int, int, int]:
            other, _rep, key = option
            local = self.local_field_set(graph, parent, key.selection)
            existing = (group.id, other, path) in self.children
            return (0 if local else 1, 0 if existing else 1, self.graph_order[other])

        options.sort(key=rank)
        # drop options whose key this subgraph cannot obtain, so a greedy choice is no dead end
        return [o for o in options if self.obtainable(graph, parent, o[2].selection)]

    def jump(
        self,
        group: FetchGroup,
        parent: str,
        path: tuple[str, ...],
        target: SelSet,
        item: FieldNode | _FragmentItem,
    ) -> None:
        options = self.jump_options(group, parent, item, path)
        what = item.name.value if isinstance(item, FieldNode) else f"... on {item.type_condition}"
        if not options:
            if self.jump_via_ancestor(group, parent, item):
                return
            raise PlanningError(
                f"cannot plan {parent}.{what} from subgraph '{group.subgraph}':"
                " no subgraph resolves it through a @key reachable from there"
            )
        if self.depth > _MAX_DEPTH:
            raise PlanningError(f"cannot plan {parent}.{what}: entity jumps do not converge")
        other, rep, key = options[0]
        key_selection = internal_selection(key.selection, self.client_aliases)
        self.depth += 1
        try:
            key_groups = self.ensure(group, parent, key_selection, target, path)
            child = self.child_group(group, other, path)
            child.parents |= key_groups
            accepted = {parent} | (
                self.possible(parent) if self.types[parent].is_abstract else set()
            )
            for typename in sorted(accepted):
                _rep, representation = child.requires.setdefault(typename, (rep, SelSet()))
                representation.field("__typename", "__typename", leaf=True)
                self.copy_field_set(representation, key_selection, parent)
            fragment_type = rep or parent
            inner = child.selection.fragment(fragment_type)
            if isinstance(item, FieldNode):
                field_info = self.types[fragment_type].fields.get(item.name.value)
                requires = field_info.requires.get(other) if field_info else None
                if requires is not None:
                    requires = internal_selection(requires, self.client_aliases)
                    child.parents |= self.ensure(group, parent, requires, target, path)
                    for typename in accepted:
                        self.copy_field_set(child.requires[typename][1], requires, parent)
                self.plan_field(child, fragment_type, item, inner, path, None, allow_requires=True)
            else:
                # the real __typename replaces the interface object's placeholder on merge, so
                # that type conditions match when shaping
                inner.field("__typename", "__typename", leaf=True)
                self.plan_fragment(child, fragment_type, item, inner, path, None)
        finally:
            self.depth -= 1

    def jump_via_ancestor(
        self, group: FetchGroup, parent: str, item: FieldNode | _FragmentItem
    ) -> bool:
        """Reach a field of a value type through the nearest enclosing entity.

        A value type (no key) may have fields only some subgraphs define; the way there is an
        entity above it: fetch `entity { path { to { field } } }` from a subgraph that has it.
        """
        node: Any = (
            item
            if isinstance(item, FieldNode)
            else InlineFragmentNode(
                type_condition=NamedTypeNode(name=NameNode(value=item.type_condition))
                if item.type_condition
                else None,
                directives=(),
                selection_set=item.selection_set,
            )
        )
        current = parent
        for frame in reversed(self.frames):
            if frame.group is not group:
                return False
            if frame.field_type != current and not self.types[frame.field_type].is_abstract:
                return False
            if frame.field_type != current:
                node = InlineFragmentNode(
                    type_condition=NamedTypeNode(name=NameNode(value=current)),
                    directives=(),
                    selection_set=SelectionSetNode(selections=(node,)),
                )
            node = replace(frame.node, selection_set=SelectionSetNode(selections=(node,)))
            current = frame.parent
            if self.types[current].keys and self.jump_options(group, current, node, frame.path):
                self.jump(group, current, frame.path, frame.target, node)
                return True
        return False

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
        root_info = self.types[root_type]
        roots: list[FetchGroup] = []
        for node, extra in self.root_fields(self.operation.selection_set):
            name = node.name.value
            if name == "__typename" or name in _INTROSPECTION_ROOT:
                continue
            info = root_info.fields.get(name)
            if info is None or not info.resolving:
                raise PlanningError(f"no subgraph resolves {root_type}.{name}")
            group = self.root_group(roots, info, mutation)
            target = group.selection.fragment(None, extra) if extra else group.selection
            self.plan_field(group, root_type, node, target, (), None)
        operation_kind: Literal["query", "mutation"] = "mutation" if mutation else "query"
        return QueryPlan(
            node=PlanEmitter(self.groups, self.operation).emit(roots, operation_kind),
            operation_kind=operation_kind,
            fetch_count=len(self.groups),
        )

    def root_group(self, roots: list[FetchGroup], info: FieldInfo, mutation: bool) -> FetchGroup:
        if mutation:
            if roots and roots[-1].subgraph in info.resolving:
                return roots[-1]
            choice = min(info.resolving, key=self.graph_order.__getitem__)
        else:
            for group in roots:
                if group.subgraph in info.resolving:
                    return group
            choice = min(info.resolving, key=self.graph_order.__getitem__)
        group = self.new_group(choice, (), False, None)
        roots.append(group)
        return group

    # ---- emitting plan nodes --------------------------------------------------------------------


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
