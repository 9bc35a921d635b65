"""Resolve the names under which `@link`ed specs appear in a supergraph.

A supergraph names its join directives `@join__type` and so on, unless its `@link` renames the spec
(`as: "j"` gives `@j__type`) or imports an element under another name. This module reads the
schema's `@link` (and legacy `@core`) applications and answers "what is this element called here".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from graphql import (
    DocumentNode,
    ListValueNode,
    ObjectValueNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    StringValueNode,
    ValueNode,
)

from router.supergraph.errors import SupergraphError

_URL = re.compile(r"^(?P<base>.*?)/(?P<name>[A-Za-z_][\w-]*)/v(?P<major>\d+)\.(?P<minor>\d+)/?$")


@dataclass(frozen=True)
class LinkedSpec:
    """One `@link`ed spec: its identity, its local prefix and renamed imports."""

    url: str
    name: str
    version: tuple[int, int]
    prefix: str
    imports: dict[str, str] = field(default_factory=dict)  # "@element" or "Type" -> local name

    @property
    def is_apollo_spec(self) -> bool:
        return "specs.apollo.dev" in self.url

    def directive(self, element: str) -> str:
        """Local name of the spec directive `element` ("type" for join, "" for the spec's own)."""
        own = element in ("", self.name)
        imported = self.imports.get("@" + (self.name if own else element))
        if imported is not None:
            return imported.lstrip("@")
        return self.prefix if own else f"{self.prefix}__{element}"


@dataclass(frozen=True)
class Links:
    """All specs linked by a supergraph, by spec name."""

    specs: dict[str, LinkedSpec]

    def get(self, name: str) -> LinkedSpec | None:
        return self.specs.get(name)

    def internal_directive_names(self) -> set[str]:
        """Directive names that belong to linked specs (stripped from the API schema)."""
        names: set[str] = {"link", "core"}
        for spec in self.specs.values():
            if not spec.is_apollo_spec:
                continue
            names.add(spec.prefix)
            names.update(local.lstrip("@") for key, local in spec.imports.items() if key[:1] == "@")
        return names

    def internal_prefixes(self) -> tuple[str, ...]:
        """`prefix__` strings of linked specs: types and directives named so are internal."""
        return (*(f"{spec.prefix}__" for spec in self.specs.values()), "link__", "core__")


def _string(value: ValueNode) -> str | None:
    return value.value if isinstance(value, StringValueNode) else None


def _imports(value: ValueNode | None) -> dict[str, str]:
    result: dict[str, str] = {}
    if not isinstance(value, ListValueNode):
        return result
    for item in value.values:
        if isinstance(item, StringValueNode):
            result[item.value] = item.value
        elif isinstance(item, ObjectValueNode):
            fields = {f.name.value: _string(f.value) for f in item.fields}
            name = fields.get("name")
            if name:
                result[name] = fields.get("as") or name
    return result


def read_links(document: DocumentNode) -> Links:
    """Collect the `@link`/`@core` applications on the schema definition and its extensions."""
    specs: dict[str, LinkedSpec] = {}
    for definition in document.definitions:
        if not isinstance(definition, SchemaDefinitionNode | SchemaExtensionNode):
            continue
        for directive in definition.directives or ():
            if directive.name.value not in ("link", "core"):
                continue
            args: dict[str, ValueNode] = {a.name.value: a.value for a in directive.arguments or ()}
            url_node = args.get("url") or args.get("feature")
            url = _string(url_node) if url_node is not None else None
            if not url:
                raise SupergraphError(f"@{directive.name.value} without a url")
            match = _URL.match(url)
            if not match:
                raise SupergraphError(f"@link url {url!r} is not of the form .../<name>/v<x>.<y>")
            name = match["name"]
            as_node = args.get("as")
            prefix = (_string(as_node) if as_node is not None else None) or name
            specs[name] = LinkedSpec(
                url=url,
                name=name,
                version=(int(match["major"]), int(match["minor"])),
                prefix=prefix,
                imports=_imports(args.get("import")),
            )
    return Links(specs)
