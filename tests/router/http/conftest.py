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

from crypto import load_or_create_dev_keypair
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
async def router_client(
    fleet: RunningFleet, *, production: bool = False, **settings: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """Run the router app in-process (its lifespan included) and return a client for it.

    The client is an authenticated (development admin token), CSRF-safe one: these tests are about
    GraphQL over HTTP; the security layer itself is tested in tests/router/security.
    ``production`` runs it with ``ROUTER_ENV=production`` (keys configured explicitly).
    """
    with tempfile.TemporaryDirectory() as data_dir:
        security = SecuritySettings(data_dir=Path(data_dir))
        secret = load_or_create_dev_secret(security.keys_dir)
        if production:
            load_or_create_dev_keypair(security.keys_dir)
            security = SecuritySettings(
                data_dir=Path(data_dir),
                env="production",
                jwt_hs256_secret=secret.decode("utf-8"),
                internal_signing_key_file=security.keys_dir / "internal-token.pem",
            )
        supergraph = Supergraph.from_sdl(fleet.supergraph_sdl())
        app = create_app(supergraph, RouterSettings(**settings), security=security)
        token = mint_dev_token(secret, roles=["admin"])
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
