"""Read one Federation 2 subgraph SDL into a normalised model.

The model speaks in canonical federation names whatever the subgraph called them: a subgraph may
import ``{name: "@key", as: "@primaryKey"}``, use ``@federation__shareable`` without importing it,
rename the namespace with ``@link(..., as: "fed")``, or rename its root types. Federation plumbing
(``_entities``, ``_service``, ``_Any``, ``_Entity``, ``_Service``, ``FieldSet``, ``link__*``, the
directive definitions) is dropped here, so that a subgraph's ``_service { sdl }`` (which includes
it) and a hand-written schema file (which may not) compose to the same supergraph.

Problems that concern one subgraph alone (bad ``@link``, invalid GraphQL, invalid ``@key``/
``@requires``/``@provides`` field sets, misuse of ``@external``) are reported here as
``CompositionIssue``s; the checks themselves live in ``_validity`` and ``_subgraph_checks``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import cast

from graphql import GraphQLSyntaxError, parse, print_ast
from graphql.language import (
    BooleanValueNode,
    DefinitionNode,
    DirectiveDefinitionNode,
    DirectiveNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    FieldDefinitionNode,
    FieldNode,
    InlineFragmentNode,
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
    InputValueDefinitionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    ListTypeNode,
    ListValueNode,
    NamedTypeNode,
    NameNode,
    NonNullTypeNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    ObjectValueNode,
    ScalarTypeDefinitionNode,
    ScalarTypeExtensionNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    SelectionSetNode,
    StringValueNode,
    TypeDefinitionNode,
    TypeExtensionNode,
    TypeNode,
    UnionTypeDefinitionNode,
    UnionTypeExtensionNode,
    ValueNode,
)

from ._fieldset import FieldSetSyntaxError, parse_field_set
from ._subgraph_checks import FieldSetChecker, check_references, parse_or_report
from ._subgraph_model import (
    BUILT_IN_DIRECTIVES,
    BUILT_IN_SCALARS,
    EXECUTABLE_LOCATIONS,
    FEDERATION_DIRECTIVES,
    FEDERATION_PLUMBING_QUERY_FIELDS,
    FEDERATION_PLUMBING_TYPES,
    FEDERATION_SPEC,
    FEDERATION_TYPES,
    KNOWN_VERSIONS,
    OTHER_SPECS,
    ROOT_OPERATIONS,
    UNSUPPORTED_DIRECTIVES,
    Deprecation,
    EnumValue,
    Field,
    InputValue,
    Key,
    Subgraph,
    TypeDef,
    TypeKind,
    Version,
    named_type,
    version_string,
)
from ._validity import check_sdl, check_type_system
from .errors import CompositionIssue


class _Names:
    """Maps the names a subgraph uses for federation directives to their canonical names."""

    def __init__(self) -> None:
        self.directives: dict[str, str] = {}  # local name -> canonical name
        self.types: set[str] = set()  # local names of federation types (FieldSet, ...)

    def canonical(self, directive: DirectiveNode) -> str | None:
        return self.directives.get(directive.name.value)


class _Reader:
    """Builds a Subgraph from a parsed document, collecting issues as it goes."""

    def __init__(self, name: str, url: str, issues: list[CompositionIssue]) -> None:
        self.name = name
        self.url = url
        self.issues = issues
        self.names = _Names()
        self.version: Version = (2, 0)
        self.root_renames: dict[str, str] = {}
        self.uses_tag = False
        self.uses_inaccessible = False

    def report(self, code: str, message: str, coordinate: str | None = None) -> None:
        self.issues.append(
            CompositionIssue(code, f"[{self.name}] {message}", (self.name,), coordinate)
        )

    # -- @link -----------------------------------------------------------------------------

    def read_links(self, document: DocumentNode) -> bool:
        """Resolve federation names from the schema's @link; False when it is not Federation 2."""
        found_federation = False
        for definition in document.definitions:
            if not isinstance(definition, SchemaDefinitionNode | SchemaExtensionNode):
                continue
            for operation in definition.operation_types or ():
                canonical = ROOT_OPERATIONS[operation.operation.value]
                local = operation.type.name.value
                if local != canonical:
                    self.root_renames[local] = canonical
            for directive in definition.directives or ():
                if directive.name.value != "link":
                    continue
                url = _string_argument(directive, "url")
                if url is None:
                    self.report("INVALID_LINK_DIRECTIVE_USAGE", "@link is missing its url argument")
                    continue
                if url.startswith(FEDERATION_SPEC + "/"):
                    found_federation = (
                        self._read_federation_link(directive, url) or found_federation
                    )
                    continue
                for spec, directives in OTHER_SPECS.items():
                    if url.startswith(spec + "/"):
                        self._read_imports(directive, spec.rsplit("/", 1)[1], directives, {})
        return found_federation

    def _read_federation_link(self, directive: DirectiveNode, url: str) -> bool:
        match = re.fullmatch(re.escape(FEDERATION_SPEC) + r"/v(\d+)\.(\d+)", url)
        version = (int(match.group(1)), int(match.group(2))) if match else None
        if version is None or version not in KNOWN_VERSIONS:
            shown = url.rsplit("/", 1)[1]
            self.report(
                "UNKNOWN_FEDERATION_LINK_VERSION",
                f"Invalid version {shown} for the federation feature in @link directive on schema: "
                f"supported versions are v2.0 to {version_string(KNOWN_VERSIONS[-1])}",
            )
            return False
        self.version = version
        namespace = _string_argument(directive, "as") or "federation"
        available = {
            name: since for name, since in FEDERATION_DIRECTIVES.items() if since <= version
        }
        self._read_imports(directive, namespace, tuple(available), FEDERATION_TYPES)
        return True

    def _read_imports(
        self,
        directive: DirectiveNode,
        namespace: str,
        directives: Sequence[str],
        types: dict[str, Version],
    ) -> None:
        imported: dict[str, str] = {}  # canonical -> local
        argument = _argument(directive, "import")
        entries: Iterable[ValueNode] = (
            argument.values if isinstance(argument, ListValueNode) else ()
        )
        for entry in entries:
            name: str | None = None
            alias: str | None = None
            if isinstance(entry, StringValueNode):
                name = entry.value
            elif isinstance(entry, ObjectValueNode):
                for object_field in entry.fields:
                    if isinstance(object_field.value, StringValueNode):
                        if object_field.name.value == "name":
                            name = object_field.value.value
                        elif object_field.name.value == "as":
                            alias = object_field.value.value
            if name is None:
                self.report(
                    "INVALID_LINK_DIRECTIVE_USAGE", f"Invalid @link import {print_ast(entry)}"
                )
                continue
            if name.startswith("@"):
                canonical = name[1:]
                if canonical not in directives:
                    known = FEDERATION_DIRECTIVES.get(canonical)
                    reason = (
                        f"it needs federation {version_string(known)} or later"
                        if known is not None and namespace == "federation"
                        else "it is not defined by this specification"
                    )
                    self.report(
                        "INVALID_LINK_DIRECTIVE_USAGE",
                        f'Cannot import unknown element "{name}" ({reason})',
                    )
                    continue
                if alias is not None and not alias.startswith("@"):
                    self.report(
                        "INVALID_LINK_DIRECTIVE_USAGE",
                        f'Invalid @link import renaming directive "{name}" to non-directive '
                        f'"{alias}"',
                    )
                    continue
                imported[canonical] = (alias or name)[1:]
            elif name in types:
                self.names.types.add(alias or name)
            else:
                self.report(
                    "INVALID_LINK_DIRECTIVE_USAGE", f'Cannot import unknown element "{name}"'
                )
        for canonical in directives:
            self.names.directives[f"{namespace}__{canonical}"] = canonical
            if canonical in imported:
                self.names.directives[imported[canonical]] = canonical
        for type_name in types:
            self.names.types.add(f"{namespace}__{type_name}")

    # -- types -----------------------------------------------------------------------------

    def read_types(self, document: DocumentNode) -> dict[str, TypeDef]:
        types: dict[str, TypeDef] = {}
        for definition in document.definitions:
            if not isinstance(definition, TypeDefinitionNode | TypeExtensionNode):
                continue
            name = definition.name.value
            name = self.root_renames.get(name, name)
            if (
                name in FEDERATION_PLUMBING_TYPES
                or name in self.names.types
                or name in BUILT_IN_SCALARS
            ):
                continue
            kind = _kind_of(definition)
            if self._is_interface_object(definition):
                kind = "interface"
            existing = types.get(name)
            if existing is None:
                existing = types[name] = TypeDef(name, kind)
            elif existing.kind != kind:
                self.report(
                    "TYPE_DEFINITION_INVALID",
                    f'Type "{name}" is declared both as {existing.kind} and as {kind}',
                    name,
                )
                continue
            self._fold(existing, definition)
        for type_def in types.values():
            if type_def.name == "Query":
                for plumbing in FEDERATION_PLUMBING_QUERY_FIELDS:
                    type_def.fields.pop(plumbing, None)
        order = _first_mentions(document, set(types), self.root_renames, self.names.canonical)
        return {name: types[name] for name in sorted(types, key=order.__getitem__)}

    def _is_interface_object(self, definition: DefinitionNode) -> bool:
        return isinstance(definition, ObjectTypeDefinitionNode | ObjectTypeExtensionNode) and any(
            self.names.canonical(d) == "interfaceObject" for d in definition.directives or ()
        )

    def _fold(self, type_def: TypeDef, node: TypeDefinitionNode | TypeExtensionNode) -> None:
        is_extension = isinstance(node, TypeExtensionNode)
        if not is_extension:
            type_def.has_definition = True
            description = cast(TypeDefinitionNode, node).description
            if description is not None and type_def.description is None:
                type_def.description = description.value
        type_shareable = False
        type_external = False
        for directive in node.directives or ():
            canonical = self.names.canonical(directive)
            if canonical == "key":
                fields = _string_argument(directive, "fields")
                if fields is None:
                    self.report(
                        "KEY_INVALID_FIELDS", f'On type "{type_def.name}", @key needs "fields"'
                    )
                    continue
                resolvable = _argument(directive, "resolvable")
                type_def.keys.append(
                    Key(
                        fields,
                        not (isinstance(resolvable, BooleanValueNode) and not resolvable.value),
                        parse_or_report(self, "KEY_INVALID_FIELDS", type_def.name, "key", fields),
                    )
                )
            elif canonical == "extends":
                type_def.extends_directive = True
            elif canonical == "shareable":
                type_shareable = True
            elif canonical == "external":
                type_external = True
            elif canonical == "interfaceObject":
                type_def.interface_object = True
            else:
                self._common_directive(directive, canonical, type_def, type_def.name)
        if isinstance(node, ScalarTypeDefinitionNode | ScalarTypeExtensionNode):
            for directive in node.directives or ():
                if directive.name.value == "specifiedBy":
                    type_def.specified_by = _string_argument(directive, "url")
        if isinstance(node, InputObjectTypeDefinitionNode | InputObjectTypeExtensionNode) and any(
            directive.name.value == "oneOf" for directive in node.directives or ()
        ):
            type_def.one_of = True
        if isinstance(
            node,
            ObjectTypeDefinitionNode
            | ObjectTypeExtensionNode
            | InterfaceTypeDefinitionNode
            | InterfaceTypeExtensionNode,
        ):
            for interface in node.interfaces or ():
                if interface.name.value not in type_def.interfaces:
                    type_def.interfaces.append(interface.name.value)
            for field_node in node.fields or ():
                self._add_field(type_def, field_node, type_shareable, type_external)
        elif isinstance(node, UnionTypeDefinitionNode | UnionTypeExtensionNode):
            for member in node.types or ():
                if member.name.value not in type_def.members:
                    type_def.members.append(member.name.value)
        elif isinstance(node, EnumTypeDefinitionNode | EnumTypeExtensionNode):
            for value in node.values or ():
                flags = _Flags()
                for directive in value.directives or ():
                    self._common_directive(directive, self.names.canonical(directive), flags, "")
                type_def.values[value.name.value] = EnumValue(
                    value.name.value,
                    value.description.value if value.description else None,
                    _deprecation(value.directives),
                    flags.inaccessible,
                    flags.tags,
                )
        elif isinstance(node, InputObjectTypeDefinitionNode | InputObjectTypeExtensionNode):
            for input_field in node.fields or ():
                type_def.input_fields[input_field.name.value] = self._input_value(input_field)

    def _add_field(
        self,
        type_def: TypeDef,
        node: FieldDefinitionNode,
        type_shareable: bool,
        type_external: bool,
    ) -> None:
        coordinate = f"{type_def.name}.{node.name.value}"
        flags = _Flags()
        external = type_external
        shareable = type_shareable
        requires = provides = override = override_label = None
        for directive in node.directives or ():
            canonical = self.names.canonical(directive)
            if canonical == "external":
                external = True
            elif canonical == "shareable":
                shareable = True
            elif canonical == "requires":
                requires = _string_argument(directive, "fields")
            elif canonical == "provides":
                provides = _string_argument(directive, "fields")
            elif canonical == "override":
                override = _string_argument(directive, "from")
                override_label = _string_argument(directive, "label")
            else:
                self._common_directive(directive, canonical, flags, coordinate)
        type_def.fields[node.name.value] = Field(
            name=node.name.value,
            type=self._rename_type(node.type),
            args={arg.name.value: self._input_value(arg) for arg in node.arguments or ()},
            description=node.description.value if node.description else None,
            deprecation=_deprecation(node.directives),
            external=external,
            shareable=shareable,
            requires=requires,
            provides=provides,
            override=override,
            override_label=override_label,
            inaccessible=flags.inaccessible,
            tags=flags.tags,
        )

    def _input_value(self, node: InputValueDefinitionNode) -> InputValue:
        flags = _Flags()
        for directive in node.directives or ():
            self._common_directive(directive, self.names.canonical(directive), flags, "")
        return InputValue(
            node.name.value,
            self._rename_type(node.type),
            node.default_value,
            node.description.value if node.description else None,
            _deprecation(node.directives),
            flags.inaccessible,
            flags.tags,
        )

    def _rename_type(self, type_node: TypeNode) -> TypeNode:
        if not self.root_renames:
            return type_node
        if isinstance(type_node, NonNullTypeNode):
            return NonNullTypeNode(
                type=cast(NamedTypeNode | ListTypeNode, self._rename_type(type_node.type))
            )
        if isinstance(type_node, ListTypeNode):
            return ListTypeNode(type=self._rename_type(type_node.type))
        name = cast(NamedTypeNode, type_node).name.value
        return NamedTypeNode(name=NameNode(value=self.root_renames.get(name, name)))

    def _common_directive(
        self,
        directive: DirectiveNode,
        canonical: str | None,
        target: TypeDef | _Flags,
        coordinate: str,
    ) -> None:
        if canonical == "inaccessible":
            target.inaccessible = True
            self.uses_inaccessible = True
        elif canonical == "tag":
            tag = _string_argument(directive, "name")
            if tag is not None and tag not in target.tags:
                target.tags.append(tag)
            self.uses_tag = True
        elif canonical in UNSUPPORTED_DIRECTIVES:
            self.report(
                "UNSUPPORTED_FEDERATION_FEATURE",
                f'@{directive.name.value} (federation "@{canonical}") is not supported by this '
                "composer yet; composing without it would change what clients may access"
                + (f' (on "{coordinate}")' if coordinate else ""),
                coordinate or None,
            )

    def read_directives(self, document: DocumentNode) -> dict[str, DirectiveDefinitionNode]:
        """Collect custom executable directive definitions (candidates for the supergraph)."""
        found: dict[str, DirectiveDefinitionNode] = {}
        for definition in document.definitions:
            if not isinstance(definition, DirectiveDefinitionNode):
                continue
            name = definition.name.value
            if name in self.names.directives or name in BUILT_IN_DIRECTIVES or name == "link":
                continue
            if any(location.value in EXECUTABLE_LOCATIONS for location in definition.locations):
                found[name] = definition
        return found


@dataclass
class _Flags:
    """@inaccessible/@tag collected on an element that is not a type."""

    inaccessible: bool = False
    tags: list[str] = field(default_factory=list)


def _first_mentions(
    document: DocumentNode,
    names: set[str],
    renames: dict[str, str],
    canonical: Callable[[DirectiveNode], str | None],
) -> dict[str, int]:
    """Order types by first mention, the order in which the reference composers list them.

    A type counts as mentioned where it is defined, and also: an enum where a field, an object
    field's argument or an input field uses it; an interface where an object declares that it
    implements it; an object where a ``@key``, ``@requires`` or ``@provides`` selects into it.
    """
    enums = {
        d.name.value
        for d in document.definitions
        if isinstance(d, EnumTypeDefinitionNode | EnumTypeExtensionNode)
    }
    field_types: dict[str, dict[str, str]] = {}
    for definition in document.definitions:
        if isinstance(definition, _FIELDED):
            declared = field_types.setdefault(definition.name.value, {})
            for field_node in definition.fields or ():
                declared[field_node.name.value] = named_type(field_node.type)
    order: dict[str, int] = {}

    def mention(name: str) -> None:
        name = renames.get(name, name)
        if name in names and name not in order:
            order[name] = len(order)

    def mention_selected(fields: str | None, parent: str) -> None:
        try:
            selection = parse_field_set(fields) if fields is not None else None
        except FieldSetSyntaxError:
            return  # reported by the field set checks
        if selection is not None:
            _walk_selected(selection, parent, field_types, mention)

    for definition in document.definitions:
        if not isinstance(definition, TypeDefinitionNode | TypeExtensionNode):
            continue
        name = definition.name.value
        mention(name)
        if isinstance(definition, ObjectTypeDefinitionNode | ObjectTypeExtensionNode):
            for interface in definition.interfaces or ():
                mention(interface.name.value)
        if isinstance(definition, _FIELDED):
            for directive in definition.directives or ():
                if canonical(directive) == "key":
                    mention_selected(_string_argument(directive, "fields"), name)
            is_object = isinstance(definition, ObjectTypeDefinitionNode | ObjectTypeExtensionNode)
            for field_node in definition.fields or ():
                returned = named_type(field_node.type)
                if returned in enums:
                    mention(returned)
                for arg in field_node.arguments or ():
                    if is_object and named_type(arg.type) in enums:
                        mention(named_type(arg.type))
                for directive in field_node.directives or ():
                    if canonical(directive) == "provides":
                        mention(returned)
                        mention_selected(_string_argument(directive, "fields"), returned)
                    elif canonical(directive) == "requires":
                        mention_selected(_string_argument(directive, "fields"), name)
        elif isinstance(definition, InputObjectTypeDefinitionNode | InputObjectTypeExtensionNode):
            for input_field in definition.fields or ():
                if named_type(input_field.type) in enums:
                    mention(named_type(input_field.type))
    return order


_FIELDED = (
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
)


def _walk_selected(
    selection: SelectionSetNode,
    parent: str,
    field_types: dict[str, dict[str, str]],
    mention: Callable[[str], None],
) -> None:
    for item in selection.selections:
        if isinstance(item, FieldNode) and item.selection_set is not None:
            child = field_types.get(parent, {}).get(item.name.value)
            if child is not None:
                mention(child)
                _walk_selected(item.selection_set, child, field_types, mention)
        elif isinstance(item, InlineFragmentNode):
            condition = item.type_condition.name.value if item.type_condition else parent
            mention(condition)
            _walk_selected(item.selection_set, condition, field_types, mention)


def _argument(directive: DirectiveNode, name: str) -> ValueNode | None:
    for argument in directive.arguments or ():
        if argument.name.value == name:
            return argument.value
    return None


def _string_argument(directive: DirectiveNode, name: str) -> str | None:
    value = _argument(directive, name)
    return value.value if isinstance(value, StringValueNode) else None


def _deprecation(directives: Iterable[DirectiveNode] | None) -> Deprecation | None:
    for directive in directives or ():
        if directive.name.value == "deprecated":
            return Deprecation(_string_argument(directive, "reason"))
    return None


def _kind_of(node: TypeDefinitionNode | TypeExtensionNode) -> TypeKind:
    if isinstance(node, ObjectTypeDefinitionNode | ObjectTypeExtensionNode):
        return "object"
    if isinstance(node, InterfaceTypeDefinitionNode | InterfaceTypeExtensionNode):
        return "interface"
    if isinstance(node, UnionTypeDefinitionNode | UnionTypeExtensionNode):
        return "union"
    if isinstance(node, EnumTypeDefinitionNode | EnumTypeExtensionNode):
        return "enum"
    if isinstance(node, InputObjectTypeDefinitionNode | InputObjectTypeExtensionNode):
        return "input"
    return "scalar"


def read_subgraph(name: str, url: str, sdl: str, issues: list[CompositionIssue]) -> Subgraph | None:
    """Read one subgraph SDL; return None (with issues) when it cannot be used at all."""
    reader = _Reader(name, url, issues)
    try:
        document = parse(sdl, no_location=True)
    except GraphQLSyntaxError as exc:
        reader.report("INVALID_GRAPHQL", f"The SDL does not parse: {exc.message}")
        return None
    before = len(issues)
    if not reader.read_links(document):
        if len(issues) == before:
            reader.report(
                "UNSUPPORTED_FEDERATION_VERSION",
                "The schema does not @link the federation specification "
                f'("extend schema @link(url: "{FEDERATION_SPEC}/v2.x", import: [...])"); '
                "Federation 1 subgraphs are not supported by this composer",
            )
        return None
    types = reader.read_types(document)
    subgraph = Subgraph(
        name=name,
        url=url,
        version=reader.version,
        types=types,
        executable_directives=reader.read_directives(document),
        uses_tag=reader.uses_tag,
        uses_inaccessible=reader.uses_inaccessible,
    )
    before = len(issues)
    check_sdl(document, reader.names.directives, reader.version, reader.report)
    check_references(subgraph, reader)
    check_type_system(subgraph, reader.report)
    if len(issues) > before:
        return subgraph  # field sets cannot be checked meaningfully on an invalid schema
    FieldSetChecker(subgraph, reader).check()
    for type_def in types.values():
        if type_def.interface_object and not type_def.keys:
            reader.report(
                "INTERFACE_OBJECT_USAGE_ERROR",
                f"The @interfaceObject directive can only be applied to entity types but type "
                f'"{type_def.name}" has no @key in this subgraph.',
                type_def.name,
            )
        for field_def in type_def.fields.values():
            coordinate = f"{type_def.name}.{field_def.name}"
            if field_def.override is not None and field_def.override == name:
                reader.report(
                    "OVERRIDE_FROM_SELF_ERROR",
                    f'Source and destination subgraphs "{name}" are the same for overridden '
                    f'field "{coordinate}"',
                    coordinate,
                )
            if field_def.override is not None and field_def.external:
                reader.report(
                    "OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE",
                    f'@override cannot be used on field "{coordinate}" on subgraph "{name}" '
                    f'since "{coordinate}" on "{name}" is marked with directive "@external"',
                    coordinate,
                )
    return subgraph
