"""Settings of the transactions subgraph (environment prefix ``TRANSACTIONS_``, port 4003)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from subgraphs.kit import SubgraphSettings

__all__ = ["TransactionsSettings"]


class TransactionsSettings(SubgraphSettings):
    """``TRANSACTIONS_DATABASE_URL``, ``_PORT``, ``_INVESTMENTS_URL``, ... (see the base)."""

    model_config = SettingsConfigDict(
        env_prefix="TRANSACTIONS_", extra="ignore", populate_by_name=True, frozen=True
    )

    subgraph: ClassVar[str] = "transactions"
    port: int = 4003
    investments_url: str = Field(
        default="http://127.0.0.1:4002/graphql",
        description="GraphQL URL of the investments subgraph, which owns the accounts.",
    )
