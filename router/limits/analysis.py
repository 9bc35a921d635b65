"""What a GraphQL document asks for, measured before any planning.

Depth, aliases, tokens, introspection and page sizes.

Fragments are measured once each and reused (memoised), so a "fragment bomb" (fragments spreading
each other many times over) is measured in linear time while still counting what the executor
would actually produce. Spread cycles (invalid anyway; the gateway's validation names them) are
cut rather than followed. Results are cached per document text, like the gateway's plan cache.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLSyntaxError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    parse,
)

__all__ = ["DocumentFacts", "PageArgument", "TooManyTokens", "analyse"]

INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})
PAGE_ARGUMENTS = frozenset({"first", "last"})


class TooManyTokens(Exception):
    """The document has more lexical tokens than allowed (parsing stopped early)."""


@dataclass(frozen=True)
class PageArgument:
    """A ``first``/``last`` argument: a literal value or a variable to look up per request."""

    field: str
    argument: str
    value: int | None = None
    variable: str | None = None


@dataclass(frozen=True)
class OperationFacts:
    depth: int
    aliases: int
    introspection: bool
    page_arguments: tuple[PageArgument, ...]
    variable_defaults: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class DocumentFacts:
    """Facts per operation name (``None`` for an anonymous operation)."""

    operations: dict[str | None, OperationFacts]

    def select(self, operation_name: str | None) -> OperationFacts | None:
        if operation_name is not None:
            return self.operations.get(operation_name)
        if len(self.operations) == 1:
            return next(iter(self.operations.values()))
        return None  # ambiguous: the gateway refuses it with a proper error


@dataclass
class _Measure:
    depth: int = 0
    aliases: int = 0
    introspection: bool = False
    pages: list[PageArgument] = field(default_factory=list)


class _Walker:
    def __init__(self, document: DocumentNode) -> None:
        self._fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self._memo: dict[str, _Measure] = {}
        self._active: set[str] = set()

    def selection_set(self, selections: SelectionSetNode | None) -> _Measure:
        measure = _Measure()
        if selections is None:
            return measure
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                inner = self.selection_set(selection.selection_set)
                measure.depth = max(measure.depth, 1 + inner.depth)
                measure.aliases += inner.aliases + (1 if selection.alias is not None else 0)
                measure.introspection |= (
                    inner.introspection or selection.name.value in INTROSPECTION_FIELDS
                )
                measure.pages.extend(_page_arguments(selection))
                measure.pages.extend(inner.pages)
            else:
                if isinstance(selection, InlineFragmentNode):
                    inner = self.selection_set(selection.selection_set)
                elif isinstance(selection, FragmentSpreadNode):
                    inner = self.fragment(selection.name.value)
                else:  # pragma: no cover - graphql-core has no other selection kinds
                    continue
                measure.depth = max(measure.depth, inner.depth)
                measure.aliases += inner.aliases
                measure.introspection |= inner.introspection
                measure.pages.extend(inner.pages)
        return measure

    def fragment(self, name: str) -> _Measure:
        if name in self._memo:
            return self._memo[name]
        definition = self._fragments.get(name)
        if definition is None or name in self._active:
            return _Measure()  # unknown fragment or a cycle: validation reports it
        self._active.add(name)
        try:
            measure = self.selection_set(definition.selection_set)
        finally:
            self._active.discard(name)
        # Page arguments are kept once per fragment: their values do not change per spread.
        measure.pages = list(dict.fromkeys(measure.pages))
        self._memo[name] = measure
        return measure


def _page_arguments(node: FieldNode) -> list[PageArgument]:
    found: list[PageArgument] = []
    for argument in node.arguments or ():
        name = argument.name.value
        if name not in PAGE_ARGUMENTS:
            continue
        value = argument.value
        if isinstance(value, IntValueNode):
            found.append(PageArgument(node.name.value, name, value=int(value.value)))
        elif isinstance(value, VariableNode):
            found.append(PageArgument(node.name.value, name, variable=value.name.value))
    return found


def _defaults(operation: OperationDefinitionNode) -> dict[str, int]:
    defaults: dict[str, int] = {}
    for definition in operation.variable_definitions or ():
        if isinstance(definition.default_value, IntValueNode):
            defaults[definition.variable.name.value] = int(definition.default_value.value)
    return defaults


# Documents longer than this are measured every time rather than cached: a cache of 1024 entries
# of up to a request body each (comments do not count as tokens) would hold far too much memory.
_CACHED_LENGTH = 64 * 1024


def analyse(query: str, max_tokens: int | None) -> DocumentFacts | None:
    """Measure ``query``; ``None`` if it does not parse (the gateway reports why).

    Raises :class:`TooManyTokens` when the document has more than ``max_tokens`` tokens; parsing
    stops at the limit, so an enormous document costs no more than a legal one. Results are
    cached per document text (documents up to 64 KiB).
    """
    if len(query) > _CACHED_LENGTH:
        return _analyse(query, max_tokens)
    return _cached(query, max_tokens)


@lru_cache(maxsize=1024)
def _cached(query: str, max_tokens: int | None) -> DocumentFacts | None:
    return _analyse(query, max_tokens)


def _analyse(query: str, max_tokens: int | None) -> DocumentFacts | None:
    try:
        document = parse(query, no_location=True, max_tokens=max_tokens)
    except GraphQLSyntaxError as exc:
        if max_tokens is not None and "tokens" in exc.message and "more than" in exc.message:
            raise TooManyTokens(str(max_tokens)) from None
        return None
    walker = _Walker(document)
    operations: dict[str | None, OperationFacts] = {}
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        measure = walker.selection_set(definition.selection_set)
        name = definition.name.value if definition.name else None
        operations[name] = OperationFacts(
            depth=measure.depth,
            aliases=measure.aliases,
            introspection=measure.introspection,
            page_arguments=tuple(dict.fromkeys(measure.pages)),
            variable_defaults=_defaults(definition),
        )
    return DocumentFacts(operations)
