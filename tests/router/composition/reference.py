"""The reference composer (npm ``@theguild/federation-composition``) and a supergraph normaliser.

``guild_compose`` runs ``tools/node/compose.mjs`` on the same inputs as ours. ``normalise`` turns a
supergraph SDL into plain data (per type: kind, join directives, fields with their join
directives, enum values, union members, input fields), order-insensitive where order carries no
meaning, with field sets (``key``/``requires``/``provides``) in canonical spacing, so that two
supergraphs compare as data rather than as text.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from graphql import parse, print_ast
from graphql.language import (
    ArgumentNode,
    DirectiveNode,
    EnumTypeDefinitionNode,
    InputObjectTypeDefinitionNode,
    InterfaceTypeDefinitionNode,
    ObjectTypeDefinitionNode,
    ScalarTypeDefinitionNode,
    SchemaDefinitionNode,
    StringValueNode,
    UnionTypeDefinitionNode,
)

from router.composition import SubgraphSource
from router.composition._fieldset import parse_field_set

FIELD_SET_ARGUMENTS = {"key", "requires", "provides"}
INTERNAL_PREFIXES = ("join__", "link__")


def guild_compose(node_tools: Path, subgraphs: list[SubgraphSource]) -> dict[str, Any]:
    """Compose with the reference; returns {"supergraphSdl": ...} or {"errors": [...]}."""
    payload = {"subgraphs": [{"name": s.name, "url": s.url, "sdl": s.sdl} for s in subgraphs]}
    completed = subprocess.run(
        ["node", str(node_tools / "compose.mjs")],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if completed.returncode not in (0, 1):
        raise AssertionError(f"compose.mjs failed: {completed.stderr or completed.stdout}")
    result: dict[str, Any] = json.loads(completed.stdout)
    return result


def guild_batch(
    node_tools: Path,
    compose: dict[str, list[SubgraphSource]] | None = None,
    public: dict[str, str] | None = None,
) -> dict[str, dict[str, Any]]:
    """Run many cases in one Node process: {"compose": {key: result}, "public": {key: result}}."""
    payload = {
        "compose": {
            key: {"subgraphs": [{"name": s.name, "url": s.url, "sdl": s.sdl} for s in graph]}
            for key, graph in (compose or {}).items()
        },
        "public": public or {},
    }
    completed = subprocess.run(
        ["node", str(node_tools / "compose.mjs"), "--batch"],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if completed.returncode != 0:
        raise AssertionError(f"compose.mjs --batch failed: {completed.stderr or completed.stdout}")
    result: dict[str, dict[str, Any]] = json.loads(completed.stdout)
    return result


def _canonical_field_set(value: str) -> str:
    return " ".join(print_ast(parse_field_set(value)).split())[2:-2]


def _directive(node: DirectiveNode) -> str:
    arguments: list[str] = []
    for argument in sorted(node.arguments or (), key=lambda a: a.name.value):
        value = argument.value
        if argument.name.value in FIELD_SET_ARGUMENTS and isinstance(value, StringValueNode):
            shown = json.dumps(_canonical_field_set(value.value))
        else:
            shown = print_ast(value)
        arguments.append(f"{argument.name.value}: {shown}")
    return f"@{node.name.value}({', '.join(arguments)})" if arguments else f"@{node.name.value}"


def _directives(nodes: Any) -> list[str]:
    return sorted(_directive(d) for d in nodes or ())


def _arguments(nodes: Any) -> dict[str, Any]:
    return {
        arg.name.value: {
            "type": print_ast(arg.type),
            "default": print_ast(arg.default_value) if arg.default_value is not None else None,
            "directives": _directives(arg.directives),
        }
        for arg in nodes or ()
    }


def normalise(supergraph_sdl: str) -> dict[str, Any]:
    """Plain, order-insensitive data describing a supergraph's federation metadata."""
    document = parse(supergraph_sdl)
    result: dict[str, Any] = {"types": {}}
    for definition in document.definitions:
        if isinstance(definition, SchemaDefinitionNode):
            result["links"] = sorted(
                _directive(d) for d in definition.directives or () if d.name.value == "link"
            )
            result["roots"] = sorted(
                (op.operation.value, op.type.name.value) for op in definition.operation_types
            )
            continue
        name = getattr(definition, "name", None)
        if name is None or not hasattr(definition, "directives"):
            continue
        type_name = name.value
        if type_name == "join__Graph" and isinstance(definition, EnumTypeDefinitionNode):
            result["graphs"] = sorted(
                (value.name.value, _directives(value.directives))
                for value in definition.values or ()
            )
            continue
        if type_name.startswith(INTERNAL_PREFIXES):
            continue
        entry: dict[str, Any] = {
            "kind": type(definition).__name__,
            "directives": _directives(definition.directives),
        }
        if isinstance(definition, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode):
            entry["interfaces"] = sorted(i.name.value for i in definition.interfaces or ())
            entry["fields"] = {
                field.name.value: {
                    "type": print_ast(field.type),
                    "directives": _directives(field.directives),
                    "arguments": _arguments(field.arguments),
                }
                for field in definition.fields or ()
            }
        elif isinstance(definition, UnionTypeDefinitionNode):
            entry["members"] = sorted(m.name.value for m in definition.types or ())
        elif isinstance(definition, EnumTypeDefinitionNode):
            entry["values"] = {
                value.name.value: _directives(value.directives) for value in definition.values or ()
            }
        elif isinstance(definition, InputObjectTypeDefinitionNode):
            entry["fields"] = _arguments(definition.fields)
        elif not isinstance(definition, ScalarTypeDefinitionNode):
            continue
        result["types"][type_name] = entry
    return result


def argument_value(directive: DirectiveNode, name: str) -> ArgumentNode | None:
    for argument in directive.arguments or ():
        if argument.name.value == name:
            return argument
    return None
