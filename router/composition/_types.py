"""Merging a field's type as several subgraphs declare it.

Output positions (field types) merge to the most general declaration: a subgraph may promise
more (``String!`` where another says ``String``, or ``Dog`` where another says ``Animal``) and the
supergraph keeps the weaker promise that every subgraph can keep. Input positions (arguments and
input fields) merge to the strictest declaration, because the router must only send values that
every subgraph accepts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from graphql.language import ListTypeNode, NamedTypeNode, NonNullTypeNode, TypeNode

IsSubtype = Callable[[str, str], bool]  # (possible subtype name, supertype name) -> bool


def is_output_subtype(sub: TypeNode, sup: TypeNode, named_subtype: IsSubtype) -> bool:
    """Whether a field declared ``sub`` in one subgraph satisfies ``sup`` in the supergraph."""
    if isinstance(sup, NonNullTypeNode):
        return isinstance(sub, NonNullTypeNode) and is_output_subtype(
            sub.type, sup.type, named_subtype
        )
    if isinstance(sub, NonNullTypeNode):
        return is_output_subtype(sub.type, sup, named_subtype)
    if isinstance(sup, ListTypeNode):
        return isinstance(sub, ListTypeNode) and is_output_subtype(
            sub.type, sup.type, named_subtype
        )
    if isinstance(sub, ListTypeNode):
        return False
    assert isinstance(sub, NamedTypeNode) and isinstance(sup, NamedTypeNode)
    return sub.name.value == sup.name.value or named_subtype(sub.name.value, sup.name.value)


def merge_output_types(types: Sequence[TypeNode], named_subtype: IsSubtype) -> TypeNode | None:
    """Return the most general of ``types`` (all others are its subtypes), else None."""
    merged = types[0]
    for candidate in types[1:]:
        if is_output_subtype(merged, candidate, named_subtype):
            merged = candidate
        elif not is_output_subtype(candidate, merged, named_subtype):
            return None
    return merged


def same_shape(first: TypeNode, second: TypeNode) -> bool:
    """Tell whether both have the same named type and list structure, nullability aside."""
    if isinstance(first, NonNullTypeNode):
        first = first.type
    if isinstance(second, NonNullTypeNode):
        second = second.type
    if isinstance(first, ListTypeNode) or isinstance(second, ListTypeNode):
        return (
            isinstance(first, ListTypeNode)
            and isinstance(second, ListTypeNode)
            and same_shape(first.type, second.type)
        )
    assert isinstance(first, NamedTypeNode) and isinstance(second, NamedTypeNode)
    return first.name.value == second.name.value


def merge_input_types(types: Sequence[TypeNode]) -> TypeNode | None:
    """Return the strictest of ``types`` (non-null wherever any is); None if shapes differ."""
    merged = types[0]
    for candidate in types[1:]:
        if not same_shape(merged, candidate):
            return None
        merged = _stricter(merged, candidate)
    return merged


def _stricter(first: TypeNode, second: TypeNode) -> TypeNode:
    non_null = isinstance(first, NonNullTypeNode) or isinstance(second, NonNullTypeNode)
    inner_first = first.type if isinstance(first, NonNullTypeNode) else first
    inner_second = second.type if isinstance(second, NonNullTypeNode) else second
    inner: TypeNode
    if isinstance(inner_first, ListTypeNode) and isinstance(inner_second, ListTypeNode):
        inner = ListTypeNode(type=_stricter(inner_first.type, inner_second.type))
    else:
        inner = inner_first
    return NonNullTypeNode(type=inner) if non_null else inner  # type: ignore[arg-type]
