"""Small federation graphs for the composition tests, each a feature of the spec in isolation.

Every graph here composes (the invalid ones live next to the test that expects their error).
The interoperability tests feed the same graphs to ``@theguild/federation-composition``.
"""

from __future__ import annotations

from router.composition import SubgraphSource


def link(*imports: str, version: str = "v2.3") -> str:
    quoted = ", ".join(f'"{name}"' for name in imports)
    url = f"https://specs.apollo.dev/federation/{version}"
    return f'extend schema @link(url: "{url}", import: [{quoted}])'


def sources(**sdls: str) -> list[SubgraphSource]:
    return [
        SubgraphSource(name, f"http://{name}.example:4000/graphql", sdl)
        for name, sdl in sdls.items()
    ]


ENTITIES = sources(
    users=link("@key", "@shareable")
    + """
type User @key(fields: "id") @key(fields: "email") {
  id: ID!
  email: String!
  name: String!
  org: Org!
}
type Org @key(fields: "id") { id: ID! name: String! }
type Query { user(id: ID!): User users: [User!]! }
""",
    accounts=link("@key")
    + """
type User @key(fields: "id") {
  id: ID!
  accounts: [Account!]!
}
type Account @key(fields: "id") @key(fields: "number branch { code }") {
  id: ID!
  number: String!
  branch: Branch!
  owner: User!
  org: Org!
}
type Branch { code: String! }
type Org @key(fields: "id", resolvable: false) { id: ID! }
type Query { account(id: ID!): Account }
""",
)

SHAREABLE_AND_OVERRIDE = sources(
    old=link("@key", "@shareable")
    + """
type Product @key(fields: "id") {
  id: ID!
  name: String! @shareable
  price: Money!
  stock: Int
}
type Money @shareable { amount: String! currency: String! }
type Query { product(id: ID!): Product products: [Product!]! @shareable }
""",
    new=link("@key", "@shareable", "@override")
    + """
type Product @key(fields: "id") {
  id: ID!
  name: String! @shareable
  price: Money! @override(from: "old")
  rating: Float
}
type Money @shareable { amount: String! currency: String! }
type Query { products: [Product!]! @shareable }
""",
)

OVERRIDE_KEY_FIELD = sources(
    a=link("@key")
    + """
type Thing @key(fields: "id") @key(fields: "sku") { id: ID! sku: String! }
type Query { thing: Thing }
""",
    b=link("@key", "@override")
    + """
type Thing @key(fields: "id") { id: ID! sku: String! @override(from: "a") }
""",
)

PROGRESSIVE_OVERRIDE = sources(
    a=link("@key", version="v2.7")
    + """
type Thing @key(fields: "id") { id: ID! price: Int }
type Query { thing: Thing }
""",
    b=link("@key", "@override", version="v2.7")
    + """
type Thing @key(fields: "id") { id: ID! price: Int @override(from: "a", label: "percent(25)") }
""",
)

INACCESSIBLE_AND_TAGS = sources(
    a=link("@key", "@inaccessible", "@tag", "@shareable")
    + """
type User @key(fields: "id") @tag(name: "public") {
  id: ID!
  internalNote: String @inaccessible
  risk(model: String @inaccessible, level: Int = 1): Int @tag(name: "risk")
  tier: Tier!
}
enum Tier { GOLD SILVER LEGACY @inaccessible }
type Secret @inaccessible @key(fields: "id") { id: ID! }
type Query { me: User secret: Secret @inaccessible }
""",
    b=link("@key", "@tag")
    + """
type User @key(fields: "id") { id: ID! nickname: String @tag(name: "public") }
""",
)

INTERFACE_OBJECT = sources(
    media=link("@key", "@interfaceObject")
    + """
interface Media @key(fields: "id") { id: ID! title: String! }
type Book implements Media @key(fields: "id") { id: ID! title: String! isbn: String! }
type Film implements Media @key(fields: "id") { id: ID! title: String! minutes: Int! }
type Query { media: [Media!]! }
""",
    reviews=link("@key", "@interfaceObject")
    + """
type Media @key(fields: "id") @interfaceObject { id: ID! reviews: [Review!]! }
type Review { stars: Int! text: String }
type Query { topRated: [Media!]! }
""",
)

REQUIRES_AND_PROVIDES = sources(
    shipping=link("@key", "@external", "@requires", "@provides", "@shareable")
    + """
type Parcel @key(fields: "id") {
  id: ID!
  weight: Float @external
  dimensions: Dimensions @external
  cost: Float @requires(fields: "weight dimensions { width height }")
  carrier: Carrier @provides(fields: "name")
}
type Dimensions @shareable { width: Float height: Float }
type Carrier @key(fields: "id") { id: ID! name: String @external }
type Query { cheapest: Parcel }
""",
    catalog=link("@key", "@shareable")
    + """
type Parcel @key(fields: "id") {
  id: ID!
  weight: Float
  dimensions: Dimensions
}
type Dimensions @shareable { width: Float height: Float }
type Carrier @key(fields: "id") { id: ID! name: String }
type Query { parcel(id: ID!): Parcel carrier(id: ID!): Carrier }
""",
)

ENUMS_UNIONS_INTERFACES = sources(
    a=link("@key", "@shareable")
    + """
interface Node { id: ID! }
type Card implements Node @key(fields: "id") { id: ID! colour: Colour! }
type Coin @key(fields: "id") { id: ID! }
union Valuable = Card | Coin
enum Colour { RED GREEN }
enum SortOrder { ASC DESC RANDOM }
input Page { first: Int = 10 after: String note: String }
type Query {
  valuables(sort: SortOrder, page: Page): [Valuable!]!
  node(id: ID!): Node @shareable
}
""",
    b=link("@key", "@shareable")
    + """
interface Node { id: ID! }
type Card implements Node @key(fields: "id") { id: ID! holder: String }
type Coin implements Node @key(fields: "id") { id: ID! year: Int }
type Stamp implements Node @key(fields: "id") { id: ID! }
union Valuable = Coin | Stamp
enum Colour { RED BLUE }
enum SortOrder { ASC DESC }
input Page { first: Int = 10 after: String }
type Query {
  stamps(sort: SortOrder!, page: Page): [Stamp!]!
  node(id: ID!): Node @shareable
}
""",
)

ALIASED_IMPORTS = sources(
    renamed="""
extend schema @link(url: "https://specs.apollo.dev/federation/v2.3",
  import: [{name: "@key", as: "@primaryKey"}, {name: "@shareable", as: "@everywhere"}])
type Account @primaryKey(fields: "id") { id: ID! label: String @everywhere }
type Query { account(id: ID!): Account }
""",
    prefixed="""
extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: [])
type Account @federation__key(fields: "id") {
  id: ID!
  label: String @federation__shareable
  balance: Int
}
""",
)

STRAWBERRY_STYLE = sources(
    people='''schema @link(url: "https://specs.apollo.dev/federation/v2.9",
  import: ["@key", "@shareable"]) {
  query: Query
}

type Query {
  _entities(representations: [_Any!]!): [_Entity]!
  _service: _Service!
  person(id: ID!): Person
}

"""A person we know about."""
type Person @key(fields: "id") {
  id: ID!
  name: String!
}

scalar _Any

union _Entity = Person

type _Service {
  sdl: String!
}
''',
    pets="""schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"]) {
  query: Query
}

type Query {
  _entities(representations: [_Any!]!): [_Entity]!
  _service: _Service!
}

type Person @key(fields: "id") {
  id: ID!
  pets: [String!]!
}

scalar _Any

union _Entity = Person

type _Service {
  sdl: String!
}
""",
)

ROOT_RENAMED = sources(
    a=link("@key")
    + """
schema { query: RootQuery mutation: RootMutation }
type RootQuery { hello: String }
type RootMutation { bump: Int }
""",
)

ONE_OF_INPUTS = sources(
    a=link("@shareable")
    + " input UserBy @oneOf { id: ID email: String } type Query { user(by: UserBy!): Int }",
    b=link()
    + " input UserBy @oneOf { id: ID email: String } type Query { count(by: UserBy): Int }",
)

VALID_GRAPHS: dict[str, list[SubgraphSource]] = {
    "entities": ENTITIES,
    "shareable_and_override": SHAREABLE_AND_OVERRIDE,
    "override_key_field": OVERRIDE_KEY_FIELD,
    "progressive_override": PROGRESSIVE_OVERRIDE,
    "inaccessible_and_tags": INACCESSIBLE_AND_TAGS,
    "interface_object": INTERFACE_OBJECT,
    "requires_and_provides": REQUIRES_AND_PROVIDES,
    "enums_unions_interfaces": ENUMS_UNIONS_INTERFACES,
    "aliased_imports": ALIASED_IMPORTS,
    "strawberry_style": STRAWBERRY_STYLE,
    "root_renamed": ROOT_RENAMED,
    "one_of_inputs": ONE_OF_INPUTS,
}
