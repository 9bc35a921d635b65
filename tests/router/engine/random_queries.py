"""Random operations over an API schema, for the differential property tests.

Deterministic for a given `random.Random`: fields are sampled per type, with occasional aliases,
`@include(if: $flag)`, inline fragments on the type itself, fragments on every possible type of an
interface or union, and `__typename`. Arguments come from a per-field table of valid choices.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Mapping, Sequence

from graphql import (
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    get_named_type,
    is_leaf_type,
)

Arguments = Mapping[tuple[str, str], Sequence[str]]


def random_operation(
    schema: GraphQLSchema,
    arguments: Arguments,
    rng: random.Random,
    depth: int = 3,
    exclude: frozenset[tuple[str, str]] = frozenset(),
) -> str:
    """Return a random valid-looking operation; `exclude` lists (type, field) never selected."""
    assert schema.query_type is not None
    body = selection(schema, schema.query_type.name, arguments, rng, depth, exclude)
    return f"query Random($flag: Boolean!) {{ __typename @include(if: $flag) {body} }}"


def selection(
    schema: GraphQLSchema,
    type_name: str,
    arguments: Arguments,
    rng: random.Random,
    depth: int,
    exclude: frozenset[tuple[str, str]] = frozenset(),
) -> str:
    type_ = schema.type_map[type_name]
    parts: list[str] = []
    if isinstance(type_, GraphQLUnionType | GraphQLInterfaceType):
        parts.append("__typename")
        possible = sorted(t.name for t in schema.get_possible_types(type_))
        for member in rng.sample(possible, k=rng.randint(0, len(possible))):
            parts.append(
                f"... on {member} {{ {selection(schema, member, arguments, rng, depth, exclude)} }}"
            )
        if isinstance(type_, GraphQLUnionType):
            return " ".join(parts)
    assert isinstance(type_, GraphQLObjectType | GraphQLInterfaceType)
    names = sorted(n for n in type_.fields if (type_name, n) not in exclude)
    for name in rng.sample(names, k=rng.randint(1, min(3, len(names)))):
        field = type_.fields[name]
        named = get_named_type(field.type)
        args = rng.choice(list(arguments.get((type_name, name), [""])))
        # aliases unique per field and arguments, so fragments never produce conflicting fields
        alias = f"{name}_{zlib.crc32(args.encode()):x}: " if args or rng.random() < 0.2 else ""
        directive = " @include(if: $flag)" if rng.random() < 0.1 else ""
        if is_leaf_type(named):
            parts.append(f"{alias}{name}{args}{directive}")
        elif depth > 0:
            inner = selection(schema, named.name, arguments, rng, depth - 1, exclude)
            if rng.random() < 0.2:
                inner = f"... on {named.name} {{ {inner} }} __typename"
            parts.append(f"{alias}{name}{args}{directive} {{ {inner} }}")
        else:
            parts.append(f"{alias}{name}{args}{directive} {{ __typename }}")
    return " ".join(parts)
