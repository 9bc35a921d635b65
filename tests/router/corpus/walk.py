"""Random walks over each corpus fixture's API schema, answered by our router and by Hive Gateway.

    .venv/bin/python -m tests.router.corpus.walk --count 1000 [--seed 0] [--fixture NAME ...]

An operation is a random walk from the query root: at each object a few fields (nested entities
follow naturally, since the walk does not care which subgraph owns a field), on abstract types
inline fragments and named fragments on possible types (or on the abstract type itself),
aliases, `__typename`, and `@skip`/`@include` on fields and fragments driven by two Boolean
variables. Arguments come from the fixture's table (``Fixture.arguments``); a field with a
required argument and no table entry is not walked. Every operation is valid for the API schema
(invalid draws are redrawn, deterministically for a seed).

Our router (the real `Gateway`, in process over the fixture's subgraphs, checking every subgraph
operation it emits against that subgraph's schema) and Hive Gateway (over the same subgraphs
served on loopback) answer each; `compare` puts the difference in a category (see `CATEGORIES`).
Data is compared exactly, errors by path only (messages differ between graphql-js and graphql-core
and the spec fixes neither their order nor their wording), with list indices kept.

The command runs ``--count`` operations spread over the fixtures (one Hive Gateway per fixture)
and prints a summary per category with the first examples; docs/planner-corpus.md reports a run.
tests/router/corpus/test_corpus_walk.py runs a small sample in the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import zlib
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from graphql import (
    GraphQLInterfaceType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    get_named_type,
    is_leaf_type,
    parse,
    validate,
)

from router.gateway import Gateway
from tests.router.corpus.kit import Arguments, Fixture, all_fixtures, fixture, supergraph_sdl
from tests.router.differential.scenario_server import serve_scenario
from tests.router.hive_gateway import run_hive_gateway
from tests.router.subgraph_validity import take_invalid

VARIABLES = ("yes", "no")  # $yes is true, $no is false in every operation
CATEGORIES = {
    "same": "same data and error paths",
    "ours: planning error": "our router could not plan an operation Hive Gateway answered",
    "ours: invalid subgraph operation": "our router sent a subgraph an operation it refuses",
    "data differs": "both answered, with different data",
    "same, Hive's shorter error paths": (
        "same data; each Hive error path, without list indices, is a prefix of ours (Hive"
        " shortens the paths of errors inside entity fetches)"
    ),
    "error paths differ": "same data, errors at different paths (or only on one side)",
    "hive: error": "Hive Gateway failed (no data or an HTTP error) where we answered",
    "both failed": "neither gateway could answer",
}


# ---- the walk -----------------------------------------------------------------------------------


@dataclass
class _Walk:
    schema: GraphQLSchema
    arguments: Arguments
    exclude: frozenset[tuple[str, str]]
    rng: random.Random
    fragments: dict[str, str] = field(default_factory=dict)

    def condition(self) -> str:
        roll = self.rng.random()
        if roll < 0.08:
            return f" @skip(if: ${self.rng.choice(VARIABLES)})"
        if roll < 0.16:
            return f" @include(if: ${self.rng.choice(VARIABLES)})"
        return ""

    def selection(self, type_name: str, depth: int) -> str:
        named = self.schema.type_map[type_name]
        parts: list[str] = []
        if self.rng.random() < 0.3:
            parts.append("__typename")
        if isinstance(named, GraphQLUnionType | GraphQLInterfaceType):
            possible = sorted(t.name for t in self.schema.get_possible_types(named))
            for member in self.rng.sample(possible, k=self.rng.randint(1, len(possible))):
                parts.append(self.fragment(member, depth))
            if isinstance(named, GraphQLUnionType):
                return " ".join(parts) if parts else "__typename"
            if self.rng.random() < 0.5:
                parts.append(self.fields(named, depth))
        else:
            assert isinstance(named, GraphQLObjectType)
            parts.append(self.fields(named, depth))
            if self.rng.random() < 0.15:
                parts.append(self.fragment(type_name, depth))
        return " ".join(part for part in parts if part) or "__typename"

    def fragment(self, type_name: str, depth: int) -> str:
        """An inline fragment, or a spread of a named fragment, on `type_name`."""
        inner = self.selection_of_fields(type_name, depth)
        if self.rng.random() < 0.3:
            name = f"F{len(self.fragments)}"
            self.fragments[name] = f"fragment {name} on {type_name} {{ {inner} }}"
            return f"...{name}{self.condition()}"
        return f"... on {type_name}{self.condition()} {{ {inner} }}"

    def selection_of_fields(self, type_name: str, depth: int) -> str:
        named = self.schema.type_map[type_name]
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            return self.fields(named, depth) or "__typename"
        return self.selection(type_name, depth)

    def fields(self, named: GraphQLObjectType | GraphQLInterfaceType, depth: int) -> str:
        names = []
        for name, definition in sorted(named.fields.items()):
            if (named.name, name) in self.exclude:
                continue
            required = [
                a for a, arg in definition.args.items() if isinstance(arg.type, GraphQLNonNull)
            ]
            if required and (named.name, name) not in self.arguments:
                continue
            names.append(name)
        if not names:
            return ""
        parts = []
        for name in self.rng.sample(names, k=self.rng.randint(1, min(3, len(names)))):
            definition = named.fields[name]
            target = get_named_type(definition.type)
            choices = list(self.arguments.get((named.name, name), [""]))
            arguments = self.rng.choice(choices)
            alias = ""
            if arguments or self.rng.random() < 0.15:
                # unique per field and arguments: two selections never conflict under one key
                alias = f"{name}_{zlib.crc32((named.name + arguments).encode()):x}: "
            condition = self.condition()
            if is_leaf_type(target):
                parts.append(f"{alias}{name}{arguments}{condition}")
            elif depth > 0:
                inner = self.selection(target.name, depth - 1)
                parts.append(f"{alias}{name}{arguments}{condition} {{ {inner} }}")
            else:
                parts.append(f"{alias}{name}{arguments}{condition} {{ __typename }}")
        return " ".join(parts)


def random_operation(
    schema: GraphQLSchema,
    arguments: Arguments,
    rng: random.Random,
    *,
    depth: int = 3,
    exclude: frozenset[tuple[str, str]] = frozenset(),
) -> str:
    """Return a random operation valid for `schema` (redrawn from `rng` until it validates)."""
    assert schema.query_type is not None
    for _ in range(50):
        walk = _Walk(schema, arguments, exclude, rng)
        body = walk.selection(schema.query_type.name, depth)
        fragments = " ".join(walk.fragments.values())
        query = f"query Walk($yes: Boolean!, $no: Boolean!) {{ {body} }} {fragments}".strip()
        if not validate(schema, parse(query)):
            return query
    raise AssertionError("no valid operation in 50 draws: check the fixture's argument table")


def operations(found: Fixture, count: int, seed: int) -> list[str]:
    """`count` operations over `found`'s API schema, the same for the same seed."""
    rng = random.Random(f"{seed}:{found.name}")
    schema = found.supergraph().api_schema
    return [
        random_operation(schema, found.arguments, rng, exclude=found.exclude) for _ in range(count)
    ]


# ---- comparing ----------------------------------------------------------------------------------


Paths = list[tuple[Any, ...]]


@dataclass(frozen=True)
class Result:
    fixture: str
    query: str
    category: str
    detail: str = ""


def _paths(body: Mapping[str, Any]) -> Paths:
    return sorted(
        (tuple(error.get("path") or ()) for error in body.get("errors") or ()),
        key=lambda path: [str(segment) for segment in path],
    )


def _shortened(ours: Paths, theirs: Paths) -> bool:
    """Whether Hive's paths are ours shortened the way Hive shortens them (indices, a tail)."""

    def keys(paths: Paths) -> list[tuple[Any, ...]]:
        return sorted(tuple(str(s) for s in path if not isinstance(s, int)) for path in paths)

    mine, reference = keys(ours), keys(theirs)
    return len(mine) == len(reference) and all(
        m[: len(r)] == r for m, r in zip(mine, reference, strict=True)
    )


def compare(
    name: str, query: str, ours: Mapping[str, Any], theirs: Mapping[str, Any], invalid: list[str]
) -> Result:
    """Put one operation's two answers in a category of `CATEGORIES`."""
    our_failed = ours.get("data") is None and bool(ours.get("errors"))
    their_failed = theirs.get("data") is None and bool(theirs.get("errors"))
    codes = {(e.get("extensions") or {}).get("code") for e in ours.get("errors") or ()}
    if invalid:
        return Result(name, query, "ours: invalid subgraph operation", invalid[0])
    if "QUERY_PLANNING_FAILED" in codes:
        category = "both failed" if their_failed else "ours: planning error"
        return Result(name, query, category, str(ours["errors"][0].get("message")))
    if ours.get("data") != theirs.get("data"):
        if their_failed and not our_failed:
            return Result(name, query, "hive: error", json.dumps(theirs.get("errors"))[:300])
        if our_failed and their_failed:
            return Result(name, query, "both failed", json.dumps(ours.get("errors"))[:300])
        detail = f"ours {json.dumps(ours)[:400]}\n  hive {json.dumps(theirs)[:400]}"
        return Result(name, query, "data differs", detail)
    if _paths(ours) != _paths(theirs):
        detail = f"ours {_paths(ours)} hive {_paths(theirs)}"
        if _shortened(_paths(ours), _paths(theirs)):
            return Result(name, query, "same, Hive's shorter error paths", detail)
        return Result(name, query, "error paths differ", detail)
    return Result(name, query, "same")


# ---- running both gateways ----------------------------------------------------------------------


VALUES = {"yes": True, "no": False}


@contextmanager
def hive_for(node_tools: Path, found: Fixture) -> Iterator[str]:
    """Serve `found`'s subgraphs on loopback and Hive Gateway over them; yield its endpoint."""
    with (
        serve_scenario(found.subgraphs(), supergraph_sdl(found.name)) as pointed,
        run_hive_gateway(node_tools, pointed) as hive,
    ):
        yield hive.url


async def run_fixture(found: Fixture, queries: list[str], hive_url: str) -> list[Result]:
    """Answer `queries` with our router and Hive Gateway; one `Result` each."""
    gateway = Gateway(found.supergraph(), found.transport())
    results = []
    async with httpx.AsyncClient(timeout=30) as client:
        for query in queries:
            take_invalid()
            outcome = await gateway.execute(query, dict(VALUES))
            invalid = [str(operation) for operation in take_invalid()]
            response = await client.post(
                hive_url,
                json={"query": query, "variables": VALUES},
                headers={"accept": "application/graphql-response+json"},
            )
            try:
                theirs = response.json()
            except ValueError:
                theirs = {"errors": [{"message": f"HTTP {response.status_code}"}]}
            results.append(compare(found.name, query, outcome.response, theirs, invalid))
    return results


def summary(results: list[Result], examples: int = 3) -> str:
    """A report: operations per category overall and per fixture, then examples of differences."""
    lines = [f"{len(results)} operations"]
    counts = Counter(result.category for result in results)
    for category in CATEGORIES:
        if counts[category]:
            lines.append(f"  {counts[category]:5d}  {category}: {CATEGORIES[category]}")
    by_fixture: dict[str, Counter[str]] = {}
    for result in results:
        by_fixture.setdefault(result.fixture, Counter())[result.category] += 1
    lines.append("per fixture:")
    for name, counted in by_fixture.items():
        shown = ", ".join(f"{category} {n}" for category, n in counted.most_common())
        lines.append(f"  {name}: {shown}")
    for category in CATEGORIES:
        if category == "same":
            continue
        found = [result for result in results if result.category == category][:examples]
        if found:
            lines.append(f"examples of {category!r}:")
            for result in found:
                lines.append(f"  [{result.fixture}] {result.query}")
                lines.append(f"    {result.detail}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000, help="operations in all")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fixture", action="append", help="only these fixtures")
    parser.add_argument("--json", type=Path, help="also write every result here")
    args = parser.parse_args(argv)
    from tests.conftest import node_tools_dir

    node_tools = node_tools_dir()
    if node_tools is None:
        print("Node.js or tools/node/node_modules missing (make install)", file=sys.stderr)
        return 2
    chosen = [fixture(name) for name in args.fixture] if args.fixture else all_fixtures()
    per_fixture = -(-args.count // len(chosen))
    results: list[Result] = []
    for found in chosen:
        queries = operations(found, per_fixture, args.seed)
        with hive_for(node_tools, found) as url:
            results.extend(asyncio.run(run_fixture(found, queries, url)))
        print(f"{found.name}: {per_fixture} operations", file=sys.stderr)
    print(summary(results))
    if args.json is not None:
        args.json.write_text(
            json.dumps([result.__dict__ for result in results], indent=1), encoding="utf-8"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
