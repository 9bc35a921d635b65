"""Alembic environment of the users subgraph (run through ``python -m subgraphs.users migrate``)."""

from subgraphs.kit.migrations import run_alembic_env
from subgraphs.users.models import Base

run_alembic_env(Base.metadata)
