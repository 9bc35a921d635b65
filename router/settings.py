"""Router settings, read from the environment with the ``ROUTER_`` prefix.

One settings object for the serving side of the router: where the supergraph is, where to listen,
how long to wait for subgraphs, which request headers travel to them. Subgraph URLs normally come
from the supergraph (``@join__graph(url:)``); ``ROUTER_SUBGRAPH_URL_<NAME>`` overrides one of
them, e.g. ``ROUTER_SUBGRAPH_URL_USERS=http://10.0.0.5:4001/graphql``.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from router.headers import HeaderRule
from router.resilience import SubgraphPolicy

SUBGRAPH_URL_ENV_PREFIX = "ROUTER_SUBGRAPH_URL_"


def subgraph_env_key(subgraph: str) -> str:
    """Return the name that ``ROUTER_SUBGRAPH_URL_<NAME>`` uses for ``subgraph``."""
    return re.sub(r"[^A-Z0-9]+", "_", subgraph.upper()).strip("_")


class SubgraphPolicyOverride(BaseModel):
    """Per-subgraph overrides of the ``subgraph_*`` resilience settings (unset: the default)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    connect_timeout: float | None = Field(default=None, gt=0)
    read_timeout: float | None = Field(default=None, gt=0)
    fetch_timeout: float | None = Field(default=None, gt=0)
    retry_attempts: int | None = Field(default=None, ge=0)
    retry_base_delay: float | None = Field(default=None, ge=0)
    retry_max_delay: float | None = Field(default=None, ge=0)
    max_concurrency: int | None = Field(default=None, ge=1)
    breaker_failure_threshold: int | None = Field(default=None, ge=1)
    breaker_open_seconds: float | None = Field(default=None, gt=0)
    breaker_half_open_probes: int | None = Field(default=None, ge=1)


class RouterSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ROUTER_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 4000
    # Router processes serving one socket (python -m router --workers); replicas on several
    # machines are the same processes behind a load balancer.
    workers: int = Field(default=1, ge=1)
    supergraph_path: Path = Path("schema/supergraph.graphql")
    # Hot reload (router/http/reload.py): the file is checked every poll_seconds and reloaded when
    # it changed (SIGHUP reloads at once); a new supergraph that fails to load is refused and the
    # one being served stays.
    supergraph_watch: bool = True
    supergraph_poll_seconds: float = Field(default=1.0, gt=0)
    # Timeouts towards subgraphs, in seconds. The read timeout bounds one subgraph response, not a
    # whole client request (a plan may call several subgraphs one after another).
    subgraph_connect_timeout: float = Field(default=2.0, gt=0)
    subgraph_read_timeout: float = Field(default=10.0, gt=0)
    subgraph_max_connections: int = 100
    # How the router treats a slow, failing or dead subgraph (router/resilience.py, ADR 0023).
    # The whole-fetch timeout bounds one subgraph fetch: queueing for a slot, every attempt and the
    # pauses between them.
    subgraph_fetch_timeout: float = Field(default=15.0, gt=0)
    # Further attempts of a query whose failure reached no resolver (could not connect, connection
    # lost unanswered, HTTP 502/503/504), after a pause of full jitter below
    # min(max_delay, base_delay * 2^n). Mutations are never retried.
    subgraph_retry_attempts: int = Field(default=2, ge=0)
    subgraph_retry_base_delay: float = Field(default=0.05, ge=0)
    subgraph_retry_max_delay: float = Field(default=0.5, ge=0)
    # Fetches in flight per subgraph; more wait for a slot (within the fetch timeout).
    subgraph_max_concurrency: int = Field(default=100, ge=1)
    # The circuit breaker per subgraph: open after this many consecutive failed fetches, refuse
    # fetches at once for open_seconds, then let half_open_probes fetches test the subgraph.
    subgraph_breaker_failure_threshold: int = Field(default=5, ge=1)
    subgraph_breaker_open_seconds: float = Field(default=5.0, gt=0)
    subgraph_breaker_half_open_probes: int = Field(default=1, ge=1)
    # Overrides of the settings above for one subgraph, by subgraph name (case-insensitive), e.g.
    # ROUTER_SUBGRAPH_POLICIES='{"compliance": {"read_timeout": 3, "retry_attempts": 0}}'.
    subgraph_policies: dict[str, SubgraphPolicyOverride] = Field(default_factory=dict)
    readiness_timeout: float = 2.0
    # The lean HTTP/1.1 transport for http:// subgraphs (router/_http11.py); false = httpx default.
    subgraph_lean_http: bool = True
    # Incoming request headers copied onto every subgraph request (lower-case names). Nothing else
    # is forwarded: a header reaching a subgraph is a decision, not an accident. Both are set by the
    # security layer (router/security): the internal token it minted for this caller and the
    # request id. The caller's own Authorization is never forwarded (refused at startup).
    forward_headers: tuple[str, ...] = ("x-internal-token", "x-request-id")
    # Header propagation rules on top of those, by subgraph name or "all" (router/headers.py), e.g.
    # ROUTER_HEADER_RULES='{"all": [{"propagate": "x-tenant"}],
    #                       "users": [{"propagate": "x-lang", "rename": "accept-language"}]}'.
    header_rules: dict[str, list[HeaderRule]] = Field(default_factory=dict)
    # Lets a client ask for the query plan with the ``X-Debug-Plan: 1`` request header. Unset: on
    # in development, off in production (ROUTER_ENV), like introspection: a plan shows how the
    # graph is split across services, which is for the people who run it.
    expose_query_plan: bool | None = None
    plan_cache_size: int = 1024
    # GraphiQL's browser bundles (default: router/static/graphiql, filled by make install).
    graphiql_assets_dir: Path | None = None
    # Overrides of the supergraph's subgraph URLs by subgraph name (case-insensitive).
    subgraph_urls: dict[str, str] = Field(default_factory=dict)

    def query_plan_exposed(self, *, production: bool) -> bool:
        """Whether ``X-Debug-Plan`` works: the setting, or by default only outside production."""
        return (not production) if self.expose_query_plan is None else self.expose_query_plan

    def default_subgraph_policy(self) -> SubgraphPolicy:
        """Return the resilience policy of a subgraph without overrides."""
        return SubgraphPolicy(
            connect_timeout=self.subgraph_connect_timeout,
            read_timeout=self.subgraph_read_timeout,
            fetch_timeout=self.subgraph_fetch_timeout,
            retry_attempts=self.subgraph_retry_attempts,
            retry_base_delay=self.subgraph_retry_base_delay,
            retry_max_delay=self.subgraph_retry_max_delay,
            max_concurrency=self.subgraph_max_concurrency,
            breaker_failure_threshold=self.subgraph_breaker_failure_threshold,
            breaker_open_seconds=self.subgraph_breaker_open_seconds,
            breaker_half_open_probes=self.subgraph_breaker_half_open_probes,
        )

    def resolve_subgraph_policies(self, subgraphs: Iterable[str]) -> dict[str, SubgraphPolicy]:
        """Return the policy of each of ``subgraphs``: the defaults with its overrides applied.

        An override naming no subgraph is an error, as for URL overrides.
        """
        names = list(subgraphs)
        by_key = {subgraph_env_key(name): name for name in names}
        default = self.default_subgraph_policy()
        resolved = dict.fromkeys(names, default)
        for name, override in self.subgraph_policies.items():
            subgraph = by_key.get(subgraph_env_key(name))
            if subgraph is None:
                known = ", ".join(sorted(names))
                raise ValueError(
                    f"subgraph policy override for {name!r} matches no subgraph of the "
                    f"supergraph (known: {known})"
                )
            changes = override.model_dump(exclude_none=True)
            resolved[subgraph] = dataclasses.replace(default, **changes)
        return resolved

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
