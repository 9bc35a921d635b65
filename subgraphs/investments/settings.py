"""Settings of the investments subgraph (environment prefix ``INVESTMENTS_``, default port 4002)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from subgraphs.kit import SubgraphSettings

__all__ = ["InvestmentsSettings"]


class InvestmentsSettings(SubgraphSettings):
    """``INVESTMENTS_DATABASE_URL``, ``INVESTMENTS_PORT``, ``INVESTMENTS_USERS_URL``, ...

    See :class:`~subgraphs.kit.SubgraphSettings` for the inherited settings.
    """

    model_config = SettingsConfigDict(
        env_prefix="INVESTMENTS_", extra="ignore", populate_by_name=True, frozen=True
    )

    subgraph: ClassVar[str] = "investments"
    port: int = 4002
    users_url: str = Field(
        default="http://127.0.0.1:4001/graphql",
        description="GraphQL URL of the users subgraph, asked whether an account's user exists.",
    )
