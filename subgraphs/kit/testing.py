"""Helpers for subgraph tests: run the real app in-process, send GraphQL, count SQL queries.

Nothing here fakes the service: :func:`running_app` runs the app's real lifespan (engine,
migrations, keys) and talks to it through ``httpx.ASGITransport``.

Every request is authenticated for real: the client signs a fresh internal token per request
(:class:`InternalTokenAuth`) for :data:`TEST_PRINCIPAL` (admin with ``pii:read``) unless told
otherwise (``execute(..., principal=...)``, ``running_app(app, principal=...)``), with a key the
app accepts: the process-wide test key (:func:`signing_key_for_tests`, configured for an app through
:func:`key_environment_for_tests`) or the app's own development pair.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import AsyncIterator, Generator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from crypto import INTERNAL_TOKEN_HEADER, Principal, internal_key_id, mint_internal_token

from .app import SubgraphState
from .authorization import ADMIN, PII_READ

__all__ = [
    "TEST_PRINCIPAL",
    "GraphQLResult",
    "HostRouterTransport",
    "InternalTokenAuth",
    "QueryCounter",
    "count_queries",
    "execute",
    "key_environment_for_tests",
    "principal",
    "running_app",
    "signing_key_for_tests",
    "state_of",
]

TEST_PRINCIPAL = Principal(
    sub="test|admin", roles=frozenset({ADMIN}), scopes=frozenset({PII_READ}), user_id=None
)


def principal(
    *roles: str, scopes: tuple[str, ...] = (PII_READ,), user_id: str | None = None, sub: str = ""
) -> Principal:
    """Return a test principal with ``roles`` (and ``pii:read`` unless ``scopes`` says else)."""
    return Principal(
        sub=sub or f"test|{'+'.join(sorted(roles)) or 'nobody'}",
        roles=frozenset(roles),
        scopes=frozenset(scopes),
        user_id=user_id,
    )


@functools.cache
def signing_key_for_tests() -> Ed25519PrivateKey:
    """Return the process-wide test signing key (generated once per test run, never stored)."""
    return Ed25519PrivateKey.generate()


def key_environment_for_tests(*prefixes: str) -> dict[str, str]:
    """Return environment variables making the subgraphs ``prefixes`` accept the test key.

    ``<PREFIX>_INTERNAL_TOKEN_PUBLIC_KEYS`` is the test key's public half and
    ``<PREFIX>_AUDIT_SIGNING_KEY`` the test key itself (so relayed audit events verify too).
    """
    key = signing_key_for_tests()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    environment: dict[str, str] = {}
    for prefix in prefixes:
        environment[f"{prefix}_INTERNAL_TOKEN_PUBLIC_KEYS"] = public.decode("ascii")
        environment[f"{prefix}_AUDIT_SIGNING_KEY"] = private.decode("ascii")
    return environment


class InternalTokenAuth(httpx.Auth):
    """Sign a fresh internal token for each request that does not carry one already."""

    def __init__(self, signing_key: Ed25519PrivateKey, default: Principal) -> None:
        self._signing_key = signing_key
        self.default = default

    def mint(self, who: Principal, *, ttl: int = 60) -> str:
        """Return a token for ``who`` signed with the key the app accepts."""
        return mint_internal_token(
            self._signing_key,
            sub=who.sub,
            roles=who.roles,
            scope=who.scopes,
            user_id=who.user_id,
            request_id=who.request_id or f"test-{uuid.uuid4().hex[:12]}",
            ttl=ttl,
        )

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if INTERNAL_TOKEN_HEADER not in request.headers:
            request.headers[INTERNAL_TOKEN_HEADER] = self.mint(self.default)
        yield request


def _accepted_signing_key(state: SubgraphState) -> Ed25519PrivateKey:
    accepted = state.internal_token_keys.public_keys
    for candidate in (signing_key_for_tests(), state.internal_token_keys.signing_key):
        if candidate is not None and internal_key_id(candidate.public_key()) in accepted:
            return candidate
    raise RuntimeError(
        "the app accepts neither the test key nor its development key: configure it with "
        "subgraphs.kit.testing.key_environment_for_tests(...)"
    )


@asynccontextmanager
async def running_app(
    app: FastAPI, *, principal: Principal = TEST_PRINCIPAL
) -> AsyncIterator[httpx.AsyncClient]:
    """Start ``app`` (lifespan included) and yield a client that calls it in-process.

    The client authenticates every request as ``principal`` (see the module docstring).
    """
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        auth = InternalTokenAuth(_accepted_signing_key(state_of(app)), principal)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://subgraph", auth=auth
        ) as client:
            yield client


class HostRouterTransport(httpx.AsyncBaseTransport):
    """Send each request to the in-process app named by its host (``http://users/graphql``).

    For a subgraph that checks several owners in one test: give it
    ``owner_transport=HostRouterTransport({"users": users_app, "investments": investments_app})``
    and owner URLs such as ``http://users/graphql``. Unknown hosts fail like an unreachable
    server (``httpx.ConnectError``). The apps must be running (:func:`running_app`).
    """

    def __init__(self, apps: dict[str, FastAPI]) -> None:
        self._transports = {host: httpx.ASGITransport(app=app) for host, app in apps.items()}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        transport = self._transports.get(request.url.host)
        if transport is None:
            raise httpx.ConnectError(f"no app for host {request.url.host}", request=request)
        return await transport.handle_async_request(request)


def state_of(app: FastAPI) -> SubgraphState:
    """Return the running app's state (its engine, encryption services, ...)."""
    state: SubgraphState = app.state.subgraph
    return state


@dataclass
class GraphQLResult:
    """A GraphQL response body, with shortcuts for assertions."""

    status_code: int
    body: dict[str, Any]

    @property
    def data(self) -> Any:
        return self.body.get("data")

    @property
    def errors(self) -> list[dict[str, Any]]:
        return list(self.body.get("errors") or [])

    @property
    def codes(self) -> list[str | None]:
        return [(error.get("extensions") or {}).get("code") for error in self.errors]

    def ok(self) -> Any:
        """Return ``data`` after checking that there were no errors."""
        assert self.status_code == 200, self.body
        assert not self.errors, self.errors
        return self.data

    def error(self) -> dict[str, Any]:
        """Return the single error of a refused operation."""
        assert len(self.errors) == 1, self.body
        return self.errors[0]


async def execute(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    path: str = "/graphql",
    principal: Principal | None = None,
    token: str | None = None,
    authenticated: bool = True,
) -> GraphQLResult:
    """POST one GraphQL operation and return its result.

    ``principal`` sends it as someone else than the client's default; ``token`` sends exactly
    that internal token; ``authenticated=False`` sends none.
    """
    headers: dict[str, str] = {}
    if token is not None:
        headers[INTERNAL_TOKEN_HEADER] = token
    elif principal is not None:
        if not isinstance(client.auth, InternalTokenAuth):
            raise TypeError("principal= needs a client from running_app()")
        headers[INTERNAL_TOKEN_HEADER] = client.auth.mint(principal)
    body = {"query": query, "variables": variables or {}}
    if authenticated:
        response = await client.post(path, json=body, headers=headers)
    else:
        response = await client.post(path, json=body, auth=httpx.Auth())
    return GraphQLResult(response.status_code, response.json())


@dataclass
class QueryCounter:
    """The SQL statements an engine ran while counting (transaction control excluded)."""

    statements: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.statements)

    def selects(self) -> list[str]:
        return [s for s in self.statements if s.lstrip().upper().startswith("SELECT")]


@contextmanager
def count_queries(engine: AsyncEngine) -> Iterator[QueryCounter]:
    """Count the statements ``engine`` executes inside the ``with`` block."""
    counter = QueryCounter()

    def before_cursor_execute(
        _conn: Any, _cursor: Any, statement: str, *_args: Any, **_kwargs: Any
    ) -> None:
        counter.statements.append(statement)

    sync_engine = engine.sync_engine
    event.listen(sync_engine, "before_cursor_execute", before_cursor_execute)
    try:
        yield counter
    finally:
        event.remove(sync_engine, "before_cursor_execute", before_cursor_execute)
