"""The hand-written migrations build exactly the tables the models declare, on each backend."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from subgraphs.compliance.models import Base
from subgraphs.kit.migrations import migration_drift
from subgraphs.kit.testing import state_of


async def test_migrated_schema_matches_the_models(
    client: httpx.AsyncClient, compliance_app: FastAPI
) -> None:
    engine = state_of(compliance_app).database.engine
    assert await migration_drift(engine, Base.metadata) == []
    async with engine.connect() as connection:
        version = await connection.scalar(text("SELECT version_num FROM alembic_version"))
    assert version == "0005_create_idempotency"
