"""Check that a subgraph SDL is a valid GraphQL schema, federation directives included.

graphql-core's SDL rules run on the subgraph document, to which the federation directives are
added under the names the subgraph uses for them (unless it defines them itself), so that unknown
directives, directives in the wrong place, unknown arguments and duplicate names are reported.
Two rules are left out: federation lets an ``extend type`` have no base in the same subgraph, and
unknown type names are reported by ``_subgraph_checks.check_references`` with the field that
uses them. Then the type system checks that SDL validation does not do: implemented interfaces
exist and are implemented.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache

from graphql import GraphQLError, parse
from graphql.language import DefinitionNode, DirectiveDefinitionNode, DocumentNode
from graphql.validation.rules.known_type_names import KnownTypeNamesRule
from graphql.validation.rules.possible_type_extensions import PossibleTypeExtensionsRule
from graphql.validation.specified_rules import specified_sdl_rules
from graphql.validation.validate import validate_sdl

from ._subgraph_model import Subgraph, named_type, type_string

Report = Callable[[str, str], None]  # (code, message)

_OBJECTS = "OBJECT | INTERFACE | UNION | SCALAR | ENUM | INPUT_OBJECT"
_ELEMENTS = (
    "FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM "
    "| ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION"
)
# Canonical federation directive definitions; argument types are loosened to String because SDL
# validation does not check values, and the federation scalars need not exist in the subgraph.
FEDERATION_DEFINITIONS: Mapping[str, str] = {
    "key": "(fields: String!, resolvable: Boolean) repeatable on OBJECT | INTERFACE",
    "requires": "(fields: String!) on FIELD_DEFINITION",
    "provides": "(fields: String!) on FIELD_DEFINITION",
    "external": "(reason: String) on OBJECT | FIELD_DEFINITION",
    "shareable": "repeatable on OBJECT | FIELD_DEFINITION",
    "extends": "on OBJECT | INTERFACE",
    "override": "(from: String!, label: String) on FIELD_DEFINITION",
    "inaccessible": f"on {_ELEMENTS}",
    "tag": f"(name: String!) repeatable on {_ELEMENTS} | SCHEMA",
    "interfaceObject": "on OBJECT",
    "composeDirective": "(name: String!) repeatable on SCHEMA",
    "authenticated": "on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM",
    "requiresScopes": "(scopes: [[String!]!]!) on FIELD_DEFINITION | " + _OBJECTS,
    "policy": "(policies: [[String!]!]!) on FIELD_DEFINITION | " + _OBJECTS,
    "context": "(name: String!) repeatable on INTERFACE | OBJECT | UNION",
    "fromContext": "(field: String) on ARGUMENT_DEFINITION",
    "cost": "(weight: Int!) on ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION "
    "| INPUT_FIELD_DEFINITION | OBJECT | SCALAR",
    "listSize": "(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], "
    "requireOneSlicingArgument: Boolean) on FIELD_DEFINITION",
}
LINK_DEFINITION = "(url: String, as: String, for: String, import: [String]) repeatable on SCHEMA"

_RULES = [
    rule
    for rule in specified_sdl_rules
    if rule not in (PossibleTypeExtensionsRule, KnownTypeNamesRule)
]


def check_sdl(
    document: DocumentNode,
    local_names: Mapping[str, str],
    version: tuple[int, int],
    report: Report,
) -> None:
    """Run graphql-core's SDL rules on ``document`` plus federation's directive definitions."""
    defined = {d.name.value for d in document.definitions if isinstance(d, DirectiveDefinitionNode)}
    extra: list[DefinitionNode] = [
        _directive_definition(local, _signature(canonical, version))
        for local, canonical in local_names.items()
        if local not in defined and canonical in FEDERATION_DEFINITIONS
    ]
    if "link" not in defined:
        extra.append(_directive_definition("link", LINK_DEFINITION))
    augmented = DocumentNode(definitions=(*document.definitions, *extra))
    errors: list[GraphQLError] = validate_sdl(augmented, rules=_RULES)
    for error in errors:
        report("INVALID_GRAPHQL", error.message)


def _signature(canonical: str, version: tuple[int, int]) -> str:
    if canonical == "override" and version < (2, 7):
        return "(from: String!) on FIELD_DEFINITION"  # progressive override came with 2.7
    return FEDERATION_DEFINITIONS[canonical]


@lru_cache(maxsize=256)
def _directive_definition(name: str, signature: str) -> DefinitionNode:
    # Parsing is the slow part of validation: each definition is parsed once per process.
    spaced = signature if signature.startswith("(") else " " + signature
    return parse(f"directive @{name}{spaced}", no_location=True).definitions[0]


def check_type_system(subgraph: Subgraph, report: Report) -> None:
    """Check what SDL rules leave to schema validation: interfaces are real and implemented."""
    for type_def in subgraph.types.values():
        if type_def.kind not in ("object", "interface"):
            continue
        for interface_name in type_def.interfaces:
            interface = subgraph.types.get(interface_name)
            if interface is None:
                continue  # reported as an unknown type
            if interface.kind != "interface" or interface.interface_object:
                report(
                    "INVALID_GRAPHQL",
                    f"Type {type_def.name} must only implement Interface types, it cannot "
                    f"implement {interface_name}.",
                )
                continue
            for field_name, expected in interface.fields.items():
                actual = type_def.fields.get(field_name)
                if actual is None:
                    report(
                        "INVALID_GRAPHQL",
                        f"Interface field {interface_name}.{field_name} expected but "
                        f"{type_def.name} does not provide it.",
                    )
                elif named_type(actual.type) != named_type(expected.type) and not _implements(
                    subgraph, named_type(actual.type), named_type(expected.type)
                ):
                    report(
                        "INVALID_GRAPHQL",
                        f"Interface field {interface_name}.{field_name} expects type "
                        f"{type_string(expected.type)} but {type_def.name}.{field_name} is type "
                        f"{type_string(actual.type)}.",
                    )


def _implements(subgraph: Subgraph, sub: str, sup: str) -> bool:
    candidate = subgraph.types.get(sub)
    target = subgraph.types.get(sup)
    if candidate is None or target is None:
        return False
    return sup in candidate.interfaces or (target.kind == "union" and sub in target.members)
