"""The migrations create exactly what the models describe, on each backend."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from subgraphs.kit.migrations import migration_drift
from subgraphs.kit.testing import state_of
from subgraphs.transactions.models import Base


async def test_migrated_database_matches_the_models(
    client: httpx.AsyncClient, transactions_app: FastAPI
) -> None:
    # `client` started the app, which migrated the empty database at start-up.
    drift = await migration_drift(state_of(transactions_app).database.engine, Base.metadata)
    assert drift == []
