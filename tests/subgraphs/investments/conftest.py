"""Fixtures of the investments subgraph tests: the real app, with the real users app as its owner.

Each test gets two fresh databases (one per subgraph, as in production) and both apps running
in-process; the investments app reaches the users app through an ASGI transport,
over the same ``_entities`` call it makes in production.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from crypto import EncryptionServices
from subgraphs.investments.app import create_app
from subgraphs.investments.settings import InvestmentsSettings
from subgraphs.kit.testing import running_app
from subgraphs.users.app import create_app as create_users_app
from subgraphs.users.settings import UsersSettings
from tests.subgraphs.investments.investments_support import USERS_URL
from tests.subgraphs.support import make_encryption_services


@pytest.fixture
def users_database_url(tmp_path: Path) -> str:
    """The users subgraph's own database: always SQLite.

    Only the investments database is under test here (it follows the run's backend); the users
    app is the real owner but where it keeps its rows does not matter, and a second PostgreSQL
    database per test would double the suite's time.
    """
    return f"sqlite+aiosqlite:///{tmp_path / 'users.sqlite3'}"


@pytest.fixture
def users_app(users_database_url: str, tmp_path: Path) -> FastAPI:
    """The real users app (the owner of User), on its own database."""
    settings = UsersSettings(database_url=users_database_url, data_dir=tmp_path / "users")
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
    users_client: httpx.AsyncClient,
) -> FastAPI:
    settings = InvestmentsSettings(
        database_url=database_url, data_dir=tmp_path / "investments", users_url=USERS_URL
    )
    # users_client keeps the users app running; owner checks reach it through a real ASGI call.
    return create_app(
        settings,
        encryption_services=encryption_services,
        owner_transport=httpx.ASGITransport(app=users_app),
    )


@pytest.fixture
async def client(investments_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with running_app(investments_app) as client:
        yield client
