"""Role-matrix helpers shared by the subgraphs' authorization tests.

A matrix test runs every operation of a subgraph as every role and compares who got through
with the policy's table; mismatches are collected, so one run shows every wrong cell.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from crypto import Principal
from subgraphs.kit.testing import GraphQLResult, principal

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


def outcome(result: GraphQLResult) -> str:
    """``allowed`` (no error), ``FORBIDDEN``, or the unexpected codes (a failing cell)."""
    if result.status_code == 200 and not result.errors:
        return "allowed"
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
    ) -> None:
        allowed_roles = set(allowed)
        assert allowed_roles <= set(ROLES), allowed_roles
        for role in ROLES:
            expected = "allowed" if role in allowed_roles else "FORBIDDEN"
            got = outcome(await run(self.principals[role]))
            self.cells += 1
            if got != expected:
                self.mismatches.append(f"{operation} as {role}: expected {expected}, got {got}")
