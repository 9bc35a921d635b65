"""One response name with two types in one subgraph operation.

In accounts, ``User.id`` is ``ID!`` and ``Admin.id`` is ``ID``; the supergraph merges User.id to
``ID`` (users has it nullable), so ``... on User { id } ... on Admin { id }`` is a valid client
selection, but the same selection sent to accounts is not: its validation refuses two fields
``id`` of conflicting types at one response position. The planner must send one of them under an
internal alias and shape it back. Nested selections (``similarAccounts``) need it at every level.
"""

from __future__ import annotations

from typing import Any

from tests.router.corpus.kit import Case, DataSubgraph, Fixture, build_all, ref

NAME = "type_mismatch"


def _user(key: str, name: str, similar: list[dict[str, Any]]) -> dict[str, Any]:
    return {"__typename": "User", "id": key, "name": name, "similarAccounts": similar}


def _admin(key: str, name: str, similar: list[dict[str, Any]]) -> dict[str, Any]:
    return {"__typename": "Admin", "id": key, "name": name, "similarAccounts": similar}


ADA = _user("u1", "Ada", [])
ROOT = _admin("a1", "root", [])
ADA["similarAccounts"] = [ROOT, ADA]
ROOT["similarAccounts"] = [ADA]
ACCOUNTS = [ADA, ROOT]
USERS = [
    {"id": "u1", "name": "Ada", "email": "ada@example.com"},
    {"id": "u2", "name": "Bea", "email": None},
]


def _subgraphs() -> dict[str, Any]:
    return build_all(
        DataSubgraph(
            NAME,
            "accounts",
            tables={"User": [ADA]},
            resolvers={"Query": {"accounts": lambda *_: [ref("User", id="u1"), ROOT]}},
        ),
        DataSubgraph(
            NAME,
            "users",
            tables={"User": USERS},
            resolvers={"Query": {"users": lambda *_: USERS}},
        ),
    )


MEMBERS = "... on User { id name } ... on Admin { id name }"

CASES = (
    Case(
        "id of two members with different nullability",
        f"{{ accounts {{ {MEMBERS} }} }}",
        {"data": {"accounts": [{"id": "u1", "name": "Ada"}, {"id": "a1", "name": "root"}]}},
        fetches=1,
        depth=1,
    ),
    Case(
        "nested, at two levels",
        "{ accounts { ... on User { id similarAccounts { "
        + MEMBERS
        + " } } ... on Admin { id similarAccounts { "
        + MEMBERS
        + " } } } }",
        {
            "data": {
                "accounts": [
                    {
                        "id": "u1",
                        "similarAccounts": [
                            {"id": "a1", "name": "root"},
                            {"id": "u1", "name": "Ada"},
                        ],
                    },
                    {"id": "a1", "similarAccounts": [{"id": "u1", "name": "Ada"}]},
                ]
            }
        },
        fetches=1,
        depth=1,
    ),
    Case(
        "the conflict beside an entity jump",
        "{ users { id name } accounts { ... on User { id email } ... on Admin { id } } }",
        {
            "data": {
                "users": [{"id": "u1", "name": "Ada"}, {"id": "u2", "name": "Bea"}],
                "accounts": [{"id": "u1", "email": "ada@example.com"}, {"id": "a1"}],
            }
        },
        # users and accounts side by side, then users for the account's email
        fetches=3,
        depth=2,
    ),
    Case(
        "one member only: no conflict",
        "{ accounts { __typename ... on Admin { id name } } }",
        {
            "data": {
                "accounts": [
                    {"__typename": "User"},
                    {"__typename": "Admin", "id": "a1", "name": "root"},
                ]
            }
        },
        fetches=1,
        depth=1,
    ),
)

FIXTURE = Fixture(NAME, _subgraphs, CASES)
