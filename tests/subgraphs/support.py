"""Helpers shared by the subgraph tests: fresh keys, and throwaway PostgreSQL databases."""

from __future__ import annotations

import uuid

import asyncpg
from sqlalchemy.engine import make_url

from crypto import BlindIndexKeyring, EncryptionServices, Keyring
from tests.conftest import postgres_url

__all__ = [
    "create_postgres_database",
    "drop_postgres_database",
    "empty_postgres_database",
    "make_encryption_services",
]


def make_encryption_services(subgraph: str) -> EncryptionServices:
    """Fresh random keys for one test (the way a deployment's keys are independent)."""
    return EncryptionServices(subgraph, Keyring.generate(), BlindIndexKeyring.generate())


def _server_dsn(url: str) -> str:
    # asyncpg wants a plain postgresql:// DSN, without SQLAlchemy's "+driver".
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def create_postgres_database(prefix: str) -> str:
    """Create an empty database on the test server and return its SQLAlchemy async URL."""
    server = postgres_url()
    assert server is not None
    name = f"{prefix}_{uuid.uuid4().hex[:16]}"
    connection = await asyncpg.connect(_server_dsn(server))
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    url = make_url(server).set(drivername="postgresql+asyncpg", database=name)
    return url.render_as_string(hide_password=False)


async def drop_postgres_database(url: str) -> None:
    """Drop a database made by :func:`create_postgres_database` (closing stray connections)."""
    server = postgres_url()
    assert server is not None
    name = make_url(url).database
    connection = await asyncpg.connect(_server_dsn(server))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


async def empty_postgres_database(url: str) -> None:
    """Reset a test database to empty: drop and recreate its ``public`` schema.

    Cheaper than a new database per test, and unlike truncating it also repairs whatever a test
    did to the schema itself (a dropped table, a half-applied migration): the app under test
    migrates the empty schema again at start-up.
    """
    connection = await asyncpg.connect(_server_dsn(url))
    try:
        await connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    finally:
        await connection.close()
