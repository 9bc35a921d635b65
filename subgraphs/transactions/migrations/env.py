"""Alembic environment of the transactions subgraph (``python -m subgraphs.transactions migrate``)."""

from subgraphs.kit.migrations import run_alembic_env
from subgraphs.transactions.models import Base

run_alembic_env(Base.metadata)
