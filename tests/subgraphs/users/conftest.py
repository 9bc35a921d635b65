"""Fixtures of the users subgraph tests: the real app on a fresh database, on each backend."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from crypto import EncryptionServices
from subgraphs.kit.testing import running_app
from subgraphs.users.app import create_app
from subgraphs.users.settings import UsersSettings
from tests.subgraphs.support import make_encryption_services


@pytest.fixture
def encryption_services() -> EncryptionServices:
    return make_encryption_services("users")


@pytest.fixture
def users_app(
    database_url: str, tmp_path: Path, encryption_services: EncryptionServices
) -> FastAPI:
    settings = UsersSettings(database_url=database_url, data_dir=tmp_path)
    return create_app(settings, encryption_services=encryption_services)


@pytest.fixture
async def client(users_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with running_app(users_app) as client:
        yield client


@pytest.fixture
def database_name() -> str:
    return "users"
