"""Parse `join__FieldSet` strings (`"id organization { id }"`) into selection sets, cached."""

from __future__ import annotations

from functools import lru_cache

from graphql import GraphQLError, OperationDefinitionNode, SelectionSetNode, parse

from router.supergraph.errors import SupergraphError


@lru_cache(maxsize=4096)
def parse_field_set(text: str) -> SelectionSetNode:
    """Return the selection set written as `text` (without the surrounding braces)."""
    try:
        document = parse("{" + text + "}", no_location=True)
    except GraphQLError as exc:
        raise SupergraphError(f"invalid field set {text!r}: {exc.message}") from exc
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    return operation.selection_set
