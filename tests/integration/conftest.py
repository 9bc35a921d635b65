"""Fixtures of the integration suite: one running system (four subgraphs + router) per session."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.integration.integration_support import Api
from tests.integration.integration_system import IntegrationSystem, running_integration_system


@pytest.fixture(scope="session")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IntegrationSystem]:
    # One system for the whole suite: starting five servers per test would dominate its run time.
    # Tests therefore create the data they read (fresh users, unique e-mails) and never rely on
    # global counts.
    with running_integration_system(tmp_path_factory.mktemp("integration-data")) as running:
        yield running


@pytest.fixture
async def api(system: IntegrationSystem) -> AsyncIterator[Api]:
    async with httpx.AsyncClient(
        base_url=system.router_url, timeout=30, headers=system.bearer()
    ) as client:
        yield Api(client)
