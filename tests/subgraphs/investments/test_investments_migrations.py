"""The hand-written migration builds exactly the tables the models declare, on each backend."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from subgraphs.investments.models import OPEN_ISA_INDEX, Base
from subgraphs.kit.migrations import migration_drift
from subgraphs.kit.testing import running_app, state_of


def _unique_indexes(connection: Connection) -> set[str]:
    indexes = inspect(connection).get_indexes("investment_accounts")
    return {str(index["name"]) for index in indexes if index["unique"]}


async def test_migrated_schema_matches_the_models(investments_app: FastAPI) -> None:
    async with running_app(investments_app):
        engine = state_of(investments_app).database.engine
        assert await migration_drift(engine, Base.metadata) == []
        async with engine.connect() as connection:
            # Alembic does not compare partial-index predicates; the constraint tests exercise it.
            assert OPEN_ISA_INDEX in await connection.run_sync(_unique_indexes)
