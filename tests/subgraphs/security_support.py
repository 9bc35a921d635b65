"""Role-matrix helpers shared by the subgraphs' authorization tests.

A matrix test runs every operation of a subgraph as every role and compares who got through
with the policy's table; mismatches are collected, so one run shows every wrong cell. A cell
can also expect ``null``: no error and nothing but nulls, how a client is answered for another
user's row (exactly as for a row that does not exist). :func:`raw_response` and
:func:`assert_indistinguishable` check that "exactly" byte for byte.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx

from crypto import INTERNAL_TOKEN_HEADER, Principal
from subgraphs.kit.testing import GraphQLResult, InternalTokenAuth, principal

ROLES = ("client", "other_client", "advisor", "compliance", "admin", "service")
STAFF = frozenset({"advisor", "compliance", "admin"})


def role_principals(own_user_id: str) -> dict[str, Principal]:
    """One principal per matrix row; ``client`` owns ``own_user_id``, ``other_client`` does not."""
    return {
        "client": principal("client", user_id=own_user_id),
        "other_client": principal("client", user_id="usr_00000000000000000000000000000000"),
        "advisor": principal("advisor"),
        "compliance": principal("compliance"),
        "admin": principal("admin"),
        "service": principal("service", scopes=()),
    }


def _only_nulls(value: Any) -> bool:
    if isinstance(value, dict):
        return all(_only_nulls(item) for item in value.values())
    if isinstance(value, list):  # an empty list is data (an empty page), not a null
        return bool(value) and all(_only_nulls(item) for item in value)
    return value is None


def outcome(result: GraphQLResult) -> str:
    """``allowed`` (no error), ``null`` (no error, only nulls: as for a missing row),
    ``FORBIDDEN``, or the unexpected codes (a failing cell)."""
    if result.status_code == 200 and not result.errors:
        return "null" if _only_nulls(result.data) else "allowed"
    codes = {code for code in result.codes}
    if codes == {"FORBIDDEN"}:
        return "FORBIDDEN"
    return f"unexpected {result.status_code} {sorted(str(c) for c in codes)}"


@dataclass
class Matrix:
    """Operations x roles; ``check`` runs one cell and records a mismatch."""

    principals: dict[str, Principal]
    mismatches: list[str] = field(default_factory=list)
    cells: int = 0

    async def check(
        self,
        operation: str,
        allowed: Iterable[str],
        run: Callable[[Principal], Awaitable[GraphQLResult]],
        *,
        null: Iterable[str] = (),
    ) -> None:
        """Run ``operation`` as every role: ``allowed`` get data, ``null`` only nulls and no
        error, everyone else FORBIDDEN."""
        allowed_roles, null_roles = set(allowed), set(null)
        assert allowed_roles | null_roles <= set(ROLES), allowed_roles | null_roles
        assert not allowed_roles & null_roles
        for role in ROLES:
            expected = (
                "allowed"
                if role in allowed_roles
                else "null"
                if role in null_roles
                else "FORBIDDEN"
            )
            got = outcome(await run(self.principals[role]))
            self.cells += 1
            if got != expected:
                self.mismatches.append(f"{operation} as {role}: expected {expected}, got {got}")


async def raw_response(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any], *, who: Principal
) -> tuple[int, str, bytes]:
    """POST one operation as ``who``; return the status, content type and the body's bytes."""
    auth = client.auth
    assert isinstance(auth, InternalTokenAuth)
    response = await client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={INTERNAL_TOKEN_HEADER: auth.mint(who)},
    )
    return response.status_code, response.headers.get("content-type", ""), response.content


async def assert_indistinguishable(
    client: httpx.AsyncClient,
    query: str,
    theirs: dict[str, Any],
    missing: dict[str, Any],
    *,
    who: Principal,
) -> bytes:
    """Assert that ``who`` gets the very same response for ``theirs`` (variables naming another
    user's existing row) and ``missing`` (naming nothing that exists); return that body."""
    first = await raw_response(client, query, theirs, who=who)
    second = await raw_response(client, query, missing, who=who)
    assert first == second, (first, second)
    return first[2]
