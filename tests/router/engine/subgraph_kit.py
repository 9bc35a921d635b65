"""Tiny in-process federation subgraphs for the engine's conformance tests.

A `TestSubgraph` is a graphql-core schema built from a federation subgraph SDL (the same SDL that
was composed into the fixture supergraph), with `_service`, `_entities` and `_Any` added and real
resolvers over in-memory dicts. `InProcessTransport` serves them to the router's executor and
records every request, so tests can count fetches; a subgraph can be marked down. It also checks
each request against the subgraph's own schema (tests/router/subgraph_validity.py): an operation
the subgraph would refuse fails the test that caused it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphql import (
    DocumentNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    SchemaExtensionNode,
    build_ast_schema,
    graphql,
    parse,
)

from router.execution import RequestContext, SubgraphUnavailable
from router.supergraph import Supergraph
from tests.router.subgraph_validity import check_operation

FIXTURES = Path(__file__).resolve().parent / "fixtures"

Resolver = Callable[..., Any]
EntityResolver = Callable[[dict[str, Any]], Any]


def _is_entity(node: ObjectTypeDefinitionNode | ObjectTypeExtensionNode) -> bool:
    for directive in node.directives or ():
        if directive.name.value != "key":
            continue
        resolvable = [a for a in directive.arguments or () if a.name.value == "resolvable"]
        if not resolvable or getattr(resolvable[0].value, "value", True) is not False:
            return True
    return False


def _executable_document(sdl: str) -> DocumentNode:
    document = parse(sdl)
    defined = {
        d.name.value for d in document.definitions if isinstance(d, ObjectTypeDefinitionNode)
    }
    definitions: list[Any] = []
    entities: list[str] = []
    for definition in document.definitions:
        if isinstance(definition, SchemaExtensionNode):
            continue
        if isinstance(definition, ObjectTypeExtensionNode) and definition.name.value not in defined:
            defined.add(definition.name.value)
            definition = ObjectTypeDefinitionNode(
                name=definition.name,
                interfaces=definition.interfaces,
                directives=definition.directives,
                fields=definition.fields,
            )
        if isinstance(
            definition, ObjectTypeDefinitionNode | ObjectTypeExtensionNode
        ) and _is_entity(definition):
            entities.append(definition.name.value)
        definitions.append(definition)
    extra = "scalar _Any\ntype _Service { sdl: String }\n"
    if entities:
        extra += f"union _Entity = {' | '.join(dict.fromkeys(entities))}\n"
    query_fields = "_service: _Service!\n"
    if entities:
        query_fields += "_entities(representations: [_Any!]!): [_Entity]!\n"
    keyword = "extend type" if "Query" in defined else "type"
    extra += f"{keyword} Query {{ {query_fields} }}\n"
    return DocumentNode(definitions=(*definitions, *parse(extra).definitions))


async def _raise(exc: Exception) -> Any:
    raise exc


@dataclass
class TestSubgraph:
    """One subgraph: its SDL plus resolvers; unspecified fields read dict keys."""

    __test__ = False  # not a pytest test class despite the name

    name: str
    sdl: str
    resolvers: Mapping[str, Mapping[str, Resolver]] = field(default_factory=dict)
    entities: Mapping[str, EntityResolver] = field(default_factory=dict)
    # used for every field without its own resolver (graphql-core's reads dict keys)
    field_resolver: Resolver | None = None

    def __post_init__(self) -> None:
        self.schema = build_ast_schema(
            _executable_document(self.sdl), assume_valid=True, assume_valid_sdl=True
        )
        for type_name, fields in self.resolvers.items():
            type_ = self.schema.type_map[type_name]
            for field_name, resolver in fields.items():
                type_.fields[field_name].resolve = resolver  # type: ignore[attr-defined]
        query = self.schema.query_type
        assert query is not None
        query.fields["_service"].resolve = lambda *_a, **_k: {"sdl": self.sdl}
        if "_entities" in query.fields:
            query.fields["_entities"].resolve = self._resolve_entities

    async def _resolve_entities(
        self, _root: Any, _info: Any, representations: list[dict[str, Any]]
    ) -> list[Any]:
        results: list[Any] = []
        for representation in representations:
            typename = representation["__typename"]
            try:
                found = self.entities[typename](representation)
                if inspect.isawaitable(found):
                    found = await found
            except Exception as exc:
                # as a real subgraph resolves each reference on its own: the error is that
                # item's (path ["_entities", i]), the other representations still resolve
                results.append(_raise(exc))
                continue
            if isinstance(found, dict) and "__typename" not in found:
                found = {**found, "__typename": typename}
            results.append(found)
        return results

    async def execute(self, payload: dict[str, Any]) -> dict[str, Any]:
        result = await graphql(
            self.schema,
            payload["query"],
            variable_values=payload.get("variables"),
            operation_name=payload.get("operationName"),
            field_resolver=self.field_resolver,
        )
        return result.formatted


@dataclass
class InProcessTransport:
    """Serves `TestSubgraph`s in-process; records requests; `down` subgraphs fail to connect."""

    subgraphs: Mapping[str, TestSubgraph]
    down: set[str] = field(default_factory=set)
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    async def send(
        self, subgraph: str, payload: dict[str, Any], context: RequestContext
    ) -> dict[str, Any]:
        self.requests.append((subgraph, payload))
        if subgraph in self.down:
            raise SubgraphUnavailable(subgraph, "connection refused")
        check_operation(subgraph, self.subgraphs[subgraph].schema, payload)
        return await self.subgraphs[subgraph].execute(payload)

    def count(self, subgraph: str, entities_only: bool = False) -> int:
        return sum(
            1
            for name, payload in self.requests
            if name == subgraph and (not entities_only or "_entities" in payload["query"])
        )


def read_sdl(scenario: str, subgraph: str) -> str:
    return (FIXTURES / scenario / f"{subgraph}.graphql").read_text(encoding="utf-8")


def load_supergraph(scenario: str) -> Supergraph:
    return Supergraph.from_sdl((FIXTURES / scenario / "supergraph.graphql").read_text("utf-8"))
