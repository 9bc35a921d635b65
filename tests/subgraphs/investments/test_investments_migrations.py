"""The hand-written migration builds exactly the tables the models declare, on each backend."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi import FastAPI
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from subgraphs.investments.models import OPEN_ISA_INDEX, Base
from subgraphs.kit.testing import running_app, state_of


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def _indexes(connection: Connection) -> dict[str, bool]:
    indexes = inspect(connection).get_indexes("investment_accounts")
    return {index["name"]: bool(index["unique"]) for index in indexes if index["name"]}


async def test_migrated_schema_matches_the_models(investments_app: FastAPI) -> None:
    async with running_app(investments_app):
        engine = state_of(investments_app).database.engine
        async with engine.connect() as connection:
            differences = await connection.run_sync(_differences)
            indexes = await connection.run_sync(_indexes)
    assert differences == []
    assert indexes[OPEN_ISA_INDEX] is True
