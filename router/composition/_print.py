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
from ._subgraph import Deprecation

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


def _description(text: str | None, indent: str) -> str:
    if text is None:
        return ""
    body = text.replace('"""', '\\"""')
    lines = "\n".join(f"{indent}{line}" if line else "" for line in body.split("\n"))
    return f'{indent}"""\n{lines}\n{indent}"""\n'


def _join_type(join: JoinType) -> str:
    arguments = [f"graph: {join.graph}"]
    if join.key is not None:
        arguments.append(f"key: {_string(join.key)}")
    if join.extension:
        arguments.append("extension: true")
    if not join.resolvable:
        arguments.append("resolvable: false")
    if join.is_interface_object:
        arguments.append("isInterfaceObject: true")
    return f"@join__type({', '.join(arguments)})"


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
    return f"@join__field({', '.join(arguments)})" if arguments else "@join__field"


def _common(inaccessible: bool, tags: list[str], deprecation: Deprecation | None = None) -> str:
    parts: list[str] = []
    if inaccessible:
        parts.append("@inaccessible")
    parts.extend(f"@tag(name: {_string(tag)})" for tag in tags)
    if deprecation is not None:
        parts.append(
            "@deprecated"
            if deprecation.reason is None
            else f"@deprecated(reason: {_string(deprecation.reason)})"
        )
    return "".join(f" {part}" for part in parts)


def _argument(argument: Argument) -> str:
    default = f" = {argument.default}" if argument.default is not None else ""
    return f"{argument.name}: {argument.type}{default}" + _common(
        argument.inaccessible, argument.tags, argument.deprecation
    )


def _field(field: SupergraphField) -> str:
    if any(argument.description for argument in field.args):
        inner = "".join(
            _description(argument.description, "    ") + f"    {_argument(argument)}\n"
            for argument in field.args
        )
        arguments = f"(\n{inner}  )"
    elif field.args:
        arguments = f"({', '.join(_argument(argument) for argument in field.args)})"
    else:
        arguments = ""
    joins = "".join(f" {_join_field(join)}" for join in field.join_fields)
    return (
        _description(field.description, "  ")
        + f"  {field.name}{arguments}: {field.type}{joins}"
        + _common(field.inaccessible, field.tags, field.deprecation)
    )


def _type(type_def: SupergraphType) -> str:
    directives = [_join_type(join) for join in type_def.join_types]
    directives += [
        f"@join__implements(graph: {graph}, interface: {_string(interface)})"
        for graph, interface in type_def.implements
    ]
    directives += [
        f"@join__unionMember(graph: {graph}, member: {_string(member)})"
        for graph, member in type_def.union_members
    ]
    if type_def.specified_by is not None:
        directives.append(f"@specifiedBy(url: {_string(type_def.specified_by)})")
    head = " ".join(directives) + _common(type_def.inaccessible, type_def.tags)
    description = _description(type_def.description, "")
    if type_def.kind == "scalar":
        return f"{description}scalar {type_def.name} {head}"
    if type_def.kind == "union":
        return f"{description}union {type_def.name} {head} = {' | '.join(type_def.members)}"
    if type_def.kind == "enum":
        body = "\n".join(
            _description(value.description, "  ")
            + f"  {value.name}"
            + "".join(f" @join__enumValue(graph: {graph})" for graph in value.graphs)
            + _common(value.inaccessible, value.tags, value.deprecation)
            for value in type_def.values
        )
        return f"{description}enum {type_def.name} {head} {{\n{body}\n}}"
    if type_def.kind == "input":
        body = "\n".join(
            _description(value.description, "  ")
            + f"  {value.name}: {value.type}"
            + (f" = {value.default}" if value.default is not None else "")
            + "".join(f" {_join_field(join)}" for join in value.join_fields)
            + _common(value.inaccessible, value.tags, value.deprecation)
            for value in type_def.input_fields
        )
        return f"{description}input {type_def.name} {head} {{\n{body}\n}}"
    keyword = "type" if type_def.kind == "object" else "interface"
    implements = f" implements {' & '.join(type_def.interfaces)}" if type_def.interfaces else ""
    body = "\n".join(_field(field) for field in type_def.fields)
    return f"{description}{keyword} {type_def.name}{implements} {head} {{\n{body}\n}}"


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
    graph_values = "\n".join(
        f"  {graph.enum} @join__graph(name: {_string(graph.name)}, url: {_string(graph.url)})"
        for graph in supergraph.graphs
    )
    blocks.append(f"enum join__Graph {{\n{graph_values}\n}}")
    blocks.extend(supergraph.directive_definitions)
    blocks.extend(_type(type_def) for type_def in supergraph.types)
    return "\n\n".join(blocks) + "\n"
