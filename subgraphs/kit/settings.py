"""Settings shared by every subgraph; each subgraph subclasses them with its own prefix.

A subgraph's settings come from the environment under its prefix (``USERS_``, ``INVESTMENTS_``,
``TRANSACTIONS_``, ``COMPLIANCE_``), e.g. ``USERS_DATABASE_URL`` or ``USERS_PORT``. The data folder
is shared and unprefixed: ``WEALTHTECH_DATA_DIR`` (default ``./data``). It holds the default
SQLite databases and the generated development keys, and is never committed.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["SubgraphSettings", "async_database_url"]


def async_database_url(url: str) -> str:
    """Return ``url`` with an async driver (PostgreSQL -> asyncpg, SQLite -> aiosqlite).

    People paste the URLs their tools print (``postgres://...``); the service only speaks async.
    """
    for plain, driver in (
        ("postgres://", "postgresql+asyncpg://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgresql+psycopg2://", "postgresql+asyncpg://"),
        ("sqlite://", "sqlite+aiosqlite://"),
    ):
        if url.startswith(plain):
            return driver + url[len(plain) :]
    return url


class SubgraphSettings(BaseSettings):
    """Base settings; a subclass sets ``subgraph``, ``env_prefix`` and the default ``port``.

    Example::

        class UsersSettings(SubgraphSettings):
            model_config = SettingsConfigDict(env_prefix="USERS_")
            subgraph: ClassVar[str] = "users"
            port: int = 4001
    log_level: str = Field(
        default="info", description="uvicorn's log level (critical, error, warning, info, debug)."
    )
    workers: int = Field(
        default=1, ge=1, description="Processes serving the subgraph on one socket (serve)."
    )
    """

    model_config = SettingsConfigDict(
        env_prefix="SUBGRAPH_", extra="ignore", populate_by_name=True, frozen=True
    )

    subgraph: ClassVar[str] = "subgraph"

    data_dir: Path = Field(
        default=Path("data"),
        validation_alias="WEALTHTECH_DATA_DIR",
        description="Folder for the default SQLite databases and development keys.",
    )
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: a SQLite file in the data folder."
    )
    host: str = "127.0.0.1"
    port: int = 4001
    log_level: str = Field(
        default="info", description="uvicorn's log level (critical, error, warning, info, debug)."
    )
    workers: int = Field(
        default=1, ge=1, description="Processes serving the subgraph on one socket (serve)."
    )
    migrate_on_startup: bool = Field(
        default=True, description="Apply pending Alembic migrations when the service starts."
    )
    owner_timeout_seconds: float = Field(
        default=5.0, gt=0, description="Timeout of one check against an owning subgraph."
    )
    sql_echo: bool = False
    # Router -> subgraph trust and the access audit (see subgraphs/kit/authentication.py, audit.py).
    internal_token_public_keys: str | None = Field(
        default=None,
        description="PEM public keys (Ed25519) whose internal tokens are accepted; "
        "default: the development pair in the data folder.",
    )
    internal_token_public_keys_file: Path | None = None
    audit_signing_key: SecretStr | None = Field(
        default=None, description="PEM Ed25519 key the audit relay signs its service tokens with."
    )
    audit_signing_key_file: Path | None = None
    audit_url: str = Field(
        default="http://127.0.0.1:4004/graphql",
        description="The compliance subgraph, where DATA_ACCESS events are relayed.",
    )
    audit_relay_enabled: bool = Field(
        default=True, description="Run the background task that relays the audit outbox."
    )
    audit_relay_interval_seconds: float = Field(
        default=2.0, gt=0, description="How often the relay looks for pending events when idle."
    )

    @property
    def env_name(self) -> str:
        """The prefix without its trailing underscore, as the key loaders expect (``USERS``)."""
        prefix = str(self.model_config.get("env_prefix", ""))
        return prefix.rstrip("_").upper()

    @property
    def keys_dir(self) -> Path:
        """Where development keyrings are generated when no key is configured."""
        return self.data_dir / "keys"

    def resolved_database_url(self) -> str:
        """Return the async database URL: as configured, or ``<data_dir>/<subgraph>.sqlite3``."""
        if self.database_url:
            return async_database_url(self.database_url)
        path = (self.data_dir / f"{self.subgraph}.sqlite3").resolve()
        return f"sqlite+aiosqlite:///{path}"
