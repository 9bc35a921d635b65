"""Helpers for subgraph tests: run the real app in-process, send GraphQL, count SQL queries.

Nothing here fakes the service: :func:`running_app` runs the app's real lifespan (engine,
migrations, keys) and talks to it through ``httpx.ASGITransport``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from .app import SubgraphState

__all__ = [
    "GraphQLResult",
    "HostRouterTransport",
    "QueryCounter",
    "count_queries",
    "execute",
    "running_app",
    "state_of",
]


@asynccontextmanager
async def running_app(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Start ``app`` (lifespan included) and yield a client that calls it in-process."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://subgraph") as client:
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
) -> GraphQLResult:
    """POST one GraphQL operation and return its result."""
    response = await client.post(path, json={"query": query, "variables": variables or {}})
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
