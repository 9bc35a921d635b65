"""Subgraphs that must not compose, each with the error code it must produce.

``message_parts`` are fragments the explanation must contain: the subgraph(s), the type and the
field involved. ``reference`` says whether ``@theguild/federation-composition`` reports the same
code (False where it accepts the input or words it with another code; the reason is given).
"""

from __future__ import annotations

from dataclasses import dataclass

from router.composition import SubgraphSource
from tests.router.composition.graphs import link, sources


@dataclass(frozen=True)
class InvalidGraph:
    code: str
    subgraphs: list[SubgraphSource]
    message_parts: tuple[str, ...]
    reference: bool = True
    reference_note: str = ""


INVALID_GRAPHS: dict[str, InvalidGraph] = {
    "field_type_mismatch": InvalidGraph(
        "FIELD_TYPE_MISMATCH",
        sources(
            a=link("@key", "@shareable")
            + 'type User @key(fields: "id") { id: ID! age: Int @shareable } type Query { a: User }',
            b=link("@key", "@shareable")
            + 'type User @key(fields: "id") { id: ID! age: String @shareable }',
        ),
        ('"User.age"', '"Int"', '"String"', '"a"', '"b"'),
    ),
    "key_missing_field": InvalidGraph(
        "KEY_INVALID_FIELDS",
        sources(
            a=link("@key") + 'type User @key(fields: "uuid") { id: ID! } type Query { u: User }',
        ),
        ("[a]", '"User"', '"uuid"'),
    ),
    "key_selects_list": InvalidGraph(
        "KEY_FIELDS_SELECT_INVALID_TYPE",
        sources(
            a=link("@key")
            + 'type User @key(fields: "tags") { tags: [String!]! } type Query { u: User }',
        ),
        ("[a]", '"User.tags"', "List"),
        reference=False,
        reference_note="the reference composer accepts list fields in @key (Apollo rejects them)",
    ),
    "non_shareable_field": InvalidGraph(
        "INVALID_FIELD_SHARING",
        sources(
            a=link("@key") + 'type User @key(fields: "id") { id: ID! name: String } '
            "type Query { a: User }",
            b=link("@key") + 'type User @key(fields: "id") { id: ID! name: String }',
        ),
        ('"User.name"', '"a"', '"b"', "non-shareable"),
    ),
    "external_missing_on_base": InvalidGraph(
        "EXTERNAL_MISSING_ON_BASE",
        sources(
            a=link("@key") + 'type User @key(fields: "id") { id: ID! } type Query { a: User }',
            b=link("@key", "@external", "@requires")
            + 'type User @key(fields: "id") { id: ID! email: String @external '
            'domain: String @requires(fields: "email") }',
        ),
        ('"User.email"', '"b"', "@external"),
    ),
    "requires_invalid_fields": InvalidGraph(
        "REQUIRES_INVALID_FIELDS",
        sources(
            a=link("@key") + 'type User @key(fields: "id") { id: ID! email: String } '
            "type Query { a: User }",
            b=link("@key", "@requires")
            + 'type User @key(fields: "id") { id: ID! domain: String @requires(fields: "email") }',
        ),
        ("[b]", '"User.domain"', '"email"', "@external"),
    ),
    "provides_invalid_fields": InvalidGraph(
        "PROVIDES_INVALID_FIELDS",
        sources(
            a=link("@key") + 'type User @key(fields: "id") { id: ID! name: String } '
            "type Query { a: User }",
            b=link("@key", "@provides") + 'type User @key(fields: "id") { id: ID! } '
            'type Query { b: User @provides(fields: "nickname") }',
        ),
        ("[b]", '"Query.b"', '"nickname"', '"User"'),
    ),
    "provides_missing_external": InvalidGraph(
        "PROVIDES_FIELDS_MISSING_EXTERNAL",
        sources(
            a=link("@key", "@shareable")
            + 'type User @key(fields: "id") { id: ID! name: String @shareable } '
            "type Query { a: User }",
            b=link("@key", "@provides", "@shareable")
            + 'type User @key(fields: "id") { id: ID! name: String @shareable } '
            'type Query { b: User @provides(fields: "name") }',
        ),
        ("[b]", '"Query.b"', '"User.name"', "@external"),
    ),
    "override_source_has_override": InvalidGraph(
        "OVERRIDE_SOURCE_HAS_OVERRIDE",
        sources(
            a=link("@key", "@override")
            + 'type User @key(fields: "id") { id: ID! name: String @override(from: "b") } '
            "type Query { a: User }",
            b=link("@key", "@override")
            + 'type User @key(fields: "id") { id: ID! name: String @override(from: "a") }',
        ),
        ('"User.name"', '"a"', '"b"', "@override"),
    ),
    "override_from_self": InvalidGraph(
        "OVERRIDE_FROM_SELF_ERROR",
        sources(
            a=link("@key", "@override")
            + 'type User @key(fields: "id") { id: ID! name: String @override(from: "a") } '
            "type Query { a: User }",
        ),
        ('"User.name"', '"a"'),
    ),
    "enum_value_mismatch": InvalidGraph(
        "ENUM_VALUE_MISMATCH",
        sources(
            a=link("@shareable")
            + "enum Colour { RED GREEN } type Query { paint(c: Colour): Colour @shareable }",
            b=link("@shareable")
            + "enum Colour { RED BLUE } type Query { paint(c: Colour): Colour @shareable }",
        ),
        ('"Colour"', '"GREEN"', '"a"', '"b"', "input", "output"),
    ),
    "empty_merged_enum": InvalidGraph(
        "EMPTY_MERGED_ENUM_TYPE",
        sources(
            a="" + link() + " enum Mode { FAST } type Query { a(m: Mode): Int }",
            b="" + link() + " enum Mode { SLOW } type Query { b(m: Mode): Int }",
        ),
        ('"Mode"', "input"),
    ),
    "required_input_field_absent": InvalidGraph(
        "REQUIRED_INPUT_FIELD_MISSING_IN_SOME_SUBGRAPH",
        sources(
            a=link() + " input Filter { q: String! limit: Int } type Query { a(f: Filter): Int }",
            b=link() + " input Filter { limit: Int } type Query { b(f: Filter): Int }",
        ),
        ('"Filter.q"', "required", '"a"', '"b"'),
    ),
    "empty_merged_input": InvalidGraph(
        "EMPTY_MERGED_INPUT_TYPE",
        sources(
            a=link() + " input Filter { q: String } type Query { a(f: Filter): Int }",
            b=link() + " input Filter { limit: Int } type Query { b(f: Filter): Int }",
        ),
        ('"Filter"',),
    ),
    "argument_type_mismatch": InvalidGraph(
        "FIELD_ARGUMENT_TYPE_MISMATCH",
        sources(
            a=link("@shareable") + " type Query { hello(times: Int): String @shareable }",
            b=link("@shareable") + " type Query { hello(times: String): String @shareable }",
        ),
        ('"Query.hello(times:)"', '"Int"', '"String"', '"a"', '"b"'),
    ),
    "required_argument_missing": InvalidGraph(
        "REQUIRED_ARGUMENT_MISSING_IN_SOME_SUBGRAPH",
        sources(
            a=link("@shareable") + " type Query { hello(times: Int!): String @shareable }",
            b=link("@shareable") + " type Query { hello: String @shareable }",
        ),
        ('"Query.hello(times:)"', '"a"', '"b"'),
    ),
    "argument_default_mismatch": InvalidGraph(
        "FIELD_ARGUMENT_DEFAULT_MISMATCH",
        sources(
            a=link("@shareable") + " type Query { hello(times: Int = 1): String @shareable }",
            b=link("@shareable") + " type Query { hello(times: Int = 2): String @shareable }",
        ),
        ('"Query.hello(times:)"', '"1"', '"2"'),
    ),
    "type_kind_mismatch": InvalidGraph(
        "TYPE_KIND_MISMATCH",
        sources(
            a=link("@shareable") + " type Thing { id: ID } type Query { a: Thing @shareable }",
            b=link("@shareable") + " interface Thing { id: ID } type Query { b: Thing }",
        ),
        ('"Thing"', "Object Type", "Interface Type", '"a"', '"b"'),
    ),
    "interface_field_not_implemented": InvalidGraph(
        "INTERFACE_FIELD_NO_IMPLEM",
        sources(
            a=link("@key") + " interface Node { id: ID! } "
            'type Card implements Node @key(fields: "id") { id: ID! } type Query { a: Node }',
            b=link("@key") + " interface Node { id: ID! created: String } "
            "type Coin implements Node { id: ID! created: String } type Query { b: Coin }",
        ),
        ('"Node.created"', '"Card"', '"a"', '"b"'),
    ),
    "interface_object_without_interface": InvalidGraph(
        "INTERFACE_OBJECT_USAGE_ERROR",
        sources(
            a=link("@key", "@interfaceObject")
            + 'type Media @key(fields: "id") @interfaceObject { id: ID! } type Query { a: Media }',
        ),
        ('"Media"', '"a"', "@interfaceObject"),
    ),
    "unknown_federation_version": InvalidGraph(
        "UNKNOWN_FEDERATION_LINK_VERSION",
        sources(a=link("@key", version="v2.42") + " type Query { a: Int }"),
        ("[a]", "v2.42"),
    ),
    "no_queries": InvalidGraph(
        "NO_QUERIES",
        sources(a=link("@key") + ' type User @key(fields: "id") { id: ID! }'),
        ("No queries",),
    ),
    "satisfiability_unreachable_field": InvalidGraph(
        "SATISFIABILITY_ERROR",
        sources(
            a=link("@key", "@shareable")
            + 'type User @key(fields: "id", resolvable: false) { id: ID! } '
            "type Query { me: User }",
            b=link("@shareable") + " type User { id: ID! @shareable email: String } "
            "type Query { other: Int }",
        ),
        ('"User.email"', 'from subgraph "a"', 'subgraph "b"', "me {", "no @key"),
    ),
    "external_unused": InvalidGraph(
        "EXTERNAL_UNUSED",
        sources(
            a=link("@key") + 'type User @key(fields: "id") { id: ID! name: String } '
            "type Query { a: User }",
            b=link("@key", "@external")
            + 'type User @key(fields: "id") { id: ID! name: String @external }',
        ),
        ("[b]", '"User.name"', "@external"),
    ),
    "external_type_mismatch": InvalidGraph(
        "EXTERNAL_TYPE_MISMATCH",
        sources(
            a=link("@key") + 'type User @key(fields: "id") { id: ID! age: Int } '
            "type Query { a: User }",
            b=link("@key", "@external", "@requires")
            + 'type User @key(fields: "id") { id: ID! age: String @external '
            'old: Boolean @requires(fields: "age") }',
        ),
        ('"User.age"', '"Int"', '"String"', '"b"'),
    ),
    "requires_missing_external": InvalidGraph(
        "REQUIRES_FIELDS_MISSING_EXTERNAL",
        sources(
            a=link("@key", "@requires")
            + 'type User @key(fields: "id") { id: ID! age: Int old: Boolean @requires(fields: '
            '"age") } type Query { a: User }',
        ),
        ("[a]", '"User.old"', '"User.age"', "@external"),
    ),
    "provides_on_scalar": InvalidGraph(
        "PROVIDES_ON_NON_OBJECT_FIELD",
        sources(
            a=link("@key", "@provides") + 'type Query { name: String @provides(fields: "length") }',
        ),
        ("[a]", '"Query.name"', '"String"'),
    ),
    "override_on_external": InvalidGraph(
        "OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE",
        sources(
            a=link("@key") + 'type User @key(fields: "id") { id: ID! name: String } '
            "type Query { a: User }",
            b=link("@key", "@override", "@external", "@provides")
            + 'type User @key(fields: "id") { id: ID! name: String @external @override(from: '
            '"a") } type Query { b: User @provides(fields: "name") }',
        ),
        ('"User.name"', '"b"', "@external"),
    ),
    "import_unknown_directive": InvalidGraph(
        "INVALID_LINK_DIRECTIVE_USAGE",
        sources(a=link("@key", "@frobnicate") + " type Query { a: Int }"),
        ("[a]", '"@frobnicate"'),
    ),
    "import_too_new_directive": InvalidGraph(
        "INVALID_LINK_DIRECTIVE_USAGE",
        sources(a=link("@key", "@interfaceObject", version="v2.0") + " type Query { a: Int }"),
        ("[a]", '"@interfaceObject"', "v2.3"),
    ),
    "invalid_graphql": InvalidGraph(
        "INVALID_GRAPHQL",
        sources(a=link("@key") + " type Query { a: Int "),
        ("[a]",),
    ),
    "unknown_type": InvalidGraph(
        "INVALID_GRAPHQL",
        sources(a=link("@key") + " type Query { a: Missing }"),
        ("[a]", '"Missing"', '"Query.a"'),
    ),
    "referenced_inaccessible": InvalidGraph(
        "REFERENCED_INACCESSIBLE",
        sources(
            a=link("@inaccessible")
            + " type Secret @inaccessible { code: String } type Query { secret: Secret hi: Int }",
        ),
        ('"Secret"', '"Query.secret"'),
    ),
    "only_inaccessible_children": InvalidGraph(
        "ONLY_INACCESSIBLE_CHILDREN",
        sources(
            a=link("@inaccessible")
            + " enum Mood { SAD @inaccessible } type Query { mood: Mood hi: Int }",
        ),
        ('"Mood"', "values"),
    ),
    "required_inaccessible_argument": InvalidGraph(
        "REQUIRED_INACCESSIBLE",
        sources(
            a=link("@inaccessible") + " type Query { hi(token: String! @inaccessible): Int }",
        ),
        ('"Query.hi(token:)"',),
    ),
    "implemented_by_inaccessible": InvalidGraph(
        "IMPLEMENTED_BY_INACCESSIBLE",
        sources(
            a=link("@inaccessible") + " interface Named { name: String } "
            "type Pet implements Named { name: String @inaccessible age: Int } "
            "type Query { pet: Pet }",
        ),
        ('"Pet.name"', '"Named.name"'),
    ),
    "interface_key_missing_implementation": InvalidGraph(
        "INTERFACE_KEY_MISSING_IMPLEMENTATION_TYPE",
        sources(
            a=link("@key") + ' interface Media @key(fields: "id") { id: ID! } '
            'type Book implements Media @key(fields: "id") { id: ID! } type Query { m: Media }',
            b=link("@key") + " interface Media { id: ID! } "
            'type Film implements Media @key(fields: "id") { id: ID! } type Query { f: Film }',
        ),
        ("[a]", '"Media"', '"Film"'),
        reference=False,
        reference_note="the reference only checks this when a keyed subgraph has no "
        "implementation at all (Apollo documents the rule for any missing implementation)",
    ),
    "interface_key_no_implementation": InvalidGraph(
        "INTERFACE_KEY_MISSING_IMPLEMENTATION_TYPE",
        sources(
            a=link("@key") + ' interface Media @key(fields: "id") { id: ID! } '
            "type Query { m: Media }",
            b=link("@key") + " interface Media { id: ID! } "
            'type Film implements Media @key(fields: "id") { id: ID! } type Query { f: Film }',
        ),
        ("[a]", '"Media"', '"Film"'),
    ),
    "requires_on_interface": InvalidGraph(
        "REQUIRES_UNSUPPORTED_ON_INTERFACE",
        sources(
            a=link("@key", "@requires", "@external")
            + ' interface Node { id: ID! name: String @requires(fields: "id") } '
            'type User implements Node @key(fields: "id") { id: ID! name: String } '
            "type Query { n: Node }",
        ),
        ("[a]", '"Node.name"'),
    ),
    "external_on_interface": InvalidGraph(
        "EXTERNAL_ON_INTERFACE",
        sources(
            a=link("@key", "@external") + " interface Node { id: ID! name: String @external } "
            'type User implements Node @key(fields: "id") { id: ID! name: String } '
            "type Query { n: Node }",
        ),
        ("[a]", '"Node.name"'),
        reference=False,
        reference_note="the reference accepts @external on interface fields (Apollo refuses it)",
    ),
    "directive_in_key": InvalidGraph(
        "KEY_INVALID_FIELDS",
        sources(
            a=link("@key")
            + ' type User @key(fields: "id @skip(if: true)") { id: ID! } type Query { u: User }',
        ),
        ("[a]", '"User"', "@skip"),
    ),
    "override_label_before_2_7": InvalidGraph(
        "INVALID_GRAPHQL",
        sources(
            a=link("@key") + ' type T @key(fields: "id") { id: ID! x: Int } type Query { t: T }',
            b=link("@key", "@override")
            + ' type T @key(fields: "id") { id: ID! x: Int @override(from: "a", label: "x") }',
        ),
        ("[b]", "label", "@override"),
    ),
}
