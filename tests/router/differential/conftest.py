"""Fixtures for the differential tests: stand-in subgraphs, Hive Gateway, our router.

The tests need Node.js and ``tools/node`` installed (``make install``): without them they skip with
the reason, and CI (REQUIRE_NODE=1) fails instead of skipping.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from router.http import create_app
from router.settings import RouterSettings
from router.supergraph import Supergraph
from tests.conftest import node_tools_dir
from tests.router.auth_support import client_headers, security_settings
from tests.router.hive_gateway import RunningHive, run_hive_gateway
from tests.router.standins import RunningFleet, serve_in_thread
from tests.router.standins import schemas as standin_schemas
from tests.router.subgraph_validity import validate_app_requests


@pytest.fixture(scope="module")
def node_tools() -> Path:
    directory = node_tools_dir()
    if directory is None:
        pytest.skip(
            "Node.js or tools/node/node_modules missing (make install): Hive Gateway comparison off"
        )
    if not (directory / "node_modules" / ".bin" / "hive-gateway").exists():
        pytest.fail("tools/node is installed but has no hive-gateway: rerun make install")
    return directory


@pytest.fixture(scope="module")
def fleet() -> Iterator[RunningFleet]:
    with serve_in_thread() as running:
        yield running


@pytest.fixture(scope="module")
def hive(node_tools: Path, fleet: RunningFleet) -> Iterator[RunningHive]:
    with run_hive_gateway(node_tools, fleet.supergraph_sdl()) as running:
        yield running


@pytest.fixture
async def reference(hive: RunningHive) -> AsyncIterator[httpx.AsyncClient]:
    origin = hive.url.removesuffix("/graphql")
    async with httpx.AsyncClient(base_url=origin, timeout=30) as client:
        yield client


@pytest.fixture
async def ours(fleet: RunningFleet, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    # An authenticated, preflighted client: the comparison is about GraphQL over HTTP, and Hive
    # Gateway (no authentication, no CSRF prevention by default) answers such requests the same.
    security = security_settings(tmp_path)
    app = create_app(
        Supergraph.from_sdl(fleet.supergraph_sdl()), RouterSettings(), security=security
    )
    async with app.router.lifespan_context(app):
        # every subgraph operation our router sends is checked against that subgraph's schema
        validate_app_requests(app, {n: s._schema for n, s in standin_schemas().items()})
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://router.test",
            timeout=30,
            headers=client_headers(security),
        ) as client:
            yield client
