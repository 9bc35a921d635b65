"""Print a composed supergraph as the SDL that standard federation tools read and write.

The layout follows ``@theguild/federation-composition``: the schema definition with its
``@link``s, the join/link (and, when used, tag/inaccessible) spec definitions, ``join__Graph``,
then the types grouped by kind.
"""

from __future__ import annotations

import json

from ._model import (
    Argument,
    ComposedSupergraph,
    JoinField,
    JoinType,
    SupergraphField,
    SupergraphType,
)
from ._subgraph_model import Deprecation

LINK_SPEC = "https://specs.apollo.dev/link/v1.0"
JOIN_SPEC = "https://specs.apollo.dev/join/"
TAG_SPEC = "https://specs.apollo.dev/tag/v0.3"
INACCESSIBLE_SPEC = "https://specs.apollo.dev/inaccessible/v0.2"

LINK_DEFINITIONS = (
    (
        "directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) "
        "repeatable on SCHEMA"
    )
    + '''

scalar link__Import

enum link__Purpose {
  """
  `SECURITY` features provide metadata necessary to securely resolve fields.
  """
  SECURITY
  """
  `EXECUTION` features provide metadata necessary for operation execution.
  """
  EXECUTION
}'''
)

TAG_DEFINITION = (
    "directive @tag(name: String!) repeatable on FIELD_DEFINITION | OBJECT | INTERFACE | UNION "
    "| ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION "
    "| SCHEMA"
)
INACCESSIBLE_DEFINITION = (
    "directive @inaccessible on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ENUM "
    "| ENUM_VALUE | SCALAR | INPUT_OBJECT | INPUT_FIELD_DEFINITION | ARGUMENT_DEFINITION"
)


def join_definitions(version: str) -> str:
    """Return the join spec's definitions at ``version`` (v0.3, v0.4 or v0.5)."""
    field_arguments = [
        "graph: join__Graph",
        "requires: join__FieldSet",
        "provides: join__FieldSet",
        "type: String",
        "external: Boolean",
        "override: String",
        "usedOverridden: Boolean",
    ]
    if version >= "v0.4":
        field_arguments.append("overrideLabel: String")
    if version >= "v0.5":
        field_arguments.append("contextArguments: [join__ContextArgument!]")
    parts = [
        "directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE",
        "directive @join__graph(name: String!, url: String!) on ENUM_VALUE",
        "directive @join__field(\n"
        + "".join(f"  {argument}\n" for argument in field_arguments)
        + ") repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION",
    ]
    if version >= "v0.5":
        parts.append(
            "input join__ContextArgument {\n  name: String!\n  type: String!\n"
            "  context: String!\n  selection: join__FieldValue!\n}"
        )
    parts += [
        "directive @join__implements(graph: join__Graph!, interface: String!) repeatable on "
        "OBJECT | INTERFACE",
        "directive @join__type(\n  graph: join__Graph!\n  key: join__FieldSet\n"
        "  extension: Boolean! = false\n  resolvable: Boolean! = true\n"
        "  isInterfaceObject: Boolean! = false\n) repeatable on OBJECT | INTERFACE | UNION | ENUM "
        "| INPUT_OBJECT | SCALAR",
        "directive @join__unionMember(graph: join__Graph!, member: String!) repeatable on UNION",
        "scalar join__FieldSet",
    ]
    if version >= "v0.5":
        parts.append("scalar join__FieldValue")
    return "\n\n".join(parts)


def _string(value: str) -> str:
    # A JSON string literal is a valid GraphQL string literal (same escapes, \uXXXX for controls).
    return json.dumps(value, ensure_ascii=False)


def _arguments(parts: list[str]) -> str:
    # The reference printers put arguments on one line unless it would exceed 80 characters.
    if not parts:
        return ""
    line = "(" + ", ".join(parts) + ")"
    if len(line) > 80:
        return "(\n  " + "\n".join(parts).replace("\n", "\n  ") + "\n)"
    return line


def _directive(name: str, parts: list[str]) -> str:
    return f"@{name}{_arguments(parts)}"


def _described(description: str | None, text: str) -> str:
    if description is None:
        return text
    return '"""\n' + description.replace('"""', '\\"""') + '\n"""\n' + text


def _block(items: list[str]) -> str:
    if not items:
        return ""
    return "{\n  " + "\n".join(items).replace("\n", "\n  ") + "\n}"


def _join_type(join: JoinType) -> str:
    arguments = [f"graph: {join.graph}"]
    if join.key is not None:
        arguments.append(f"key: {_string(join.key)}")
    if not join.resolvable:
        arguments.append("resolvable: false")
    if join.is_interface_object:
        arguments.append("isInterfaceObject: true")
    if join.extension:
        arguments.append("extension: true")
    return _directive("join__type", arguments)


def _join_field(join: JoinField) -> str:
    arguments: list[str] = []
    if join.graph is not None:
        arguments.append(f"graph: {join.graph}")
    if join.requires is not None:
        arguments.append(f"requires: {_string(join.requires)}")
    if join.provides is not None:
        arguments.append(f"provides: {_string(join.provides)}")
    if join.type is not None:
        arguments.append(f"type: {_string(join.type)}")
    if join.external:
        arguments.append("external: true")
    if join.override is not None:
        arguments.append(f"override: {_string(join.override)}")
    if join.override_label is not None:
        arguments.append(f"overrideLabel: {_string(join.override_label)}")
    if join.used_overridden:
        arguments.append("usedOverridden: true")
    return _directive("join__field", arguments)


def _common(
    inaccessible: bool, tags: list[str], deprecation: Deprecation | None = None
) -> list[str]:
    parts = [_directive("tag", [f"name: {_string(tag)}"]) for tag in tags]
    if inaccessible:
        parts.append("@inaccessible")
    if deprecation is not None:
        reason = [] if deprecation.reason is None else [f"reason: {_string(deprecation.reason)}"]
        parts.append(_directive("deprecated", reason))
    return parts


def _joined(*parts: str) -> str:
    return " ".join(part for part in parts if part)


def _input_value(value: Argument) -> str:
    default = f"= {value.default}" if value.default is not None else ""
    directives = [_join_field(join) for join in value.join_fields]
    directives += _common(value.inaccessible, value.tags, value.deprecation)
    return _described(
        value.description, _joined(f"{value.name}: {value.type}", default, *directives)
    )


def _field(field: SupergraphField) -> str:
    arguments = _arguments([_input_value(argument) for argument in field.args])
    directives = [_join_field(join) for join in field.join_fields]
    directives += _common(field.inaccessible, field.tags, field.deprecation)
    return _described(
        field.description, _joined(f"{field.name}{arguments}: {field.type}", *directives)
    )


def _type(type_def: SupergraphType) -> str:
    directives = [_join_type(join) for join in type_def.join_types]
    directives += [
        _directive("join__implements", [f"graph: {graph}", f"interface: {_string(interface)}"])
        for graph, interface in type_def.implements
    ]
    directives += [
        _directive("join__unionMember", [f"graph: {graph}", f"member: {_string(member)}"])
        for graph, member in type_def.union_members
    ]
    directives += _common(type_def.inaccessible, type_def.tags)
    if type_def.specified_by is not None:
        directives.append(_directive("specifiedBy", [f"url: {_string(type_def.specified_by)}"]))
    if type_def.one_of:
        directives.append("@oneOf")
    name = type_def.name
    if type_def.kind == "scalar":
        text = _joined("scalar", name, *directives)
    elif type_def.kind == "union":
        text = _joined("union", name, *directives, "= " + " | ".join(type_def.members))
    elif type_def.kind == "enum":
        values = [
            _described(
                value.description,
                _joined(
                    value.name,
                    *(_directive("join__enumValue", [f"graph: {g}"]) for g in value.graphs),
                    *_common(value.inaccessible, value.tags, value.deprecation),
                ),
            )
            for value in type_def.values
        ]
        text = _joined("enum", name, *directives, _block(values))
    elif type_def.kind == "input":
        fields = [_input_value(value) for value in type_def.input_fields]
        text = _joined("input", name, *directives, _block(fields))
    else:
        keyword = "type" if type_def.kind == "object" else "interface"
        implements = "implements " + " & ".join(type_def.interfaces) if type_def.interfaces else ""
        fields = [_field(field) for field in type_def.fields]
        text = _joined(keyword, name, implements, *directives, _block(fields))
    return _described(type_def.description, text)


def print_supergraph(supergraph: ComposedSupergraph) -> str:
    """Return the supergraph SDL, ending with a newline."""
    links = [
        f"@link(url: {_string(LINK_SPEC)})",
        f"@link(url: {_string(JOIN_SPEC + supergraph.join_version)}, for: EXECUTION)",
    ]
    if supergraph.uses_tag:
        links.append(f"@link(url: {_string(TAG_SPEC)})")
    if supergraph.uses_inaccessible:
        links.append(f"@link(url: {_string(INACCESSIBLE_SPEC)}, for: SECURITY)")
    roots = "".join(f"  {operation}: {name}\n" for operation, name in supergraph.root_types)
    blocks = [
        f"schema {' '.join(links)} {{\n{roots}}}",
        join_definitions(supergraph.join_version),
        LINK_DEFINITIONS,
    ]
    if supergraph.uses_tag:
        blocks.append(TAG_DEFINITION)
    if supergraph.uses_inaccessible:
        blocks.append(INACCESSIBLE_DEFINITION)
    graph_values = [
        _joined(
            graph.enum,
            _directive(
                "join__graph", [f"name: {_string(graph.name)}", f"url: {_string(graph.url)}"]
            ),
        )
        for graph in supergraph.graphs
    ]
    blocks.append(_joined("enum join__Graph", _block(graph_values)))
    blocks.extend(supergraph.directive_definitions)
    blocks.extend(_type(type_def) for type_def in supergraph.types)
    return "\n\n".join(blocks) + "\n"
