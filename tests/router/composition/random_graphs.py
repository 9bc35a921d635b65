"""Seeded random federation graphs for differential testing against the reference composer.

Each graph has 2-3 subgraphs sharing a few entities, a value type, an enum and an input type,
with fields spread over subgraphs and a random mix of ``@shareable``, ``@external`` +
``@requires``, ``@provides``, ``@override``, nullability and type differences, non-resolvable keys
and enum/input differences. Many compose, many do not: either way both composers must agree.
"""

from __future__ import annotations

import random

from router.composition import SubgraphSource
from tests.router.composition.graphs import link

SUBGRAPH_NAMES = ("alpha", "beta", "gamma")
SCALARS = ("Int", "String", "Float", "Boolean", "ID")
DIRECTIVES = ("@key", "@shareable", "@external", "@requires", "@provides", "@override")


def _maybe_non_null(rng: random.Random, type_name: str, chance: float = 0.5) -> str:
    return type_name + "!" if rng.random() < chance else type_name


def random_graph(seed: int) -> list[SubgraphSource]:
    """One random graph; the same seed always gives the same graph."""
    rng = random.Random(seed)
    names = list(SUBGRAPH_NAMES[: rng.choice((2, 2, 3))])
    blocks: dict[str, list[str]] = {name: [] for name in names}
    query_fields: dict[str, list[str]] = {name: [] for name in names}

    entities = [f"Entity{i}" for i in range(rng.choice((1, 2, 3)))]
    for entity in entities:
        owner = rng.choice(names)
        compound = rng.random() < 0.2
        key = "id code" if compound else "id"
        key_fields = ["id: ID!", "code: String!"] if compound else ["id: ID!"]
        contributed: dict[str, list[str]] = {name: list(key_fields) for name in names}
        present = {owner} | {n for n in names if n != owner and rng.random() < 0.7}
        field_types: dict[str, str] = {}
        for index in range(rng.randint(1, 4)):
            field = f"f{index}"
            base = rng.choice(SCALARS)
            field_types[field] = base
            holders = [rng.choice(sorted(present))]
            if len(present) > 1 and rng.random() < 0.4:
                holders = rng.sample(sorted(present), 2)
            shared = len(holders) > 1
            for position, holder in enumerate(holders):
                type_name = base
                if shared and position == 1 and rng.random() < 0.15:
                    type_name = rng.choice(SCALARS)  # a likely FIELD_TYPE_MISMATCH
                declared = _maybe_non_null(rng, type_name, 0.4)
                directive = ""
                if shared and rng.random() < 0.9:
                    directive = " @shareable"
                if shared and position == 1 and rng.random() < 0.2:
                    directive = f' @override(from: "{holders[0]}")'
                contributed[holder].append(f"{field}: {declared}{directive}")
        # Some subgraph computes a field from another subgraph's field.
        others = [n for n in sorted(present) if n != owner]
        if others and field_types and rng.random() < 0.5:
            needy = rng.choice(others)
            needed = rng.choice(sorted(field_types))
            own = [line.split(":")[0] for line in contributed[needy]]
            if needed not in own:
                contributed[needy].append(f"{needed}: {field_types[needed]} @external")
                contributed[needy].append(f'derived: String @requires(fields: "{needed}")')
        for name in sorted(present):
            resolvable = "" if name == owner or rng.random() < 0.7 else ", resolvable: false"
            body = " ".join(contributed[name])
            blocks[name].append(f'type {entity} @key(fields: "{key}"{resolvable}) {{ {body} }}')
            if rng.random() < 0.6:
                shareable = " @shareable" if rng.random() < 0.95 else ""
                query_fields[name].append(
                    f"{entity.lower()}(id: ID!): {_maybe_non_null(rng, entity, 0.2)}{shareable}"
                )

    # A value type several subgraphs declare.
    value_holders = rng.sample(names, rng.choice((1, 2)))
    for name in value_holders:
        shareable = " @shareable" if rng.random() < 0.95 else ""
        extra = " note: String" if rng.random() < 0.3 else ""
        blocks[name].append(f"type Money{shareable} {{ amount: String! currency: String!{extra} }}")
        query_fields[name].append(f"balance{name.capitalize()}: Money")

    # An enum, used as input, output or both, with values that may differ.
    enum_holders = rng.sample(names, rng.choice((1, 2, 2)))
    usage = rng.choice(("input", "output", "both"))
    for name in enum_holders:
        values = ["RED", "GREEN"] + (["BLUE"] if rng.random() < 0.5 else [])
        blocks[name].append(f"enum Colour {{ {' '.join(values)} }}")
        argument = "(c: Colour)" if usage in ("input", "both") else ""
        result = "Colour" if usage in ("output", "both") else "Int"
        query_fields[name].append(f"paint{name.capitalize()}{argument}: {result}")

    # An input object whose fields may differ.
    input_holders = rng.sample(names, rng.choice((1, 2)))
    for name in input_holders:
        first = _maybe_non_null(rng, "Int", 0.3)
        extra = f" after: {_maybe_non_null(rng, 'String', 0.3)}" if rng.random() < 0.5 else ""
        blocks[name].append(f"input Page {{ first: {first}{extra} }}")
        query_fields[name].append(f"page{name.capitalize()}(page: Page): Int")

    sources: list[SubgraphSource] = []
    for name in names:
        fields = query_fields[name] or ["ping: Int"]
        blocks[name].append(f"type Query {{ {' '.join(fields)} }}")
        sdl = link(*DIRECTIVES) + "\n" + "\n".join(blocks[name])
        sources.append(SubgraphSource(name, f"http://{name}.example/graphql", sdl))
    return sources
