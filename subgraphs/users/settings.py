"""Settings of the users subgraph (environment prefix ``USERS_``, default port 4001)."""

from __future__ import annotations

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from subgraphs.kit import SubgraphSettings

__all__ = ["UsersSettings"]


class UsersSettings(SubgraphSettings):
    """``USERS_DATABASE_URL``, ``USERS_PORT``, ``USERS_HOST``, ... (see SubgraphSettings)."""

    model_config = SettingsConfigDict(
        env_prefix="USERS_", extra="ignore", populate_by_name=True, frozen=True
    )

    subgraph: ClassVar[str] = "users"
    port: int = 4001
