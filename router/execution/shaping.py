"""Shape the merged subgraph data into the client's response.

Walks the client operation over the merged tree: keeps only fields the client asked for (keys and
requirements fetched for planning disappear), in the client's order and under its aliases,
resolves type conditions by `__typename`, evaluates `@skip`/`@include`, and applies GraphQL null
propagation (a null in a non-null position nulls the nearest nullable parent, with an error
unless one is already recorded at or below that path).

Subgraph data is checked against the API schema on the way (ADR 0017): a value of the wrong
shape (a string where an object or a list is expected, a leaf its scalar or enum cannot
represent, a `__typename` that is not a possible type of the position) becomes `null` with a
`SUBREQUEST_MALFORMED_RESPONSE` error at its exact path, and propagates like any other null. Leaf
values are coerced as graphql-js does (an integer ID becomes a string); error messages never
repeat the value, which may be a sensitive field's plaintext.
"""

from __future__ import annotations

import math
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
    GraphQLEnumType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_leaf_type,
    specified_scalar_types,
)

# (directive name, value node) pairs that must all pass for a selection to be included
Conditions = tuple[tuple[str, Any], ...]


class _Invalid:
    """Marks a null that must propagate to the nearest nullable parent."""


INVALID = _Invalid()
_PASSTHROUGH = frozenset({"__schema", "__type"})
# entry kinds
_TYPENAME, _LEAF, _GENERAL, _RAW, _UNKNOWN = range(5)
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1
MALFORMED = "SUBREQUEST_MALFORMED_RESPONSE"


@dataclass(frozen=True, slots=True)
class _Leaf:
    """How a leaf value from a subgraph is checked: values of type `fast` pass as they are."""

    name: str
    fast: type | None  # str for String and ID, int for Int, ...; None: always the slow path
    check: bool  # False for custom scalars: their values pass through unchecked
    bounded: bool  # Int: a 32-bit range as well
    values: frozenset[str] | None  # an enum's values in the API (an @inaccessible one is not)
    scalar: GraphQLScalarType | None  # built-in scalars: graphql-core's serializer for the rest


_FAST = {"String": str, "ID": str, "Int": int, "Float": float, "Boolean": bool}


def _leaf(named: GraphQLNamedType) -> _Leaf:
    if isinstance(named, GraphQLEnumType):
        return _Leaf(named.name, None, True, False, frozenset(named.values), None)
    builtin = named.name in specified_scalar_types and isinstance(named, GraphQLScalarType)
    return _Leaf(
        named.name,
        _FAST.get(named.name) if builtin else None,
        builtin,
        named.name == "Int",
        None,
        named if builtin else None,  # type: ignore[arg-type]
    )


def _coerce(leaf: _Leaf, value: Any) -> tuple[bool, Any]:
    """Return (valid, value as the client gets it) for a leaf value off the fast path."""
    if leaf.values is not None:
        return (isinstance(value, str) and value in leaf.values), value
    if leaf.scalar is None:
        return True, value
    if isinstance(value, dict | list):
        return False, None
    if leaf.name == "Float" and type(value) is int:
        return True, value  # JSON has one number type: 5 is a valid Float, sent back as 5
    try:
        coerced = leaf.scalar.serialize(value)
    except Exception:  # graphql-core raises GraphQLError, TypeError or ValueError
        return False, None
    if isinstance(coerced, float) and not math.isfinite(coerced):
        return False, None
    return True, coerced


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return "a value of another kind"


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
    leaf: _Leaf | None = None


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
        self._leaves: dict[str, _Leaf] = {}
        self._resolution: dict[tuple[str, str], bool] = {}

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

    def selects(self, data: Any, path: list[Any], variables: Mapping[str, Any]) -> bool:
        """Whether the operation asks for the field at response `path` of the merged `data`.

        Walks the operation along the path (fragments resolved by each object's `__typename`,
        `@skip`/`@include` evaluated): False when a condition or type condition leaves the field
        out, so an error about it would concern something the client did not ask for.
        """
        sets: tuple[SelectionSetNode, ...] = self.root_sets
        static, value = self.root_type, data
        for segment in path:
            if isinstance(segment, int):
                if not isinstance(value, list) or not 0 <= segment < len(value):
                    return False
                value = value[segment]
                continue
            if not isinstance(value, dict):
                return False
            typename = static
            if static not in self.object_types and isinstance(value.get("__typename"), str):
                typename = value["__typename"]
            entry = next(
                (e for e in self._fields(sets, typename, static) if e.key == segment), None
            )
            if entry is None:
                return False
            nodes = [n for c, n in entry.occurrences if _passes(c, variables)]
            if not nodes:
                return False
            if entry.type_ is None:
                return True
            sets = self.intern(tuple(n.selection_set for n in nodes if n.selection_set is not None))
            static = get_named_type(entry.type_).name
            value = value.get(segment)
        return True

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
        if is_leaf_type(inner):
            entry.kind = _LEAF
            entry.leaf = self.leaf(inner)
        else:
            entry.kind = _GENERAL

    def leaf(self, named: GraphQLNamedType) -> _Leaf:
        found = self._leaves.get(named.name)
        if found is None:
            found = self._leaves[named.name] = _leaf(named)
        return found

    def resolves(self, static_type: str, typename: str) -> bool:
        """Whether `typename` (a subgraph's `__typename`) may stand at a `static_type` position.

        At an abstract position: a possible object type, or an interface below it (what an
        `@interfaceObject` subgraph answers before another fetch learns the real type). At an
        object position: the type itself, or an abstract type of the API.
        """
        key = (static_type, typename)
        found = self._resolution.get(key)
        if found is None:
            position = self.schema.type_map.get(static_type)
            named = self.schema.type_map.get(typename)
            if typename == static_type:
                found = True
            elif named is None or position is None:
                found = False
            elif isinstance(position, GraphQLObjectType):
                found = not isinstance(named, GraphQLObjectType)
            elif isinstance(position, GraphQLAbstractType) and isinstance(
                named, GraphQLObjectType | GraphQLInterfaceType
            ):
                found = self.schema.is_sub_type(position, named)
            else:
                found = False
            self._resolution[key] = found
        return found

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

    def invalid(self, path: list[str | int], message: str) -> None:
        """Record a malformed subgraph value at `path` (the value becomes null)."""
        self.errors.append(
            {"message": message, "path": list(path), "extensions": {"code": MALFORMED}}
        )
        self._prefixes = None

    def wrong_shape(
        self, value: Any, path: list[str | int], parent: str, name: str, expected: str
    ) -> None:
        self.invalid(
            path,
            f"Invalid value for {parent}.{name}: the subgraph returned {_kind_of(value)} where "
            f"{expected} is expected.",
        )

    def leaf_value(
        self, value: Any, leaf: _Leaf, path: list[str | int], parent: str, name: str
    ) -> Any:
        """Return the leaf as the client gets it, or None with an error when it is not valid."""
        valid, coerced = _coerce(leaf, value)
        if valid and not (
            leaf.bounded and isinstance(coerced, int) and not _INT_MIN <= coerced <= _INT_MAX
        ):
            return coerced
        self.invalid(
            path,
            f"Invalid value for {parent}.{name}: the subgraph returned a value that is not a "
            f"valid {leaf.name}.",
        )
        return None

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
        found = value.get("__typename")
        if static_type not in self.object_types:
            if isinstance(found, str):
                if not self.shaper.resolves(static_type, found):
                    self.invalid(
                        path,
                        f"Invalid value for a {static_type}: the subgraph's __typename is not a "
                        f"possible type of {static_type}.",
                    )
                    return None
                typename = found
        elif (
            found is not None
            and found != static_type
            and not self.shaper.resolves(static_type, str(found))
        ):
            self.invalid(
                path,
                f"Invalid value for a {static_type}: the subgraph's __typename names another type.",
            )
            return None
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
                if item is None:
                    if entry.non_null:
                        path.append(key)
                        self.null_error(path, entry.parent, entry.name)
                        path.pop()
                        return INVALID
                else:
                    leaf = entry.leaf
                    assert leaf is not None
                    if leaf.check and (
                        type(item) is not leaf.fast
                        or (leaf.bounded and not _INT_MIN <= item <= _INT_MAX)  # type: ignore[operator]
                    ):
                        path.append(key)
                        item = self.leaf_value(item, leaf, path, entry.parent, entry.name)
                        path.pop()
                        if item is None and entry.non_null:
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
                self.wrong_shape(value, path, parent, name, "a list")
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
                    if element is not None and not isinstance(element, dict):
                        self.wrong_shape(element, path, parent, name, f"an object ({name_of})")
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
            if not isinstance(value, dict):
                self.wrong_shape(value, path, parent, name, f"an object ({type_.name})")
                return None
            return self.object(value, type_.name, selection_sets, path)
        leaf = self.shaper.leaf(type_)  # type: ignore[arg-type]
        if leaf.check and (
            type(value) is not leaf.fast or (leaf.bounded and not _INT_MIN <= value <= _INT_MAX)  # type: ignore[operator]
        ):
            return self.leaf_value(value, leaf, path, parent, name)
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
