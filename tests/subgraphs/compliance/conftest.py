"""Fixtures of the compliance tests: the real app on a fresh database, with its owners running.

The compliance database is this run's backend (SQLite, or PostgreSQL when available); the users
owner always runs on its own SQLite file, since only the compliance subgraph is under test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from crypto import EncryptionServices
from subgraphs.compliance.app import create_app
from subgraphs.compliance.settings import ComplianceSettings
from subgraphs.kit.testing import running_app
from subgraphs.users.app import create_app as create_users_app
from subgraphs.users.settings import UsersSettings
from tests.subgraphs.compliance.compliance_support import (
    INVESTMENTS_URL,
    TRANSACTIONS_URL,
    USERS_URL,
    OwnerRouter,
    Owners,
    stand_in_owner,
)
from tests.subgraphs.support import make_encryption_services


@pytest.fixture
def database_name() -> str:
    return "compliance"


@pytest.fixture
def encryption_services() -> EncryptionServices:
    return make_encryption_services("compliance")


@pytest.fixture
async def owners(tmp_path: Path) -> AsyncIterator[Owners]:
    users_app = create_users_app(
        UsersSettings(
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'users.sqlite3'}", data_dir=tmp_path
        ),
        encryption_services=make_encryption_services("users"),
    )
    accounts: dict[str, dict[str, str]] = {}
    transactions: dict[str, dict[str, str]] = {}
    async with running_app(users_app) as users_client:
        router = OwnerRouter(
            {
                httpx.URL(USERS_URL).host: httpx.ASGITransport(app=users_app),
                httpx.URL(INVESTMENTS_URL).host: httpx.ASGITransport(
                    app=stand_in_owner("InvestmentAccount", accounts)
                ),
                httpx.URL(TRANSACTIONS_URL).host: httpx.ASGITransport(
                    app=stand_in_owner("Transaction", transactions)
                ),
            }
        )
        yield Owners(users_client, router, accounts, transactions)


@pytest.fixture
def compliance_settings(database_url: str, tmp_path: Path) -> ComplianceSettings:
    return ComplianceSettings(
        database_url=database_url,
        data_dir=tmp_path,
        users_url=USERS_URL,
        investments_url=INVESTMENTS_URL,
        transactions_url=TRANSACTIONS_URL,
    )


@pytest.fixture
def compliance_app(
    compliance_settings: ComplianceSettings,
    encryption_services: EncryptionServices,
    owners: Owners,
) -> FastAPI:
    return create_app(
        compliance_settings,
        encryption_services=encryption_services,
        owner_transport=owners.router,
    )


@pytest.fixture
async def client(compliance_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with running_app(compliance_app) as client:
        yield client
