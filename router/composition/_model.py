"""The composed supergraph as plain data, before it is printed as SDL.

Each element carries its ``join__*`` metadata in the shape of the join spec's directives, so that
printing is a straight walk and tests can look at the data without parsing SDL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ._subgraph_model import Deprecation, Subgraph

SupergraphKind = Literal["object", "interface", "union", "enum", "input", "scalar"]


@dataclass(frozen=True)
class Graph:
    """A subgraph as the supergraph names it: ``enum`` is its ``join__Graph`` value."""

    name: str
    url: str
    enum: str
    subgraph: Subgraph


@dataclass
class JoinType:
    graph: str
    key: str | None = None
    extension: bool = False
    resolvable: bool = True
    is_interface_object: bool = False


@dataclass
class JoinField:
    graph: str | None = None  # None prints a bare @join__field (fields added from @interfaceObject)
    requires: str | None = None
    provides: str | None = None
    type: str | None = None
    external: bool = False
    override: str | None = None
    override_label: str | None = None
    used_overridden: bool = False


@dataclass
class Argument:
    name: str
    type: str
    default: str | None
    description: str | None
    deprecation: Deprecation | None
    inaccessible: bool
    tags: list[str]
    join_fields: list[JoinField] = field(default_factory=list)  # input object fields only


@dataclass
class SupergraphField:
    name: str
    type: str
    args: list[Argument]
    description: str | None
    deprecation: Deprecation | None
    inaccessible: bool
    tags: list[str]
    join_fields: list[JoinField]


@dataclass
class SupergraphEnumValue:
    name: str
    description: str | None
    deprecation: Deprecation | None
    inaccessible: bool
    tags: list[str]
    graphs: list[str]


@dataclass
class SupergraphType:
    name: str
    kind: SupergraphKind
    description: str | None = None
    inaccessible: bool = False
    tags: list[str] = field(default_factory=list)
    join_types: list[JoinType] = field(default_factory=list)
    interfaces: list[str] = field(default_factory=list)
    implements: list[tuple[str, str]] = field(default_factory=list)  # (graph enum, interface)
    fields: list[SupergraphField] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    union_members: list[tuple[str, str]] = field(default_factory=list)  # (graph enum, member)
    values: list[SupergraphEnumValue] = field(default_factory=list)
    input_fields: list[Argument] = field(default_factory=list)
    specified_by: str | None = None
    one_of: bool = False


@dataclass
class ComposedSupergraph:
    graphs: list[Graph]
    join_version: str
    types: list[SupergraphType]
    directive_definitions: list[str]
    root_types: list[tuple[str, str]]  # (operation, type name)
    uses_tag: bool
    uses_inaccessible: bool
