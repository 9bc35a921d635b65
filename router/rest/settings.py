"""Settings of the REST shims, read from the environment with the router's ``ROUTER_`` prefix."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["RestSettings", "async_database_url"]


def async_database_url(url: str) -> str:
    """Return ``url`` with the async driver SQLAlchemy needs (aiosqlite, asyncpg)."""
    if url.startswith("sqlite:"):
        return "sqlite+aiosqlite:" + url[len("sqlite:") :]
    for prefix in ("postgresql:", "postgres:"):
        if url.startswith(prefix):
            return "postgresql+asyncpg:" + url[len(prefix) :]
    return url


class RestSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ROUTER_", extra="ignore")

    data_dir: Path = Field(
        default=Path("data"),
        validation_alias=AliasChoices("WEALTHTECH_DATA_DIR", "data_dir"),
        description="Folder of the default SQLite idempotency database.",
    )
    # Where the router keeps the responses of POSTs sent with an Idempotency-Key (not
    # POST /api/transaction, whose subgraph keeps its own keys). Default: SQLite in the data folder.
    idempotency_database_url: str | None = None
    # How long a stored response is replayed for the same key.
    idempotency_retention_seconds: int = Field(default=24 * 3600, ge=1)
    # How long a key stays "in progress" before a crashed request's reservation may be taken over.
    idempotency_lock_seconds: float = Field(default=60.0, gt=0)

    def resolved_idempotency_url(self) -> str:
        """Return the async SQLAlchemy URL of the idempotency store."""
        if self.idempotency_database_url:
            return async_database_url(self.idempotency_database_url)
        path = (self.data_dir / "router-idempotency.sqlite3").resolve()
        return f"sqlite+aiosqlite:///{path}"
