"""``@inaccessible`` fields, arguments, enum values and types: usable inside, never exposed.

core hides ``User.internalScore`` (profile's ``tier`` still ``@requires`` it), the ``search``
argument ``includeInternal``, the enum value ``UNDER_REVIEW`` and the whole type ``AuditRecord``
(a ``Node`` in core). Clients cannot select or pass them (validation errors); a subgraph that
returns one anyway (Bob's status, an audit record as a Node) gets a null and an error at that
path, because the API schema cannot represent it (and never names it).
"""

from __future__ import annotations

from typing import Any

from tests.router.corpus.kit import Case, DataSubgraph, Fixture, build_all, error, required

NAME = "inaccessible"

USERS = [
    {"__typename": "User", "id": "u1", "name": "Ada", "internalScore": 90, "status": "ACTIVE"},
    {
        "__typename": "User",
        "id": "u2",
        "name": "Bob",
        "internalScore": 10,
        "status": "UNDER_REVIEW",
    },
    {"__typename": "User", "id": "u3", "name": "Cy", "internalScore": 50, "status": "SUSPENDED"},
]
AUDIT = [{"__typename": "AuditRecord", "id": "a1", "note": "exported"}]
NODES = USERS + AUDIT


def _search(_root: Any, _info: Any, term: str, includeInternal: bool = False) -> list[Any]:
    found: list[Any] = [u for u in USERS if term.lower() in u["name"].lower()]
    if includeInternal:
        found += [a for a in AUDIT if term.lower() in a["note"]]
    return found


def _tier(user: dict[str, Any], _info: Any) -> str:
    (score,) = required(user, "internalScore")
    return "gold" if score >= 80 else "silver" if score >= 40 else "basic"


def _subgraphs() -> dict[str, Any]:
    return build_all(
        DataSubgraph(
            NAME,
            "core",
            tables={"User": USERS, "AuditRecord": AUDIT},
            resolvers={
                "Query": {
                    "users": lambda *_: USERS,
                    "node": lambda _r, _i, id: next((n for n in NODES if n["id"] == id), None),
                    "search": _search,
                }
            },
        ),
        DataSubgraph(
            NAME,
            "profile",
            tables={"User": [{"id": u["id"]} for u in USERS]},
            resolvers={"User": {"tier": _tier}},
        ),
    )


CASES = (
    Case(
        "an inaccessible field used by @requires",
        "{ users { name tier } }",
        {
            "data": {
                "users": [
                    {"name": "Ada", "tier": "gold"},
                    {"name": "Bob", "tier": "basic"},
                    {"name": "Cy", "tier": "silver"},
                ]
            }
        },
        # core (with internalScore for the requirement), then profile
        fetches=2,
        depth=2,
    ),
    Case(
        "an inaccessible field cannot be selected",
        "{ users { internalScore } }",
        {"errors": [{"message": "Cannot query field 'internalScore' on type 'User'."}]},
    ),
    Case(
        "an inaccessible argument cannot be passed",
        '{ search(term: "a", includeInternal: true) { id } }',
        {"errors": [{"message": "Unknown argument 'includeInternal' on field 'Query.search'."}]},
    ),
    Case(
        "an inaccessible enum value from the subgraph",
        "{ users { name status } }",
        {
            "data": {
                "users": [
                    {"name": "Ada", "status": "ACTIVE"},
                    {"name": "Bob", "status": None},
                    {"name": "Cy", "status": "SUSPENDED"},
                ]
            },
            "errors": [
                error(
                    "Invalid value for User.status: the subgraph returned a value that is not a"
                    " valid Status.",
                    ["users", 1, "status"],
                )
            ],
        },
        fetches=1,
        depth=1,
    ),
    Case(
        "an object of an inaccessible type at an abstract position",
        '{ node(id: "a1") { id } user: node(id: "u1") { id } }',
        {
            "data": {"node": None, "user": {"id": "u1"}},
            "errors": [
                error(
                    "Invalid value for a Node: the subgraph's __typename is not a possible type"
                    " of Node.",
                    ["node"],
                )
            ],
        },
        fetches=1,
        depth=1,
    ),
    Case(
        "a requirement below an abstract root field",
        '{ node(id: "u2") { __typename ... on User { tier } } }',
        {"data": {"node": {"__typename": "User", "tier": "basic"}}},
        fetches=2,
        depth=2,
    ),
)

FIXTURE = Fixture(
    NAME,
    _subgraphs,
    CASES,
    arguments={
        ("Query", "node"): ['(id: "u1")', '(id: "u2")', '(id: "a1")', '(id: "none")'],
        ("Query", "search"): ['(term: "a")', '(term: "")'],
    },
)
