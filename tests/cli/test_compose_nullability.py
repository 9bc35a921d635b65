"""The degrade rule over the composed supergraph (docs/subgraph-pattern.md, "Nullability").

A field that one subgraph contributes to another subgraph's entity, or that points at an entity
another subgraph owns, is nullable: when that other subgraph is down, GraphQL's null propagation
then stops at that field (null there, an error at its path) instead of blanking its parents up to
the response root. Fields a subgraph resolves from its own data keep their non-null types.
"""

from __future__ import annotations

from pathlib import Path

from graphql import (
    DocumentNode,
    FieldDefinitionNode,
    ListTypeNode,
    NonNullTypeNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    StringValueNode,
    TypeNode,
    parse,
)

SUPERGRAPH = Path(__file__).resolve().parents[2] / "schema" / "supergraph.graphql"
ROOTS = {"Query", "Mutation", "Subscription"}


def _named(node: TypeNode) -> str:
    while isinstance(node, (NonNullTypeNode, ListTypeNode)):
        node = node.type
    return node.name.value  # type: ignore[attr-defined]


def _argument(directive: object, name: str) -> object:
    for argument in directive.arguments or ():  # type: ignore[attr-defined]
        if argument.name.value == name:
            return argument.value.value  # enum (graph) or string/boolean value
    return None


def _graphs_resolving(field: FieldDefinitionNode, type_graphs: set[str]) -> set[str]:
    joins = [d for d in field.directives or () if d.name.value == "join__field"]
    if not joins:
        return set(type_graphs)  # no @join__field: every graph that defines the type resolves it
    return {
        str(_argument(d, "graph"))
        for d in joins
        if _argument(d, "external") is not True and _argument(d, "graph") is not None
    }


def _types(document: DocumentNode) -> dict[str, ObjectTypeDefinitionNode]:
    return {
        d.name.value: d
        for d in document.definitions
        if isinstance(d, (ObjectTypeDefinitionNode, ObjectTypeExtensionNode))
    }  # type: ignore[misc]


def _type_graphs(node: ObjectTypeDefinitionNode) -> tuple[set[str], bool]:
    graphs: set[str] = set()
    entity = False
    for directive in node.directives or ():
        if directive.name.value == "join__type":
            graphs.add(str(_argument(directive, "graph")))
            entity = entity or isinstance(
                next((a.value for a in directive.arguments or () if a.name.value == "key"), None),
                StringValueNode,
            )
    return graphs, entity


def cross_subgraph_violations(sdl: str) -> tuple[list[str], dict[str, set[str]]]:
    """Return (non-null fields that depend on another subgraph, home graphs of each entity)."""
    types = _types(parse(sdl))
    entities = {name for name, node in types.items() if _type_graphs(node)[1]}
    # An entity's home: the subgraph(s) serving a root look-up of it (user(id:), ...).
    homes: dict[str, set[str]] = {name: set() for name in entities}
    for root in ROOTS & types.keys():
        for field in types[root].fields or ():
            target = _named(field.type)
            if target in entities:
                homes[target] |= _graphs_resolving(field, _type_graphs(types[root])[0])
    violations: list[str] = []
    for name, node in types.items():
        if name in ROOTS:
            continue
        type_graphs = _type_graphs(node)[0]
        for field in node.fields or ():
            if not isinstance(field.type, NonNullTypeNode):
                continue
            graphs = _graphs_resolving(field, type_graphs)
            where = f"{name}.{field.name.value} ({', '.join(sorted(graphs))})"
            if name in entities and not graphs & homes[name]:
                violations.append(f"{where} is contributed to {name}, owned by another subgraph")
            target = _named(field.type)
            if target in entities and not graphs <= homes[target]:
                violations.append(f"{where} points at {target}, owned by another subgraph")
    return violations, homes


def test_every_entity_has_a_home_subgraph() -> None:
    # Without a home the rule below would have nothing to compare with and pass silently.
    _, homes = cross_subgraph_violations(SUPERGRAPH.read_text(encoding="utf-8"))
    assert homes == {
        "User": {"USERS"},
        "InvestmentAccount": {"INVESTMENTS"},
        "Transaction": {"TRANSACTIONS"},
        "ComplianceLog": {"COMPLIANCE"},
    }


def test_fields_that_depend_on_another_subgraph_are_nullable() -> None:
    violations, _ = cross_subgraph_violations(SUPERGRAPH.read_text(encoding="utf-8"))
    assert violations == []


def test_the_rule_catches_a_non_null_contributed_field() -> None:
    sdl = SUPERGRAPH.read_text(encoding="utf-8")
    broken = sdl.replace("kycStatus: KycStatus @join__field", "kycStatus: KycStatus! @join__field")
    broken = broken.replace(
        "  user: User @join__field(graph: TRANSACTIONS)",
        "  user: User! @join__field(graph: TRANSACTIONS)",
    )
    assert broken != sdl
    violations, _ = cross_subgraph_violations(broken)
    assert violations == [
        "Transaction.user (TRANSACTIONS) points at User, owned by another subgraph",
        "User.kycStatus (COMPLIANCE) is contributed to User, owned by another subgraph",
    ]
