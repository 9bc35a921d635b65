"""Parse and validate each distinct operation once: :class:`DocumentCacheExtension`.

A subgraph receives the same few operations over and over (the router's fetches, the REST
shims' fixed operations, owner checks between subgraphs), and parsing and validating their text
again on every request was the largest single cost of a subgraph request (ADR 0018). This
schema extension keeps, per operation text, the parsed document and the validation rule sets it
passed. A hit hands Strawberry that document (no parse) and, when the rules in force are ones it
passed, marks it validated (no validation). Everything else takes the normal path: a text that
does not parse or does not validate is parsed and validated again every time, so its errors are
reported as always, and an extension that changes the validation rules gets them run.

It is bounded (least recently used out), keyed on the exact text, so variables, which are not
part of the text, never affect it; documents are immutable in graphql-core and shared safely.
Strawberry's own ``ParserCache`` and ``ValidationCache`` do the same in two extensions, keyed
on the document's recursive dataclass hash: computing that per request costs more here.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from graphql import DocumentNode
from strawberry.extensions import SchemaExtension

__all__ = ["DOCUMENT_CACHE_SIZE", "DocumentCache", "DocumentCacheExtension"]

DOCUMENT_CACHE_SIZE = 512


@dataclass
class _Entry:
    document: DocumentNode
    # The validation rule sets (as tuples of rule classes) this document passed.
    valid_under: set[tuple[Any, ...]] = field(default_factory=set)


class DocumentCache:
    """Operation text -> parsed document and the rule sets it passed (bounded LRU)."""

    def __init__(self, size: int = DOCUMENT_CACHE_SIZE) -> None:
        self.size = size
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def get(self, query: str) -> _Entry | None:
        entry = self._entries.get(query)
        if entry is not None:
            with self._lock:
                if query in self._entries:
                    self._entries.move_to_end(query)
        return entry

    def put(self, query: str, document: DocumentNode) -> _Entry:
        with self._lock:
            entry = self._entries.get(query)
            if entry is None or entry.document is not document:
                entry = _Entry(document)
                self._entries[query] = entry
            self._entries.move_to_end(query)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return entry


class DocumentCacheExtension(SchemaExtension):
    """Reuse the parsed and validated document of an operation text seen before.

    Added by :func:`~subgraphs.kit.schema.create_schema`, first, with the schema's own
    :class:`DocumentCache` (``create_schema(document_cache=...)``).
    """

    def __init__(self, *, cache: DocumentCache) -> None:
        super().__init__()
        self.cache = cache
        self._entry: _Entry | None = None

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        query = context.query
        cacheable = isinstance(query, str) and not context.parse_options
        if cacheable and context.graphql_document is None:
            assert isinstance(query, str)
            self._entry = self.cache.get(query)
            if self._entry is not None:
                context.graphql_document = self._entry.document
        yield
        document = context.graphql_document
        if cacheable and self._entry is None and document is not None:
            assert isinstance(query, str)
            self._entry = self.cache.put(query, document)

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        entry = self._entry
        rules = tuple(context.validation_rules)
        known_valid = (
            entry is not None
            and entry.document is context.graphql_document
            and rules in entry.valid_under
            and context.pre_execution_errors is None
        )
        if known_valid:
            context.pre_execution_errors = []  # Strawberry skips validating a validated document
        yield
        if entry is not None and not known_valid and context.pre_execution_errors == []:
            entry.valid_under.add(rules)
