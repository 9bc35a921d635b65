"""`Supergraph`: a loaded Federation v2 supergraph (join v0.2-v0.5, federation 2.0-2.9)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property

from graphql import (
    GraphQLError,
    GraphQLSchema,
    build_ast_schema,
    parse,
)

from router.supergraph.api_schema import build_api_schema
from router.supergraph.errors import SupergraphError
from router.supergraph.links import read_links
from router.supergraph.loader import JoinReader
from router.supergraph.model import TypeInfo


class Supergraph:
    """A supergraph SDL read into its API schema and the per-subgraph facts the planner needs."""

    sdl: str
    subgraph_urls: Mapping[str, str]
    api_schema: GraphQLSchema
    schema: GraphQLSchema  # the full supergraph schema (with join internals)
    types: Mapping[str, TypeInfo]
    query_type: str
    mutation_type: str | None
    subscription_type: str | None

    def __init__(self, sdl: str) -> None:
        self.sdl = sdl
        try:
            document = parse(sdl)
        except GraphQLError as exc:
            raise SupergraphError(f"cannot parse the supergraph SDL: {exc.message}") from exc
        links = read_links(document)
        try:
            self.schema = build_ast_schema(document, assume_valid=True, assume_valid_sdl=True)
        except (TypeError, ValueError) as exc:
            raise SupergraphError(f"cannot build the supergraph schema: {exc}") from exc
        reader = JoinReader(self.schema, links)
        self.types = reader.read()
        self.subgraph_urls = dict(reader.subgraph_urls)
        self.api_schema = build_api_schema(parse(sdl, no_location=True), links)
        if self.schema.query_type is None:
            raise SupergraphError("the supergraph has no query root type")
        self.query_type = self.schema.query_type.name
        self.mutation_type = self.schema.mutation_type.name if self.schema.mutation_type else None
        self.subscription_type = (
            self.schema.subscription_type.name if self.schema.subscription_type else None
        )

    @classmethod
    def from_sdl(cls, sdl: str) -> Supergraph:
        """Load a supergraph SDL; raises `SupergraphError` with a clear message if unusable."""
        return cls(sdl)

    @cached_property
    def subgraph_names(self) -> tuple[str, ...]:
        return tuple(self.subgraph_urls)

    def type(self, name: str) -> TypeInfo:
        return self.types[name]
