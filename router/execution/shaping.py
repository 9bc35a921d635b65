"""Shape the merged subgraph data into the client's response.

Walks the client operation over the merged tree: keeps only fields the client asked for (keys and
requirements fetched for planning disappear), in the client's order and under its aliases,
resolves type conditions by `__typename`, evaluates `@skip`/`@include`, and applies GraphQL null
propagation (a null in a non-null position nulls the nearest nullable parent, with an error
unless one is already recorded at or below that path).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    BooleanValueNode,
    DirectiveNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLAbstractType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    is_leaf_type,
)

# (directive name, value node) pairs that must all pass for a selection to be included
Conditions = tuple[tuple[str, Any], ...]


class _Invalid:
    """Marks a null that must propagate to the nearest nullable parent."""


INVALID = _Invalid()
_PASSTHROUGH = frozenset({"__schema", "__type"})
# entry kinds
_TYPENAME, _LEAF, _GENERAL, _RAW, _UNKNOWN = range(5)


@dataclass
class _Entry:
    key: str
    name: str
    occurrences: list[tuple[Conditions, FieldNode]]
    conditional: bool
    # compiled once per (selection sets, concrete type): how to complete the value
    kind: int = _GENERAL
    type_: GraphQLOutputType | None = None
    non_null: bool = False
    parent: str = ""
    sub_sets: tuple[SelectionSetNode, ...] = ()


def _conditions(node: FieldNode | InlineFragmentNode | FragmentSpreadNode) -> Conditions:
    found: list[tuple[str, Any]] = []
    for directive in node.directives or ():
        if directive.name.value in ("skip", "include"):
            found.append((directive.name.value, _if_argument(directive)))
    return tuple(found)


def _if_argument(directive: DirectiveNode) -> Any:
    for argument in directive.arguments or ():
        if argument.name.value == "if":
            return argument.value
    return None


def _passes(conditions: Conditions, variables: Mapping[str, Any]) -> bool:
    for name, value in conditions:
        if isinstance(value, VariableNode):
            flag = bool(variables.get(value.name.value))
        elif isinstance(value, BooleanValueNode):
            flag = value.value
        else:
            flag = False
        if (name == "skip") == flag:
            return False
    return True


class Shaper:
    """Shapes merged data for one operation; field collection is cached per concrete type."""

    def __init__(
        self,
        schema: GraphQLSchema,
        operation: OperationDefinitionNode,
        fragments: Mapping[str, FragmentDefinitionNode],
        root_type: str,
    ) -> None:
        self.schema = schema
        self.operation = operation
        self.fragments = fragments
        self.root_type = root_type
        self.object_types = frozenset(
            name for name, t in schema.type_map.items() if isinstance(t, GraphQLObjectType)
        )
        self._collected: dict[tuple[tuple[int, ...], str, str], list[_Entry]] = {}
        # same cache by the identity of a long-lived selection-set tuple (entries keep theirs)
        self._by_tuple: dict[int, tuple[tuple[SelectionSetNode, ...], dict[str, list[_Entry]]]] = {}
        self.root_sets = (operation.selection_set,)
        self._interned: dict[tuple[int, ...], tuple[SelectionSetNode, ...]] = {}

    # ---- field collection ------------------------------------------------------------------

    def _applies(self, condition: str, typename: str) -> bool:
        if condition == typename:
            return True
        named = self.schema.type_map.get(condition)
        concrete = self.schema.type_map.get(typename)
        if isinstance(named, GraphQLAbstractType) and isinstance(concrete, GraphQLObjectType):
            return self.schema.is_sub_type(named, concrete)
        if isinstance(named, GraphQLInterfaceType) and isinstance(concrete, GraphQLInterfaceType):
            return self.schema.is_sub_type(named, concrete)
        return False

    def _collect(
        self,
        selection_set: SelectionSetNode,
        typename: str,
        inherited: Conditions,
        entries: dict[str, _Entry],
    ) -> None:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                conditions = inherited + _conditions(selection)
                entry = entries.get(key)
                if entry is None:
                    entry = _Entry(key, selection.name.value, [], False)
                    entries[key] = entry
                entry.occurrences.append((conditions, selection))
                entry.conditional = entry.conditional or bool(conditions)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if condition is None or self._applies(condition.name.value, typename):
                    self._collect(
                        selection.selection_set,
                        typename,
                        inherited + _conditions(selection),
                        entries,
                    )
            elif isinstance(selection, FragmentSpreadNode):
                definition = self.fragments.get(selection.name.value)
                if definition is not None and self._applies(
                    definition.type_condition.name.value, typename
                ):
                    self._collect(
                        definition.selection_set,
                        typename,
                        inherited + _conditions(selection),
                        entries,
                    )

    def _fields(
        self, selection_sets: tuple[SelectionSetNode, ...], typename: str, static_type: str
    ) -> list[_Entry]:
        fast = self._by_tuple.get(id(selection_sets))
        if fast is not None and fast[0] is selection_sets:
            hit = fast[1].get(typename)
            if hit is not None:
                return hit
        cache_key = (tuple(id(s) for s in selection_sets), typename, static_type)
        found = self._collected.get(cache_key)
        if found is None:
            entries: dict[str, _Entry] = {}
            for selection_set in selection_sets:
                self._collect(selection_set, typename, (), entries)
            found = list(entries.values())
            concrete = self.schema.type_map.get(typename)
            if not isinstance(concrete, GraphQLObjectType):
                concrete = self.schema.type_map[static_type]
            for entry in found:
                if isinstance(concrete, GraphQLObjectType | GraphQLInterfaceType):
                    self._compile(entry, concrete, static_type)
                else:  # a union member the API does not know: only __typename is answerable
                    entry.kind = _TYPENAME if entry.name == "__typename" else _UNKNOWN
            self._collected[cache_key] = found
        if static_type != self.root_type:  # a tuple of sub-selections has one static type
            slot = self._by_tuple.get(id(selection_sets))
            if slot is None or slot[0] is not selection_sets:
                slot = (selection_sets, {})
                self._by_tuple[id(selection_sets)] = slot
            slot[1][typename] = found
        return found

    def intern(self, sets: tuple[SelectionSetNode, ...]) -> tuple[SelectionSetNode, ...]:
        """Return one long-lived tuple per combination (keeps the identity caches bounded)."""
        return self._interned.setdefault(tuple(id(s) for s in sets), sets)

    def _compile(
        self, entry: _Entry, parent: GraphQLObjectType | GraphQLInterfaceType, static_type: str
    ) -> None:
        entry.parent = parent.name
        entry.sub_sets = tuple(
            n.selection_set for _c, n in entry.occurrences if n.selection_set is not None
        )
        if entry.name == "__typename":
            entry.kind = _TYPENAME
            return
        if entry.name in _PASSTHROUGH and static_type == self.root_type:
            entry.kind = _RAW
            return
        definition = parent.fields.get(entry.name)
        if definition is None:
            entry.kind = _UNKNOWN
            return
        entry.type_ = definition.type
        inner = definition.type
        entry.non_null = isinstance(inner, GraphQLNonNull)
        if entry.non_null:
            inner = inner.of_type
        entry.kind = _LEAF if is_leaf_type(inner) else _GENERAL

    # ---- shaping ---------------------------------------------------------------------------------

    def shape(
        self,
        data: dict[str, Any],
        variables: Mapping[str, Any],
        errors: list[dict[str, Any]],
    ) -> dict[str, Any] | None:
        """Return the client `data` (None if a root non-null field failed); appends errors."""
        run = _Run(self, variables, errors)
        result = run.object(data, self.root_type, self.root_sets, [])
        return None if isinstance(result, _Invalid) else result


class _Run:
    def __init__(
        self, shaper: Shaper, variables: Mapping[str, Any], errors: list[dict[str, Any]]
    ) -> None:
        self.shaper = shaper
        self.schema = shaper.schema
        self.variables = variables
        self.errors = errors
        self._prefixes: set[tuple[Any, ...]] | None = None
        self.object_types = shaper.object_types
        self.by_tuple = shaper._by_tuple

    def errored_at_or_below(self, path: list[str | int]) -> bool:
        if self._prefixes is None:
            self._prefixes = set()
            for error in self.errors:
                error_path = error.get("path")
                if isinstance(error_path, list):
                    for end in range(len(error_path) + 1):
                        self._prefixes.add(tuple(error_path[:end]))
        return tuple(path) in self._prefixes

    def null_error(self, path: list[str | int], parent: str, name: str) -> None:
        if self.errored_at_or_below(path):
            return
        self.errors.append(
            {
                "message": f"Cannot return null for non-nullable field {parent}.{name}.",
                "path": list(path),
            }
        )
        self._prefixes = None

    def object(
        self,
        value: Any,
        static_type: str,
        selection_sets: tuple[SelectionSetNode, ...],
        path: list[str | int],
    ) -> dict[str, Any] | _Invalid | None:
        if not isinstance(value, dict):
            return None
        typename = static_type
        if static_type not in self.object_types:
            found = value.get("__typename")
            if isinstance(found, str):
                typename = found
        slot = self.by_tuple.get(id(selection_sets))
        entries = slot[1].get(typename) if slot is not None and slot[0] is selection_sets else None
        if entries is None:
            entries = self.shaper._fields(selection_sets, typename, static_type)
        out: dict[str, Any] = {}
        for entry in entries:
            sub_sets = entry.sub_sets
            if entry.conditional:
                nodes = [n for c, n in entry.occurrences if _passes(c, self.variables)]
                if not nodes:
                    continue
                sub_sets = self.shaper.intern(
                    tuple(n.selection_set for n in nodes if n.selection_set is not None)
                )
            kind = entry.kind
            key = entry.key
            if kind == _LEAF:
                item = value.get(key)
                if item is None and entry.non_null:
                    path.append(key)
                    self.null_error(path, entry.parent, entry.name)
                    path.pop()
                    return INVALID
                out[key] = item
            elif kind == _GENERAL:
                assert entry.type_ is not None
                path.append(key)
                result = self.complete(
                    value.get(key), entry.type_, sub_sets, path, entry.parent, entry.name
                )
                path.pop()
                if isinstance(result, _Invalid):
                    return INVALID
                out[key] = result
            elif kind == _TYPENAME:
                out[key] = typename
            elif kind == _RAW:
                out[key] = value.get(key)
        return out

    def complete(
        self,
        value: Any,
        type_: GraphQLOutputType,
        selection_sets: tuple[SelectionSetNode, ...],
        path: list[str | int],
        parent: str,
        name: str,
    ) -> Any:
        """Complete a value; INVALID only for a non-null position that must propagate."""
        if isinstance(type_, GraphQLNonNull):
            result = self.inner(value, type_.of_type, selection_sets, path, parent, name)
            if result is None:
                self.null_error(path, parent, name)
                return INVALID
            return result
        result = self.inner(value, type_, selection_sets, path, parent, name)
        return None if isinstance(result, _Invalid) else result

    def inner(
        self,
        value: Any,
        type_: GraphQLOutputType,
        selection_sets: tuple[SelectionSetNode, ...],
        path: list[str | int],
        parent: str,
        name: str,
    ) -> Any:
        if value is None:
            return None
        if isinstance(type_, GraphQLList):
            if not isinstance(value, list):
                return None
            items: list[Any] = []
            item_type = type_.of_type
            if isinstance(item_type, GraphQLNonNull) and isinstance(
                item_type.of_type, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType
            ):
                # the common [Entity!] case without the per-element wrapper calls
                name_of = item_type.of_type.name
                for index, element in enumerate(value):
                    path.append(index)
                    shaped = self.object(element, name_of, selection_sets, path)
                    if shaped is None:
                        self.null_error(path, parent, name)
                        shaped = INVALID
                    path.pop()
                    if isinstance(shaped, _Invalid):
                        return INVALID
                    items.append(shaped)
                return items
            for index, element in enumerate(value):
                path.append(index)
                result = self.complete(element, type_.of_type, selection_sets, path, parent, name)
                path.pop()
                if isinstance(result, _Invalid):
                    return INVALID
                items.append(result)
            return items
        if isinstance(type_, GraphQLObjectType | GraphQLInterfaceType | GraphQLAbstractType):
            return self.object(value, type_.name, selection_sets, path)
        return value


def _reached(data: Any, path: list[Any]) -> int:
    """How many segments of `path` the shaped `data` has (len(path): all, or lost to nulls)."""
    value = data
    for depth, segment in enumerate(path):
        if value is None:
            return len(path)  # an ancestor was nulled: the position was asked for
        if isinstance(value, dict):
            present = segment in value
        else:
            present = isinstance(value, list) and isinstance(segment, int) and segment < len(value)
        if not present:
            return depth
        value = value[segment]
    return len(path)


def place_fetch_failures(
    data: Any, errors: list[dict[str, Any]], failures: set[int]
) -> list[dict[str, Any]]:
    """Keep the field errors of failed fetches (ids in `failures`) where the client can see them.

    A fetch also resolves keys and requirements the client did not ask for. An error at such a
    field moves up to the deepest position the client has (the object a later fetch could not
    complete for want of it), once per message there, unless an error of a failed fetch
    already sits at or below that position; so a failure never leaves a null unexplained.
    """
    covered: set[tuple[Any, ...]] = set()
    placed: list[tuple[dict[str, Any], int]] = []
    for error in errors:
        if id(error) in failures:
            path = error["path"]
            depth = _reached(data, path)
            placed.append((error, depth))
            if depth == len(path):
                covered.update(tuple(path[:end]) for end in range(len(path) + 1))
    out: list[dict[str, Any]] = []
    moved: set[tuple[Any, ...]] = set()
    position = 0
    for error in errors:
        if id(error) not in failures:
            out.append(error)
            continue
        error, depth = placed[position]
        position += 1
        path = error["path"]
        if depth == len(path):
            out.append(error)
            continue
        at = tuple(path[:depth])
        if at in covered or (at, error["message"]) in moved:
            continue
        moved.add((at, error["message"]))
        out.append({**error, "path": list(at)} if at else _without_path(error))
    return out


def _without_path(error: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in error.items() if key != "path"}
