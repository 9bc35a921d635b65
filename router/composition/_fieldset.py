"""Federation field sets (``@key``/``@requires``/``@provides`` ``fields:`` strings).

A field set is a selection set without its outer braces: ``"id organisation { id }"``. This module
parses one and walks it against a subgraph's types, reporting what is wrong in words a subgraph
author can act on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Set
from dataclasses import dataclass

from graphql import GraphQLSyntaxError, Source, print_ast, strip_ignored_characters
from graphql.language import (
    FieldNode,
    InlineFragmentNode,
    SelectionNode,
    SelectionSetNode,
    TokenKind,
)
from graphql.language.parser import Parser


class FieldSetSyntaxError(ValueError):
    """The ``fields:`` string is not a valid selection set."""


def parse_field_set(fields: str) -> SelectionSetNode:
    """Parse ``fields`` (a selection set without braces) into a selection set node."""
    parser = Parser(Source("{" + fields + "}"), no_location=True)
    try:
        parser.expect_token(TokenKind.SOF)
        selection_set = parser.parse_selection_set()
        parser.expect_token(TokenKind.EOF)
    except GraphQLSyntaxError as exc:
        raise FieldSetSyntaxError(exc.message) from exc
    return selection_set


@dataclass(frozen=True)
class SelectedField:
    """One field reached by a field set: its parent type, the field node, and its path."""

    parent_type: str
    node: FieldNode
    path: tuple[str, ...]


def iter_fields(
    selection_set: SelectionSetNode,
    parent_type: str,
    resolve_child_type: Callable[[str, str], str | None],
    path: tuple[str, ...] = (),
) -> Iterator[SelectedField | tuple[str, InlineFragmentNode]]:
    """Yield every field in ``selection_set`` depth-first, with the type it is selected on.

    ``resolve_child_type(parent, field)`` gives the named type of ``parent.field`` (None when the
    field does not exist, in which case its sub-selection is not walked). Inline fragments are
    yielded as ``(parent_type, node)`` so that callers can check their type condition.
    """
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            field_path = (*path, selection.name.value)
            yield SelectedField(parent_type, selection, field_path)
            if selection.selection_set is not None:
                child = resolve_child_type(parent_type, selection.name.value)
                if child is not None:
                    yield from iter_fields(
                        selection.selection_set, child, resolve_child_type, field_path
                    )
        elif isinstance(selection, InlineFragmentNode):
            yield (parent_type, selection)
            condition = (
                selection.type_condition.name.value
                if selection.type_condition is not None
                else parent_type
            )
            yield from iter_fields(selection.selection_set, condition, resolve_child_type, path)


def leaf_paths(selection_set: SelectionSetNode, prefix: str = "") -> set[str]:
    """Dotted paths of the leaf fields of a field set (``{"id", "org.id"}``)."""
    paths: set[str] = set()
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            path = f"{prefix}{selection.name.value}"
            if selection.selection_set is None:
                paths.add(path)
            else:
                paths |= leaf_paths(selection.selection_set, path + ".")
    return paths


def compact_field_set(fields: str, drop: set[str] | frozenset[str] = frozenset()) -> str:
    """Print ``fields`` the way composers write them (minimal spacing), without ``drop`` paths.

    Dropping lets a ``@requires`` leave out key fields, which every entity representation carries
    anyway; a composite field left with no sub-selection is dropped too.
    """
    selection_set = _without(parse_field_set(fields), drop, "")
    if selection_set is None:
        return ""
    return strip_ignored_characters(print_ast(selection_set))[1:-1]


def _without(
    selection_set: SelectionSetNode, drop: Set[str], prefix: str
) -> SelectionSetNode | None:
    kept: list[SelectionNode] = []
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            path = f"{prefix}{selection.name.value}"
            if selection.selection_set is None:
                if path not in drop:
                    kept.append(selection)
                continue
            inner = _without(selection.selection_set, drop, path + ".")
            if inner is not None:
                kept.append(
                    FieldNode(
                        alias=selection.alias,
                        name=selection.name,
                        arguments=selection.arguments,
                        directives=selection.directives,
                        selection_set=inner,
                    )
                )
        else:
            kept.append(selection)
    return SelectionSetNode(selections=tuple(kept)) if kept else None
