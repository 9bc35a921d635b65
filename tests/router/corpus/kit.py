"""Building blocks of the planner corpus: data-backed subgraphs, cases and fixtures.

A fixture is a supergraph for one feature interaction of issue #11: its subgraph SDLs and composed
supergraph under ``fixtures/<name>/``, and a module ``scenarios/<name>.py`` with deterministic data,
a runnable implementation of each subgraph and the cases the tests run.

Each subgraph is a ``TestSubgraph`` (graphql-core over the subgraph's own SDL, with ``_entities``)
whose entity types read from ``Rows``: its own rows, found by any of the subgraph's resolvable
``@key``s, like a service with its own database. A subgraph never sees another's data: a field it
declares ``@external`` has no column, so it can only come from what the router sends (a
``@requires`` input in a representation, or what a ``@provides`` parent returned). A planner that
forgets a requirement or asks the wrong subgraph gets a null or an error, not a lucky answer.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Mapping
from collections.abc import Sequence as Seq
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from graphql import (
    ArgumentNode,
    BooleanValueNode,
    FieldNode,
    GraphQLResolveInfo,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    SelectionSetNode,
    StringValueNode,
    default_field_resolver,
    parse,
)

from router.planning import Fetch, Flatten, Parallel, PlanNode, Sequence
from router.supergraph import Supergraph
from tests.router.engine.subgraph_kit import (
    EntityResolver,
    InProcessTransport,
    Resolver,
    TestSubgraph,
)

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
SNAPSHOTS = HERE / "snapshots"
Arguments = Mapping[tuple[str, str], Seq[str]]


# ---- cases and fixtures ------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One operation over a fixture and the exact response it must get.

    ``expected`` is the whole response: ``data`` exactly, and ``errors`` as a list of
    ``{"message": ..., "path": [...]}`` (compared as a multiset; ``extensions`` are compared only
    where the expectation names them). ``xfail`` marks a case that fails on today's planner: it
    runs as a strict xfail whose reason names the failure, so the fix turns it green and the mark
    must go. ``hive`` does the same for the comparison with Hive Gateway where the reference itself
    answers wrongly (our answer is still checked exactly by the response test).
    """

    name: str
    query: str
    expected: Mapping[str, Any]
    variables: Mapping[str, Any] | None = None
    xfail: str | None = None
    hive: str | None = None
    # The cheapest plan: how many fetches, and how many of them must run one after the other.
    # None for an operation that does not validate (it has no plan).
    fetches: int | None = None
    depth: int | None = None
    plan_xfail: str | None = None  # the plan test alone fails today (no plan, or a dearer one)

    @property
    def slug(self) -> str:
        return re.sub(r"[^a-z0-9]+", "_", self.name.lower()).strip("_")


@dataclass(frozen=True)
class Fixture:
    """A fixture supergraph: its name (folder), how to build its subgraphs, and its cases."""

    name: str
    subgraphs: Callable[[], dict[str, TestSubgraph]]
    cases: tuple[Case, ...]
    # random walks: argument choices per (type, field); fields never selected (type, field)
    arguments: Arguments = field(default_factory=dict)
    exclude: frozenset[tuple[str, str]] = frozenset()

    def transport(self) -> InProcessTransport:
        return InProcessTransport(self.subgraphs())

    def supergraph(self) -> Supergraph:
        return load_supergraph(self.name)


FIXTURE_NAMES = (
    "entity_bridge",
    "requires_chain",
    "requires_arguments",
    "requires_fragments",
    "shared_root",
    "provides_interface",
    "type_mismatch",
    "spread_abstract",
    "enum_input",
    "override_interface",
    "interface_object",
    "inaccessible",
    "keys_mashup",
    "broken_keys",
)


def available() -> list[str]:
    """Fixture names whose scenario module exists (the corpus grows one fixture at a time)."""
    return [n for n in FIXTURE_NAMES if (HERE / "scenarios" / f"{n}.py").exists()]


@cache
def fixture(name: str) -> Fixture:
    module = importlib.import_module(f"tests.router.corpus.scenarios.{name}")
    found: Fixture = module.FIXTURE
    assert found.name == name
    return found


def all_fixtures() -> list[Fixture]:
    return [fixture(name) for name in available()]


def case_params(kind: str = "xfail") -> list[Any]:
    """``pytest.param(fixture, case)`` for every case, with its strict xfail if any.

    ``kind`` says which xfail applies: "xfail" (responses), "hive" (the comparison with Hive
    Gateway; a case failing on our side is an xfail there too), "plan" (only cases with a plan).
    """
    params = []
    for found in all_fixtures():
        for case in found.cases:
            reason = case.xfail
            if kind == "hive":
                reason = case.hive or case.xfail
            elif kind == "plan":
                if case.fetches is None:
                    continue
                reason = case.plan_xfail
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            params.append(pytest.param(found, case, marks=marks, id=f"{found.name}: {case.name}"))
    return params


def plan_shape(node: PlanNode | None) -> tuple[int, int]:
    """(fetches, depth) of a plan: its number of fetches and of fetches run in sequence."""
    if node is None:
        return 0, 0
    if isinstance(node, Fetch | Flatten):
        return 1, 1
    shapes = [plan_shape(child) for child in node.nodes]
    fetches = sum(f for f, _ in shapes)
    if isinstance(node, Sequence):
        return fetches, sum(d for _, d in shapes)
    assert isinstance(node, Parallel)
    return fetches, max((d for _, d in shapes), default=0)


# ---- SDL files ---------------------------------------------------------------------------------


def subgraph_names(name: str) -> list[str]:
    return sorted(
        path.stem
        for path in (FIXTURES / name).glob("*.graphql")
        if path.name != "supergraph.graphql"
    )


def read_sdl(name: str, subgraph: str) -> str:
    return (FIXTURES / name / f"{subgraph}.graphql").read_text(encoding="utf-8")


def supergraph_sdl(name: str) -> str:
    return (FIXTURES / name / "supergraph.graphql").read_text(encoding="utf-8")


@cache
def load_supergraph(name: str) -> Supergraph:
    return Supergraph.from_sdl(supergraph_sdl(name))


def subgraph_url(name: str, subgraph: str) -> str:
    """The routing URL composed into the committed supergraph (rewritten when served)."""
    return f"http://{subgraph}.{name.replace('_', '-')}.test/graphql"


# ---- data-backed subgraphs ---------------------------------------------------------------------


def resolvable_keys(sdl: str) -> dict[str, list[SelectionSetNode]]:
    """The resolvable ``@key`` field sets of each type of a subgraph SDL."""
    keys: dict[str, list[SelectionSetNode]] = {}
    for definition in parse(sdl).definitions:
        if not isinstance(
            definition,
            ObjectTypeDefinitionNode
            | ObjectTypeExtensionNode
            | InterfaceTypeDefinitionNode
            | InterfaceTypeExtensionNode,
        ):
            continue
        for directive in definition.directives or ():
            if directive.name.value != "key":
                continue
            arguments: dict[str, ArgumentNode] = {a.name.value: a for a in directive.arguments}
            resolvable = arguments.get("resolvable")
            if isinstance(getattr(resolvable, "value", None), BooleanValueNode):
                assert resolvable is not None
                if not resolvable.value.value:  # type: ignore[attr-defined]
                    continue
            fields = arguments["fields"].value
            assert isinstance(fields, StringValueNode)
            selection = parse("{" + fields.value + "}").definitions[0]
            keys.setdefault(definition.name.value, []).append(selection.selection_set)  # type: ignore[attr-defined]
    return keys


def _project(value: Any, selection: SelectionSetNode) -> Any:
    """``value`` reduced to the fields of ``selection`` (a key); None when one is missing."""
    if isinstance(value, list):
        return [_project(v, selection) for v in value]
    if not isinstance(value, dict):
        return None
    out: dict[str, Any] = {}
    for node in selection.selections:
        assert isinstance(node, FieldNode)
        name = node.name.value
        if name not in value:
            return None
        item = value[name]
        out[name] = _project(item, node.selection_set) if node.selection_set else item
    return out


class Rows:
    """One subgraph's rows of one type; a representation finds its row through a key.

    ``find`` returns the row merged over the representation (so the fields the router sent, such
    as ``@requires`` inputs, stay visible to the resolvers), or None when no row has that key:
    the subgraph answers ``null`` for an entity it does not know, as the federation spec says.
    """

    def __init__(self, typename: str, keys: list[SelectionSetNode], rows: Seq[dict[str, Any]]):
        self.typename = typename
        self.keys = keys
        self.rows = list(rows)

    def find(self, representation: dict[str, Any]) -> dict[str, Any] | None:
        for key in self.keys:
            wanted = _project(representation, key)
            if wanted is None:
                continue
            for row in self.rows:
                if _project(row, key) == wanted:
                    return {**representation, **row}
        return None


@dataclass
class DataSubgraph:
    """Builder of a ``TestSubgraph`` over rows: ``tables`` by type, extra ``resolvers``."""

    fixture: str
    name: str
    tables: Mapping[str, Seq[dict[str, Any]]] = field(default_factory=dict)
    resolvers: Mapping[str, Mapping[str, Resolver]] = field(default_factory=dict)
    # entity resolvers replacing the row look-up, by type (e.g. an entity interface)
    entities: Mapping[str, EntityResolver] = field(default_factory=dict)
    sdl: str | None = None  # the SDL served, when it is not the composed one (schema drift)

    def build(self) -> TestSubgraph:
        sdl = self.sdl if self.sdl is not None else read_sdl(self.fixture, self.name)
        keys = resolvable_keys(sdl)
        tables: dict[str, Rows] = {}
        for typename, type_keys in keys.items():
            tables[typename] = Rows(typename, type_keys, self.tables.get(typename, ()))
        entities: dict[str, EntityResolver] = {name: rows.find for name, rows in tables.items()}
        entities.update(self.entities)

        def expand(value: Any) -> Any:
            # a reference to an entity this subgraph stores reads as its row (a real subgraph
            # loads it); a reference to another subgraph's entity stays a bare key
            if isinstance(value, list):
                return [expand(item) for item in value]
            if isinstance(value, dict):
                rows = tables.get(str(value.get("__typename")))
                if rows is not None:
                    found = rows.find(value)
                    if found is not None:
                        return found
            return value

        def resolve(source: Any, info: GraphQLResolveInfo, **arguments: Any) -> Any:
            return expand(default_field_resolver(source, info, **arguments))

        def expanding(resolver: Resolver) -> Resolver:
            # a resolver's references read as rows too, like the default resolver's
            return lambda source, info, **arguments: expand(resolver(source, info, **arguments))

        resolvers = {
            type_name: {name: expanding(resolver) for name, resolver in fields.items()}
            for type_name, fields in self.resolvers.items()
        }
        return TestSubgraph(
            self.name, sdl, resolvers=resolvers, entities=entities, field_resolver=resolve
        )


def build_all(*subgraphs: DataSubgraph) -> dict[str, TestSubgraph]:
    return {s.name: s.build() for s in subgraphs}


def ref(typename: str, **key: Any) -> dict[str, Any]:
    """An entity reference as a subgraph returns it: its typename and key fields."""
    return {"__typename": typename, **key}


def error(message: str, path: Seq[str | int]) -> dict[str, Any]:
    """An expected response error."""
    return {"message": message, "path": list(path)}


class MissingRequirement(Exception):
    """A ``@requires`` input the router did not send: the subgraph cannot compute the field."""


def required(source: Mapping[str, Any], *names: str) -> list[Any]:
    """The ``@requires`` inputs ``names`` from a representation; raises when one is absent."""
    missing = [name for name in names if name not in source]
    if missing:
        raise MissingRequirement(f"requirement not sent: {', '.join(missing)}")
    return [source[name] for name in names]
