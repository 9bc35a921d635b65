"""Settings of the compliance subgraph (environment prefix ``COMPLIANCE_``, default port 4004)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from subgraphs.kit import SubgraphSettings

__all__ = ["ComplianceSettings"]


class ComplianceSettings(SubgraphSettings):
    """``COMPLIANCE_DATABASE_URL``, ``COMPLIANCE_PORT``, ``COMPLIANCE_USERS_URL``, ...

    The three owner URLs are where a log's subjects are checked before it is written
    (docs/decisions/0008-compliance-hash-chain.md). See :class:`~subgraphs.kit.SubgraphSettings`
    for the inherited settings.
    """

    model_config = SettingsConfigDict(
        env_prefix="COMPLIANCE_", extra="ignore", populate_by_name=True, frozen=True
    )

    subgraph: ClassVar[str] = "compliance"
    port: int = 4004
    users_url: str = Field(
        default="http://127.0.0.1:4001/graphql",
        description="GraphQL URL of the users subgraph, asked whether a log's user exists.",
    )
    investments_url: str = Field(
        default="http://127.0.0.1:4002/graphql",
        description="GraphQL URL of the investments subgraph, asked whether a log's account "
        "exists.",
    )
    transactions_url: str = Field(
        default="http://127.0.0.1:4003/graphql",
        description="GraphQL URL of the transactions subgraph, asked whether a log's "
        "transaction exists.",
    )
