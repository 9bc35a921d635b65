"""Fixtures for the HTTP tests: stand-in subgraphs on a real loopback port, the router app."""

from __future__ import annotations

import functools
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from router.auth import SecuritySettings, load_or_create_dev_secret, mint_dev_token
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
    """Run the router app in-process (its lifespan included) and return a client for it.

    The client is an authenticated (development admin token), CSRF-safe one: these tests are about
    GraphQL over HTTP; the security layer itself is tested in tests/router/security.
    """
    with tempfile.TemporaryDirectory() as data_dir:
        security = SecuritySettings(data_dir=Path(data_dir))
        supergraph = Supergraph.from_sdl(fleet.supergraph_sdl())
        app = create_app(supergraph, RouterSettings(**settings), security=security)
        token = mint_dev_token(load_or_create_dev_secret(security.keys_dir), roles=["admin"])
        headers = {"authorization": f"Bearer {token}", "apollo-require-preflight": "true"}
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://router.test", headers=headers
            ) as client:
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
