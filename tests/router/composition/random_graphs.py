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


RICH_DIRECTIVES = (
    "@key",
    "@shareable",
    "@external",
    "@requires",
    "@provides",
    "@override",
    "@inaccessible",
    "@tag",
    "@interfaceObject",
    "@extends",
)


def _decorations(rng: random.Random, *, inaccessible: bool = True) -> str:
    parts: list[str] = []
    if rng.random() < 0.1:
        parts.append(f'@tag(name: "t{rng.randint(0, 2)}")')
    if inaccessible and rng.random() < 0.08:
        parts.append("@inaccessible")
    if rng.random() < 0.08:
        parts.append('@deprecated(reason: "old")')
    return (" " + " ".join(parts)) if parts else ""


def _description(rng: random.Random, what: str) -> str:
    return f'"""{what} described"""\n' if rng.random() < 0.15 else ""


def random_rich_graph(seed: int) -> list[SubgraphSource]:
    """A random graph exercising interfaces, unions, @provides, @override labels, @inaccessible,
    @tag, @interfaceObject, ``extend type``, arguments and descriptions on top of entities."""
    rng = random.Random(seed)
    names = list(SUBGRAPH_NAMES[: rng.choice((2, 3))])
    version = rng.choice(("v2.3", "v2.5", "v2.7", "v2.8"))
    blocks: dict[str, list[str]] = {name: [] for name in names}
    queries: dict[str, list[str]] = {name: [] for name in names}
    entity_fields: dict[str, dict[str, str]] = {}  # entity -> field -> type (for @provides)

    use_interface = rng.random() < 0.5
    interface_object = use_interface and len(names) > 1 and rng.random() < 0.4
    entities = [f"Item{i}" for i in range(rng.choice((1, 2, 3)))]
    for entity in entities:
        owner = rng.choice(names)
        present = {owner} | {n for n in names if n != owner and rng.random() < 0.6}
        fields: dict[str, list[str]] = {name: ["id: ID!"] for name in present}
        types: dict[str, str] = {}
        for index in range(rng.randint(1, 4)):
            field = f"g{index}"
            types[field] = rng.choice(SCALARS)
            holders = sorted(present)
            holders = (
                rng.sample(holders, 2)
                if len(holders) > 1 and rng.random() < 0.35
                else [rng.choice(holders)]
            )
            argument = "(limit: Int = 5)" if rng.random() < 0.15 else ""
            for position, holder in enumerate(holders):
                directive = " @shareable" if len(holders) > 1 else ""
                if len(holders) > 1 and position == 1 and rng.random() < 0.3:
                    label = (
                        ', label: "percent(50)"' if version >= "v2.7" and rng.random() < 0.5 else ""
                    )
                    directive = f' @override(from: "{holders[0]}"{label})'
                described = _description(rng, field)
                nullable = "!" if rng.random() < 0.3 else ""
                fields[holder].append(
                    f"{described}{field}{argument}: {types[field]}{nullable}{directive}"
                    + _decorations(rng)
                )
        entity_fields[entity] = types
        implements = " implements Node" if use_interface and not interface_object else ""
        for name in sorted(present):
            extend = name != owner and rng.random() < 0.25
            resolvable = ", resolvable: false" if name != owner and rng.random() < 0.2 else ""
            head = f'type {entity}{implements} @key(fields: "id"{resolvable})'
            if extend:
                fields[name][0] = "id: ID! @external"
                head = "extend " + head
            blocks[name].append(
                _description(rng, entity)
                + head
                + _decorations(rng, inaccessible=False)
                + " { "
                + " ".join(fields[name])
                + " }"
            )
            if rng.random() < 0.6:
                queries[name].append(f"{entity.lower()}(id: ID!): {entity} @shareable")

    if use_interface:
        holders = [n for n in names if any("implements Node" in b for b in blocks[n])] or [names[0]]
        for name in holders:
            extra = " label: String" if rng.random() < 0.2 else ""
            key = ' @key(fields: "id")' if interface_object else ""
            blocks[name].append(f"interface Node{key} {{ id: ID!{extra} }}")
            queries[name].append("node(id: ID!): Node @shareable")
        if interface_object:
            implementers = [e for e in entities]
            for name in holders:
                for index, block in enumerate(blocks[name]):
                    for entity in implementers:
                        marker = f"type {entity} @key"
                        if block.startswith(marker) or f"\n{marker}" in block:
                            blocks[name][index] = block.replace(
                                f"type {entity} @key", f"type {entity} implements Node @key", 1
                            )
            others = [n for n in names if n not in holders]
            for name in others or names[-1:]:
                if name in holders:
                    continue
                blocks[name].append(
                    'type Node @key(fields: "id") @interfaceObject { id: ID! rating: Int }'
                )

    # A union whose members differ per subgraph.
    union_holders = rng.sample(names, rng.choice((1, 2)))
    for name in union_holders:
        local = [e for e in entities if any(b.find(f"type {e} ") >= 0 for b in blocks[name])]
        if local:
            members = rng.sample(local, rng.randint(1, len(local)))
            blocks[name].append(f"union Found = {' | '.join(members)}")
            queries[name].append("search(text: String!): [Found!]! @shareable")

    # @provides: a subgraph returns an entity it does not own and provides one of its fields.
    if len(names) > 1 and rng.random() < 0.4:
        entity = rng.choice(entities)
        field = rng.choice(sorted(entity_fields[entity]))
        provider = rng.choice(names)
        if not any(f"type {entity} " in b for b in blocks[provider]):
            blocks[provider].append(
                f'type {entity} @key(fields: "id") {{ id: ID! '
                f"{field}: {entity_fields[entity][field]} @external }}"
            )
            queries[provider].append(f'featured{entity}: {entity} @provides(fields: "{field}")')

    # An enum with an inaccessible value somewhere, used as input, output or both.
    usage = rng.choice(("input", "output", "both"))
    for name in rng.sample(names, rng.choice((1, 2))):
        values = ["LOW", "HIGH"] + (["SECRET @inaccessible"] if rng.random() < 0.4 else [])
        blocks[name].append(f"enum Level {{ {' '.join(values)} }}")
        argument = "(level: Level)" if usage in ("input", "both") else ""
        result = "Level" if usage in ("output", "both") else "Int"
        queries[name].append(f"level{name.capitalize()}{argument}: {result}")

    sources: list[SubgraphSource] = []
    for name in names:
        blocks[name].append(f"type Query {{ {' '.join(queries[name]) or 'ping: Int'} }}")
        sdl = link(*RICH_DIRECTIVES, version=version) + "\n" + "\n".join(blocks[name])
        sources.append(SubgraphSource(name, f"http://{name}.example/graphql", sdl))
    return sources


def random_nested_graph(seed: int) -> list[SubgraphSource]:
    """A random graph around nested selections: nested keys, nested @requires, @provides."""
    rng = random.Random(seed)
    names = list(SUBGRAPH_NAMES[: rng.choice((2, 3))])
    owner = names[0]
    blocks: dict[str, list[str]] = {name: [] for name in names}
    nested_key = rng.random() < 0.5
    key = "id org { code }" if nested_key else "id"
    key_fields = "id: ID! org: Org!" if nested_key else "id: ID!"
    org = "type Org" + (" @shareable" if rng.random() < 0.9 else "")
    address = "type Address @shareable { street: String city: String zip: String }"
    blocks[owner] += [
        f'type Account @key(fields: "{key}") {{ {key_fields} '
        'balance(currency: String = "GBP"): Int address: Address holder: Person }',
        address,
        f"{org} {{ code: String! name: String }}" if nested_key else "",
        'type Person @key(fields: "pid") { pid: ID! name: String email: String }',
        "type Query { account(id: ID!): Account @shareable }",
    ]
    for other in names[1:]:
        parts = [key_fields]
        required = rng.choice(
            (
                "address { city }",
                "address { city zip }",
                "balance",
                "holder { name }",
                "address { street } balance",
            )
        )
        if rng.random() < 0.8:
            if "address" in required:
                parts.append("address: Address @external")
            if "balance" in required:
                parts.append('balance(currency: String = "GBP"): Int @external')
            if "holder" in required:
                parts.append("holder: Person @external")
            parts.append(f'risk: Int @requires(fields: "{required}")')
        blocks[other].append(f'type Account @key(fields: "{key}") {{ {" ".join(parts)} }}')
        if any(part.startswith("address") for part in parts):
            blocks[other].append(address)
        if nested_key:
            blocks[other].append(f"{org} {{ code: String! }}")
        if any(part.startswith("holder") for part in parts) or rng.random() < 0.5:
            external_name = "name: String @external" if rng.random() < 0.7 else ""
            blocks[other].append(f'type Person @key(fields: "pid") {{ pid: ID! {external_name} }}')
            provides = ' @provides(fields: "name")' if external_name and rng.random() < 0.7 else ""
            blocks[other].append(f"type Query {{ people: [Person]{provides} }}")
        else:
            blocks[other].append("type Query { ping: Int }")
    directives = ("@key", "@shareable", "@external", "@requires", "@provides")
    return [
        SubgraphSource(
            name,
            f"http://{name}.example/graphql",
            link(*directives) + "\n" + "\n".join(block for block in blocks[name] if block),
        )
        for name in names
    ]
