"""The processes that make up the system, their default ports and how they find each other.

One table, used by ``wealthtech up`` and checked against ``compose.yml`` by the tests, so that the
two ways of running the system cannot drift apart.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["ROUTER", "SUBGRAPHS", "Service", "service_environment"]


@dataclass(frozen=True, slots=True)
class Service:
    """One process: how to start it and where it listens."""

    name: str
    module: str
    env_prefix: str
    default_port: int
    # Owning subgraphs this one asks before a write (DESIGN §2), as setting name -> subgraph name.
    owners: tuple[tuple[str, str], ...] = ()

    def port(self, environ: Mapping[str, str]) -> int:
        """Return the port from ``<PREFIX>_PORT`` or the default."""
        return int(environ.get(f"{self.env_prefix}PORT", self.default_port))

    def base_url(self, environ: Mapping[str, str], host: str = "127.0.0.1") -> str:
        """Return ``http://host:port``."""
        return f"http://{host}:{self.port(environ)}"


SUBGRAPHS: tuple[Service, ...] = (
    Service("users", "subgraphs.users", "USERS_", 4001),
    Service(
        "investments", "subgraphs.investments", "INVESTMENTS_", 4002, (("USERS_URL", "users"),)
    ),
    Service(
        "transactions",
        "subgraphs.transactions",
        "TRANSACTIONS_",
        4003,
        (("INVESTMENTS_URL", "investments"),),
    ),
    Service(
        "compliance",
        "subgraphs.compliance",
        "COMPLIANCE_",
        4004,
        (
            ("USERS_URL", "users"),
            ("INVESTMENTS_URL", "investments"),
            ("TRANSACTIONS_URL", "transactions"),
        ),
    ),
)
ROUTER = Service("router", "router", "ROUTER_", 4000)


def service_environment(
    service: Service, environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Return the environment for ``service``: the caller's plus the URLs of the other services.

    Explicit settings in the caller's environment win; the defaults only follow port overrides, so
    that ``USERS_PORT=5001 wealthtech up`` keeps every service pointing at the right place.
    """
    env = dict(os.environ if environ is None else environ)
    by_name = {s.name: s for s in SUBGRAPHS}
    for setting, owner in service.owners:
        env.setdefault(f"{service.env_prefix}{setting}", by_name[owner].base_url(env) + "/graphql")
    if service in SUBGRAPHS:
        # Every subgraph relays its DATA_ACCESS audit events to compliance: follow its port too.
        env.setdefault(
            f"{service.env_prefix}AUDIT_URL", by_name["compliance"].base_url(env) + "/graphql"
        )
    if service is ROUTER:
        for subgraph in SUBGRAPHS:
            key = f"ROUTER_SUBGRAPH_URL_{subgraph.name.upper()}"
            env.setdefault(key, subgraph.base_url(env) + "/graphql")
    return env
