"""The Strawberry federation schema every subgraph builds, and its SDL export.

:func:`create_schema` pins the federation version (:data:`FEDERATION_VERSION`), registers the
shared scalars, and installs the two extensions every subgraph needs, in this order:

1. crypto's ``EncryptionSessionExtension``: one encryption session per operation, stored at
   ``info.context.encryption``; on the way out it scrubs handled plaintexts from error messages;
2. :class:`~subgraphs.kit.graphql_errors.ErrorRenderingExtension`: renders expected errors with
   ``extensions.code``, masks the rest, and marks the request's transaction failed. It exits
   before (1), so (1) scrubs the final messages;
3. (the subgraph's own extensions, if any);
4. :class:`~subgraphs.kit.document_cache.DocumentCacheExtension`, last, so that it sees the
   validation rules every other extension has set: each distinct operation text is parsed and
   validated once per schema.

``export_sdl`` returns exactly what ``{ _service { sdl } }`` serves; ``schema/<subgraph>.graphql``
holds it and a test fails when the file is stale (``python -m subgraphs.<name> write-sdl``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Final

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.printer import print_schema
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from crypto import EncryptionSessionExtension

from .document_cache import DocumentCache, DocumentCacheExtension
from .graphql_errors import ErrorRenderingExtension, log_errors
from .scalars import SCALAR_MAP

__all__ = [
    "FEDERATION_VERSION",
    "SCHEMA_DIR",
    "SubgraphSchema",
    "create_schema",
    "export_sdl",
    "sdl_path",
    "write_sdl",
]

# Strawberry defaults to federation 2.11, newer than today's standard composers (rover, Hive's
# composition, Apollo's gateway) accept; 2.9 has every directive we use (@key, @shareable, ...).
FEDERATION_VERSION: Final = "2.9"
SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schema"


class SubgraphSchema(strawberry.federation.Schema):
    """A federation schema whose error log never contains input values or exception messages."""

    # The parsed and validated operations of this schema (create_schema sets it).
    document_cache: DocumentCache | None = None

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        log_errors(errors)


def create_schema(
    *,
    query: type,
    mutation: type | None = None,
    types: Sequence[type] = (),
    extensions: Iterable[type[SchemaExtension]] = (),
) -> SubgraphSchema:
    """Build a subgraph schema with the kit's federation version, scalars and extensions."""
    documents = DocumentCache()
    schema = SubgraphSchema(
        query=query,
        mutation=mutation,
        types=list(types),
        extensions=[
            EncryptionSessionExtension,
            ErrorRenderingExtension,
            *extensions,
            lambda: DocumentCacheExtension(cache=documents),
        ],
        config=StrawberryConfig(scalar_map=SCALAR_MAP),
        federation_version=FEDERATION_VERSION,
    )
    schema.document_cache = documents
    return schema


def export_sdl(schema: Any) -> str:
    """Return the subgraph SDL as ``_service { sdl }`` serves it, with a final newline."""
    return print_schema(schema).rstrip("\n") + "\n"


def sdl_path(subgraph: str) -> Path:
    """Return ``schema/<subgraph>.graphql`` in the repository."""
    return SCHEMA_DIR / f"{subgraph}.graphql"


def write_sdl(schema: Any, subgraph: str) -> Path:
    """Write the exported SDL to ``schema/<subgraph>.graphql`` and return the path."""
    path = sdl_path(subgraph)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(export_sdl(schema), encoding="utf-8")
    return path
