"""Fixtures of the investments subgraph tests: the real app, with the real users app as its owner.

Each test gets two empty databases on its backend (``investments`` and ``users``, one per
subgraph as in production) and both apps running in-process; the investments app reaches the
users app by host (``http://users/graphql``) through the kit's ``HostRouterTransport``, over the
same ``_entities`` call it makes in production.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from crypto import EncryptionServices
from subgraphs.kit.testing import running_app
from subgraphs.users.app import create_app as create_users_app
from subgraphs.users.settings import UsersSettings
from tests.subgraphs.investments.investments_support import make_investments_app
from tests.subgraphs.support import make_encryption_services


@pytest.fixture
def database_name() -> str:
    return "investments"


@pytest.fixture
async def users_app(make_database_url: Callable[[str], Awaitable[str]], tmp_path: Path) -> FastAPI:
    """The real users app (the owner of User), on its own database."""
    settings = UsersSettings(
        database_url=await make_database_url("users"), data_dir=tmp_path / "users"
    )
    return create_users_app(settings, encryption_services=make_encryption_services("users"))


@pytest.fixture
async def users_client(users_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the running users app; while it is open, the app's lifespan runs."""
    async with running_app(users_app) as client:
        yield client


@pytest.fixture
def encryption_services() -> EncryptionServices:
    return make_encryption_services("investments")


@pytest.fixture
def investments_app(
    database_url: str,
    tmp_path: Path,
    encryption_services: EncryptionServices,
    users_app: FastAPI,
    users_client: httpx.AsyncClient,  # keeps the users app running
) -> FastAPI:
    return make_investments_app(
        database_url, tmp_path / "investments", encryption_services, {"users": users_app}
    )


@pytest.fixture
async def client(investments_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with running_app(investments_app) as client:
        yield client
