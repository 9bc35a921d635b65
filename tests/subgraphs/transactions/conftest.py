"""Fixtures of the transactions tests: the real app on a fresh database, on each backend, with
its account owner served by a stand-in investments subgraph (see transactions_support.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from crypto import EncryptionServices
from subgraphs.kit.testing import running_app
from subgraphs.transactions.app import create_app
from subgraphs.transactions.settings import TransactionsSettings
from tests.subgraphs.support import make_encryption_services
from tests.subgraphs.transactions.transactions_support import StandInInvestments

INVESTMENTS_URL = "http://investments.test/graphql"


@pytest.fixture
def database_name() -> str:
    return "transactions"


@pytest.fixture
def encryption_services() -> EncryptionServices:
    return make_encryption_services("transactions")


@pytest.fixture
def investments() -> StandInInvestments:
    return StandInInvestments()


@pytest.fixture
def transactions_app(
    database_url: str,
    tmp_path: Path,
    encryption_services: EncryptionServices,
    investments: StandInInvestments,
) -> FastAPI:
    settings = TransactionsSettings(
        database_url=database_url, data_dir=tmp_path, investments_url=INVESTMENTS_URL
    )
    return create_app(
        settings,
        encryption_services=encryption_services,
        owner_transport=httpx.ASGITransport(app=investments.app()),
    )


@pytest.fixture
async def client(transactions_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with running_app(transactions_app) as client:
        yield client


@pytest.fixture
def account(investments: StandInInvestments) -> str:
    """An ACTIVE GBP account."""
    return investments.add()
