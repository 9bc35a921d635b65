"""Alembic environment of the compliance subgraph (``python -m subgraphs.compliance migrate``)."""

from subgraphs.compliance.models import Base
from subgraphs.kit.migrations import run_alembic_env

run_alembic_env(Base.metadata)
