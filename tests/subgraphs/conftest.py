"""Fixtures shared by every subgraph's tests.

``database_url`` gives each test an empty database on each backend: a SQLite file in the test's
temporary folder always, and a PostgreSQL database on the server of ``TEST_POSTGRES_URL`` when one
is available (CI always has one: REQUIRE_POSTGRES makes its absence a failure, not a skip). The app
under test creates the tables itself, through its migrations. A subgraph's conftest overrides
``database_name`` (e.g. ``"users"``); a test that also needs an owner's database asks
``make_database_url("users")`` for it.

A subgraph's own conftest builds its app on top::

    @pytest.fixture
    async def client(database_url, tmp_path):
        app = create_app(UsersSettings(database_url=database_url, data_dir=tmp_path),
                         encryption_services=make_encryption_services("users"))
        async with running_app(app) as client:
            yield client
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from subgraphs.kit.testing import key_environment_for_tests
from tests.conftest import postgres_url
from tests.subgraphs.support import (
    create_postgres_database,
    drop_postgres_database,
    empty_postgres_database,
)

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
SUBGRAPH_PREFIXES = ("USERS", "INVESTMENTS", "TRANSACTIONS", "COMPLIANCE", "SUBGRAPH")


@pytest.fixture(autouse=True)
def internal_token_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every subgraph of a test trust the test key, and keep the audit relay task off.

    Apps built in one test share the key, so an owner check forwarding the caller's token is
    verified by the owner for real. Tests of the relay turn it on (or call ``relay_once``).
    """
    for name, value in key_environment_for_tests(*SUBGRAPH_PREFIXES).items():
        monkeypatch.setenv(name, value)
    for prefix in SUBGRAPH_PREFIXES:
        monkeypatch.setenv(f"{prefix}_AUDIT_RELAY_ENABLED", "false")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database backend of this test run: ``sqlite`` or ``postgresql``."""
    name: str = request.param
    if name == "postgresql" and postgres_url() is None:
        pytest.skip("no PostgreSQL server: set TEST_POSTGRES_URL (CI does)")
    return name


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[dict[str, str]]:
    """PostgreSQL databases made during this test session, by name; dropped at its end."""
    made: dict[str, str] = {}
    yield made
    if made:

        async def drop_all() -> None:
            for url in made.values():
                await drop_postgres_database(url)

        # A thread of its own: the session may end while an event loop is still set on this one.
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(asyncio.run, drop_all()).result()


DatabaseFactory = Callable[[str], Awaitable[str]]


@pytest.fixture
def make_database_url(
    backend: str, tmp_path: Path, postgres_databases: dict[str, str]
) -> DatabaseFactory:
    """Return ``make(name)``: the URL of an empty database called ``name`` for this test.

    SQLite: a new file in the test's folder. PostgreSQL: one database per name for the whole
    session, emptied (its schema dropped and recreated) each time a test asks for it, which is
    much faster than creating a database per test. Use each name once per test.
    """

    async def make(name: str) -> str:
        if backend == "sqlite":
            return f"sqlite+aiosqlite:///{tmp_path / f'{name}.sqlite3'}"
        url = postgres_databases.get(name)
        if url is None:
            url = await create_postgres_database(f"wt_test_{name}")
            postgres_databases[name] = url
        else:
            await empty_postgres_database(url)
        return url

    return make


@pytest.fixture
def database_name() -> str:
    """The name of the database of the subgraph under test (override in a subgraph's conftest)."""
    return "subgraph"


@pytest.fixture
async def database_url(make_database_url: DatabaseFactory, database_name: str) -> str:
    """An empty database for this test's subgraph, on this run's backend."""
    return await make_database_url(database_name)
