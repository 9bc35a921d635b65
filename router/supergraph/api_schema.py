"""Build the client-facing API schema: the supergraph minus federation internals and @inaccessible.

Spec types and directives (`join__*`, `link__*`, `@link`, `@inaccessible`, `@tag`, ...) are
dropped, elements marked `@inaccessible` are removed, and remaining directive
applications other than `@deprecated`/`@specifiedBy`/`@oneOf` are stripped.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from graphql import (
    DirectiveDefinitionNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    GraphQLSchema,
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    NamedTypeNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    TypeDefinitionNode,
    TypeExtensionNode,
    UnionTypeDefinitionNode,
    UnionTypeExtensionNode,
    build_ast_schema,
    validate_schema,
)
from graphql.language import ListTypeNode, NonNullTypeNode, TypeNode

from router.supergraph.errors import SupergraphError
from router.supergraph.links import Links

_KEPT_DIRECTIVES = frozenset({"deprecated", "specifiedBy", "oneOf"})


def _named(type_node: TypeNode) -> str:
    while isinstance(type_node, ListTypeNode | NonNullTypeNode):
        type_node = type_node.type
    assert isinstance(type_node, NamedTypeNode)
    return type_node.name.value


class _Filter:
    def __init__(self, links: Links) -> None:
        inaccessible = links.get("inaccessible")
        self.inaccessible = inaccessible.directive("") if inaccessible else "inaccessible"
        self.prefixes = links.internal_prefixes()
        self.internal_directives = links.internal_directive_names()
        self.removed_types: set[str] = set()

    def hidden(self, node: Any) -> bool:
        return any(d.name.value == self.inaccessible for d in node.directives or ())

    def keep_type(self, name: str) -> bool:
        return name not in self.removed_types

    def visible(self, nodes: Any) -> tuple[Any, ...]:
        """Return the nodes that are not @inaccessible and whose type is kept, stripped."""
        return tuple(
            self.clean(node)
            for node in nodes or ()
            if not self.hidden(node)
            and (not hasattr(node, "type") or self.keep_type(_named(node.type)))
        )

    def clean(self, node: Any) -> Any:
        """Return a copy of `node` with internal directive applications removed."""
        changes: dict[str, Any] = {}
        if getattr(node, "directives", None):
            changes["directives"] = tuple(
                d for d in node.directives if d.name.value in _KEPT_DIRECTIVES
            )
        if getattr(node, "arguments", None):
            changes["arguments"] = self.visible(node.arguments)
        return replace(node, **changes) if changes else node


def build_api_schema(document: DocumentNode, links: Links) -> GraphQLSchema:
    """Return the API schema of a parsed supergraph."""
    flt = _Filter(links)
    kept_definitions: list[Any] = []
    for definition in document.definitions:
        if isinstance(definition, DirectiveDefinitionNode):
            name = definition.name.value
            if name in flt.internal_directives or name.startswith(flt.prefixes):
                continue
            kept_definitions.append(definition)
            continue
        if isinstance(definition, TypeDefinitionNode | TypeExtensionNode):
            name = definition.name.value
            if name.startswith(flt.prefixes) or flt.hidden(definition):
                flt.removed_types.add(name)
                continue
        kept_definitions.append(definition)

    filtered = tuple(_filter_definition(definition, flt) for definition in kept_definitions)
    try:
        schema = build_ast_schema(replace(document, definitions=filtered))
    except (TypeError, ValueError) as exc:
        raise SupergraphError(f"cannot build the API schema: {exc}") from exc
    errors = validate_schema(schema)
    if errors:
        raise SupergraphError("invalid API schema: " + "; ".join(e.message for e in errors[:5]))
    return schema


def _filter_definition(definition: Any, flt: _Filter) -> Any:
    if isinstance(definition, SchemaDefinitionNode | SchemaExtensionNode):
        return replace(
            flt.clean(definition),
            operation_types=tuple(
                op for op in definition.operation_types or () if flt.keep_type(op.type.name.value)
            ),
        )
    if isinstance(definition, DirectiveDefinitionNode):
        return flt.clean(definition)
    definition = flt.clean(definition)
    if isinstance(
        definition,
        ObjectTypeDefinitionNode
        | ObjectTypeExtensionNode
        | InterfaceTypeDefinitionNode
        | InterfaceTypeExtensionNode,
    ):
        return replace(
            definition,
            fields=flt.visible(definition.fields),
            interfaces=tuple(i for i in definition.interfaces or () if flt.keep_type(i.name.value)),
        )
    if isinstance(definition, UnionTypeDefinitionNode | UnionTypeExtensionNode):
        return replace(
            definition,
            types=tuple(t for t in definition.types or () if flt.keep_type(t.name.value)),
        )
    if isinstance(definition, EnumTypeDefinitionNode | EnumTypeExtensionNode):
        return replace(definition, values=flt.visible(definition.values))
    if isinstance(definition, InputObjectTypeDefinitionNode | InputObjectTypeExtensionNode):
        return replace(definition, fields=flt.visible(definition.fields))
    return definition
