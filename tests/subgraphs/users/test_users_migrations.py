"""The migrations create exactly what the models describe, on each backend."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import Column, MetaData, String

from subgraphs.kit.migrations import migration_drift
from subgraphs.kit.testing import state_of
from subgraphs.users.models import Base


async def test_migrated_database_matches_the_models(
    client: httpx.AsyncClient, users_app: FastAPI
) -> None:
    # `client` started the app, which migrated the empty database at start-up.
    drift = await migration_drift(state_of(users_app).database.engine, Base.metadata)
    assert drift == []


async def test_drift_is_reported(client: httpx.AsyncClient, users_app: FastAPI) -> None:
    # The check can fail: a model column without a migration shows up.
    changed = MetaData(naming_convention=Base.metadata.naming_convention)
    for other in Base.metadata.tables.values():  # every table, so only the new column differs
        other.to_metadata(changed)
    table = changed.tables["users"]
    table.append_column(Column("nickname", String(20), nullable=True))

    drift = await migration_drift(state_of(users_app).database.engine, changed)

    assert [(entry[0], entry[3].name) for entry in drift] == [("add_column", "nickname")]
