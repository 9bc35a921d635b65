"""Router settings, read from the environment with the ``ROUTER_`` prefix.

One settings object for the serving side of the router: where the supergraph is, where to listen,
how long to wait for subgraphs, which request headers travel to them. Subgraph URLs normally come
from the supergraph (``@join__graph(url:)``); ``ROUTER_SUBGRAPH_URL_<NAME>`` overrides one of
them, e.g. ``ROUTER_SUBGRAPH_URL_USERS=http://10.0.0.5:4001/graphql``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

SUBGRAPH_URL_ENV_PREFIX = "ROUTER_SUBGRAPH_URL_"


def subgraph_env_key(subgraph: str) -> str:
    """Return the name that ``ROUTER_SUBGRAPH_URL_<NAME>`` uses for ``subgraph``."""
    return re.sub(r"[^A-Z0-9]+", "_", subgraph.upper()).strip("_")


class RouterSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ROUTER_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 4000
    # Router processes serving one socket (python -m router --workers); replicas on several
    # machines are the same processes behind a load balancer.
    workers: int = Field(default=1, ge=1)
    supergraph_path: Path = Path("schema/supergraph.graphql")
    # Timeouts towards subgraphs, in seconds. The read timeout bounds one subgraph response, not a
    # whole client request (a plan may call several subgraphs one after another).
    subgraph_connect_timeout: float = 2.0
    subgraph_read_timeout: float = 10.0
    subgraph_max_connections: int = 100
    readiness_timeout: float = 2.0
    # The lean HTTP/1.1 transport for http:// subgraphs (router/_http11.py); false = httpx default.
    subgraph_lean_http: bool = True
    # Incoming request headers copied onto every subgraph request (lower-case names). Nothing else
    # is forwarded: a header reaching a subgraph is a decision, not an accident. Both are set by the
    # security layer (router/security): the internal token it minted for this caller and the
    # request id. The caller's own Authorization is never forwarded (refused at startup).
    forward_headers: tuple[str, ...] = ("x-internal-token", "x-request-id")
    # Lets a client ask for the query plan with the ``X-Debug-Plan: 1`` request header.
    expose_query_plan: bool = True
    plan_cache_size: int = 1024
    # GraphiQL's browser bundles (default: router/static/graphiql, filled by make install).
    graphiql_assets_dir: Path | None = None
    # Overrides of the supergraph's subgraph URLs by subgraph name (case-insensitive).
    subgraph_urls: dict[str, str] = Field(default_factory=dict)

    def resolve_subgraph_urls(
        self, from_supergraph: Mapping[str, str], environ: Mapping[str, str] | None = None
    ) -> dict[str, str]:
        """Return the URL of every subgraph: the supergraph's, unless overridden.

        Overrides come from ``subgraph_urls`` and from ``ROUTER_SUBGRAPH_URL_<NAME>`` variables (the
        latter win). An override naming no subgraph of the supergraph is an error, because a typo
        there would otherwise silently send traffic to the wrong place.
        """
        env = os.environ if environ is None else environ
        by_key = {subgraph_env_key(name): name for name in from_supergraph}
        resolved = dict(from_supergraph)
        overrides: dict[str, str] = dict(self.subgraph_urls)
        for variable, value in env.items():
            if variable.upper().startswith(SUBGRAPH_URL_ENV_PREFIX) and value:
                overrides[variable[len(SUBGRAPH_URL_ENV_PREFIX) :]] = value
        for name, url in overrides.items():
            subgraph = by_key.get(subgraph_env_key(name))
            if subgraph is None:
                known = ", ".join(sorted(from_supergraph))
                raise ValueError(
                    f"subgraph URL override for {name!r} matches no subgraph of the supergraph "
                    f"(known: {known})"
                )
            resolved[subgraph] = url
        return resolved
