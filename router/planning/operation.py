"""Helpers over the client operation's AST.

Choosing the operation, printing arguments and directives, and the selections the planner adds
for keys and requirements.
"""

from __future__ import annotations

import zlib
from dataclasses import replace
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLList,
    GraphQLNonNull,
    GraphQLOutputType,
    InlineFragmentNode,
    NameNode,
    OperationDefinitionNode,
    SelectionSetNode,
    print_ast,
)

from router.planning.errors import OperationNotFound


def select_operation(
    document: DocumentNode, operation_name: str | None
) -> tuple[OperationDefinitionNode, dict[str, FragmentDefinitionNode]]:
    """Return the operation to run (by name, or the only one) and the document's fragments."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    if operation_name is None:
        if len(operations) != 1:
            raise OperationNotFound(
                "Must provide operation name if query contains multiple operations."
            )
        return operations[0], fragments
    for operation in operations:
        if operation.name is not None and operation.name.value == operation_name:
            return operation, fragments
    raise OperationNotFound(f"Unknown operation named '{operation_name}'.")


def directives_text(node: FieldNode | InlineFragmentNode | FragmentSpreadNode) -> str:
    if not node.directives:
        return ""
    return " " + " ".join(print_ast(d) for d in node.directives)


def arguments_text(node: FieldNode) -> str:
    if not node.arguments:
        return ""
    return "(" + ", ".join(print_ast(a) for a in node.arguments) + ")"


def unwrap(type_: GraphQLOutputType) -> tuple[int, GraphQLOutputType]:
    """Return how many list levels wrap the named type."""
    depth = 0
    while True:
        if isinstance(type_, GraphQLNonNull):
            type_ = type_.of_type
        elif isinstance(type_, GraphQLList):
            depth += 1
            type_ = type_.of_type
        else:
            return depth, type_


def internal_selection(
    selection: SelectionSetNode, reserved: frozenset[str] = frozenset()
) -> SelectionSetNode:
    """Alias fields of a key/requirement selection that could collide with client fields.

    Fields with arguments are always aliased (the client may select the same field with other
    arguments at the same place); so are fields whose name the client uses as an alias for
    something else (`id: username`). The alias is deterministic; representations still use
    the field name.
    """
    cache_key = (id(selection), reserved)
    cached = _INTERNAL_CACHE.get(cache_key)
    if cached is not None and cached[0] is selection:
        return cached[1]
    items: list[Any] = []
    for item in selection.selections:
        if isinstance(item, FieldNode):
            changes: dict[str, Any] = {}
            name = item.name.value
            if item.arguments or name in reserved:
                digest = zlib.crc32(arguments_text(item).encode()) & 0xFFFFFFFF
                changes["alias"] = NameNode(value=f"_{name}_{digest:08x}")
            if item.selection_set is not None:
                changes["selection_set"] = internal_selection(item.selection_set, reserved)
            items.append(replace(item, **changes) if changes else item)
        elif isinstance(item, InlineFragmentNode):
            items.append(
                replace(item, selection_set=internal_selection(item.selection_set, reserved))
            )
        else:
            items.append(item)
    result = replace(selection, selections=tuple(items))
    if len(_INTERNAL_CACHE) > 10_000:  # unusual alias sets: keep the cache bounded
        _INTERNAL_CACHE.clear()
    _INTERNAL_CACHE[cache_key] = (selection, result)
    return result


_INTERNAL_CACHE: dict[tuple[int, frozenset[str]], tuple[SelectionSetNode, SelectionSetNode]] = {}


def client_aliases(
    operation: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode]
) -> frozenset[str]:
    """Response keys the planner must not use for its own fields.

    Aliases naming something else (`id: username`), and names of fields the client selects with
    arguments (`price(currency: EUR)`): an internal `price` there would merge with the client's.
    """
    found: set[str] = set()

    def walk(selection_set: SelectionSetNode | None) -> None:
        for item in selection_set.selections if selection_set else ():
            if isinstance(item, FieldNode):
                if item.alias is not None and item.alias.value != item.name.value:
                    found.add(item.alias.value)
                elif item.arguments:
                    found.add(item.name.value)
                walk(item.selection_set)
            elif isinstance(item, InlineFragmentNode):
                walk(item.selection_set)

    walk(operation.selection_set)
    for fragment in fragments.values():
        walk(fragment.selection_set)
    return frozenset(found)
