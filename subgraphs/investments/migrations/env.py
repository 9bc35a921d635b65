"""Alembic environment of the investments subgraph (``python -m subgraphs.investments migrate``)."""

from subgraphs.investments.models import Base
from subgraphs.kit.migrations import run_alembic_env

run_alembic_env(Base.metadata)
