"""Fixtures shared by every subgraph's tests.

``database_url`` gives each test a fresh, empty database on each backend: a SQLite file in the
test's temporary folder always, and a new PostgreSQL database on the server of
``TEST_POSTGRES_URL`` when one is available (CI always has one: REQUIRE_POSTGRES makes its absence
a failure, not a skip). The app under test creates the tables itself, through its migrations.

A subgraph's own conftest builds its app on top::

    @pytest.fixture
    async def client(database_url, tmp_path):
        app = create_app(UsersSettings(database_url=database_url, data_dir=tmp_path),
                         encryption_services=make_encryption_services("users"))
        async with running_app(app) as client:
            yield client
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import postgres_url
from tests.subgraphs.support import create_postgres_database, drop_postgres_database

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database backend of this test run: ``sqlite`` or ``postgresql``."""
    name: str = request.param
    if name == "postgresql" and postgres_url() is None:
        pytest.skip("no PostgreSQL server: set TEST_POSTGRES_URL (CI does)")
    return name


@pytest.fixture
async def database_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh empty database for this test, on this run's backend."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'subgraph.sqlite3'}"
        return
    url = await create_postgres_database("wt_test")
    try:
        yield url
    finally:
        await drop_postgres_database(url)
