"""The normalised model of one subgraph, in canonical federation names, and its constants."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, cast

from graphql import print_ast
from graphql.language import (
    ConstValueNode,
    DirectiveDefinitionNode,
    ListTypeNode,
    NamedTypeNode,
    NonNullTypeNode,
    SelectionSetNode,
    TypeNode,
)

TypeKind = Literal["object", "interface", "union", "enum", "input", "scalar"]
Version = tuple[int, int]

FEDERATION_SPEC = "https://specs.apollo.dev/federation"
KNOWN_VERSIONS: tuple[Version, ...] = tuple((2, minor) for minor in range(12))

# Every directive of the federation spec with the version that introduced it.
FEDERATION_DIRECTIVES: dict[str, Version] = {
    "key": (2, 0),
    "requires": (2, 0),
    "provides": (2, 0),
    "external": (2, 0),
    "shareable": (2, 0),
    "extends": (2, 0),
    "override": (2, 0),
    "inaccessible": (2, 0),
    "tag": (2, 0),
    "composeDirective": (2, 1),
    "interfaceObject": (2, 3),
    "authenticated": (2, 5),
    "requiresScopes": (2, 5),
    "policy": (2, 6),
    "context": (2, 8),
    "fromContext": (2, 8),
    "cost": (2, 9),
    "listSize": (2, 9),
}
FEDERATION_TYPES: dict[str, Version] = {
    "FieldSet": (2, 0),
    "Scope": (2, 5),
    "Policy": (2, 6),
    "ContextFieldValue": (2, 8),
}
# Directives we read but do not carry into the supergraph yet: using one is an explicit error
# rather than a silently weaker supergraph (e.g. an @authenticated field that would become public).
UNSUPPORTED_DIRECTIVES = frozenset(
    {
        "composeDirective",
        "authenticated",
        "requiresScopes",
        "policy",
        "context",
        "fromContext",
        "cost",
        "listSize",
    }
)
# Other specs a Federation 2 subgraph may @link to directly, with the directives they bring.
OTHER_SPECS: dict[str, tuple[str, ...]] = {
    "https://specs.apollo.dev/inaccessible": ("inaccessible",),
    "https://specs.apollo.dev/tag": ("tag",),
}
BUILT_IN_SCALARS = frozenset({"String", "Int", "Float", "Boolean", "ID"})
BUILT_IN_DIRECTIVES = frozenset({"deprecated", "specifiedBy", "skip", "include", "oneOf"})
# Definitions a subgraph library adds for the federation protocol; never part of the supergraph.
FEDERATION_PLUMBING_TYPES = frozenset(
    {"_Any", "_Entity", "_Service", "_FieldSet", "FieldSet", "link__Import", "link__Purpose"}
)
FEDERATION_PLUMBING_QUERY_FIELDS = frozenset({"_entities", "_service"})
EXECUTABLE_LOCATIONS = frozenset(
    {
        "QUERY",
        "MUTATION",
        "SUBSCRIPTION",
        "FIELD",
        "FRAGMENT_DEFINITION",
        "FRAGMENT_SPREAD",
        "INLINE_FRAGMENT",
        "VARIABLE_DEFINITION",
    }
)
ROOT_OPERATIONS = {"query": "Query", "mutation": "Mutation", "subscription": "Subscription"}


@dataclass(frozen=True)
class Deprecation:
    """A ``@deprecated`` application; ``reason`` None means the directive had no argument."""

    reason: str | None


@dataclass
class Key:
    """One ``@key`` of a type in one subgraph."""

    fields: str
    resolvable: bool
    selection: SelectionSetNode | None  # None when the field set did not parse


@dataclass
class InputValue:
    """A field argument or an input object field."""

    name: str
    type: TypeNode
    default: ConstValueNode | None
    description: str | None
    deprecation: Deprecation | None
    inaccessible: bool
    tags: list[str]


@dataclass
class Field:
    """An object or interface field as one subgraph declares it."""

    name: str
    type: TypeNode
    args: dict[str, InputValue]
    description: str | None
    deprecation: Deprecation | None
    external: bool
    shareable: bool
    requires: str | None
    provides: str | None
    override: str | None
    override_label: str | None
    inaccessible: bool
    tags: list[str]
    used_as_key: bool = False  # selected by one of the type's @key in this subgraph
    required: bool = False  # selected by a @requires in this subgraph
    provided: bool = False  # selected by a @provides in this subgraph


@dataclass
class EnumValue:
    name: str
    description: str | None
    deprecation: Deprecation | None
    inaccessible: bool
    tags: list[str]


@dataclass
class TypeDef:
    """A named type as one subgraph declares it (definition and extensions folded together)."""

    name: str
    kind: TypeKind
    description: str | None = None
    has_definition: bool = False  # declared with `type X` (not only `extend type X`)
    extends_directive: bool = False  # carries @extends
    keys: list[Key] = field(default_factory=list)
    interface_object: bool = False  # an @interfaceObject: an interface declared as an object
    inaccessible: bool = False
    tags: list[str] = field(default_factory=list)
    interfaces: list[str] = field(default_factory=list)
    fields: dict[str, Field] = field(default_factory=dict)
    members: list[str] = field(default_factory=list)
    values: dict[str, EnumValue] = field(default_factory=dict)
    input_fields: dict[str, InputValue] = field(default_factory=dict)
    specified_by: str | None = None
    one_of: bool = False  # an input object with @oneOf: exactly one field must be given

    @property
    def extension(self) -> bool:
        """Whether composition treats this declaration as an extension of another subgraph's."""
        return self.extends_directive or not self.has_definition

    @property
    def is_entity(self) -> bool:
        return bool(self.keys)


@dataclass
class Subgraph:
    """One subgraph, normalised: canonical federation names, plumbing removed."""

    name: str
    url: str
    version: Version
    types: dict[str, TypeDef]
    executable_directives: dict[str, DirectiveDefinitionNode]
    uses_tag: bool = False
    uses_inaccessible: bool = False

    def field_type_name(self, type_name: str, field_name: str) -> str | None:
        """Named type of ``type_name.field_name`` in this subgraph, or None if it does not exist."""
        type_def = self.types.get(type_name)
        if type_def is None:
            return None
        found = type_def.fields.get(field_name)
        return named_type(found.type) if found is not None else None


def named_type(type_node: TypeNode) -> str:
    """Return the named type at the bottom of a (possibly wrapped) type reference."""
    while isinstance(type_node, NonNullTypeNode | ListTypeNode):
        type_node = type_node.type
    return cast(NamedTypeNode, type_node).name.value


def type_string(type_node: TypeNode) -> str:
    return print_ast(type_node)


def version_string(version: Version) -> str:
    return f"v{version[0]}.{version[1]}"
