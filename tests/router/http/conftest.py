"""Fixtures for the HTTP tests: stand-in subgraphs on a real loopback port, the router app."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest

from router.http import create_app
from router.settings import RouterSettings
from router.supergraph import Supergraph
from tests.router.standins import RunningFleet, serve_in_thread


@pytest.fixture(scope="module")
def fleet() -> Iterator[RunningFleet]:
    with serve_in_thread() as running:
        yield running


@asynccontextmanager
async def router_client(fleet: RunningFleet, **settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    """Run the router app in-process (its lifespan included) and return a client for it."""
    app = create_app(Supergraph.from_sdl(fleet.supergraph_sdl()), RouterSettings(**settings))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://router.test") as client:
            yield client


RouterFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def router_factory(fleet: RunningFleet) -> RouterFactory:
    """Return ``factory(**settings)``: a router client whose settings differ from the defaults."""
    return functools.partial(router_client, fleet)


@pytest.fixture
async def router(fleet: RunningFleet) -> AsyncIterator[httpx.AsyncClient]:
    async with router_client(fleet) as client:
        yield client
