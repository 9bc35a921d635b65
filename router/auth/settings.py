"""Security settings of the router (``ROUTER_`` prefix): tokens, keys, limits, browser switches.

Kept apart from :class:`router.settings.RouterSettings` (the serving side) so the security pieces
can be configured and tested on their own. ``ROUTER_ENV=production`` changes three defaults:
introspection and GraphiQL are off, and no development secret or key is ever generated (the
HS256 secret, the JWKS and the internal signing key must then be configured explicitly).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

__all__ = ["DEV_AUDIENCE", "DEV_ISSUER", "ROLES", "SecuritySettings"]

# What `wealthtech token` puts in development tokens, and what the router expects by default.
DEV_ISSUER = "wealthtech-dev"
DEV_AUDIENCE = "wealthtech-router"
ROLES = ("client", "advisor", "compliance", "admin")


def _split(value: object) -> object:
    # ROUTER_CORS_ORIGINS=https://a.example,https://b.example (comma-separated lists).
    if isinstance(value, str):
        text = value.strip()
        return [item.strip() for item in text.split(",") if item.strip()]
    return value


class SecuritySettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ROUTER_", extra="ignore", populate_by_name=True, frozen=True
    )

    env: Literal["development", "production"] = "development"
    data_dir: Path = Field(
        default=Path("data"),
        validation_alias=AliasChoices("WEALTHTECH_DATA_DIR", "data_dir"),
        description="Folder of the development secret and keys (<data_dir>/keys).",
    )

    # -- caller authentication -----------------------------------------------------------------
    # required: every /graphql and /api/* request needs a valid caller token (what `wealthtech up`
    # runs). off: no caller token is needed or checked, for a router in front of subgraphs that
    # authenticate nobody (a general gateway); an internal token is then sent only when a signing
    # key is configured, for the fixed identity below. `python -m router` warns loudly at startup.
    auth_mode: Literal["required", "off"] = "required"
    anonymous_roles: Annotated[tuple[str, ...], NoDecode] = ()
    anonymous_scopes: Annotated[tuple[str, ...], NoDecode] = ()

    # -- caller tokens -------------------------------------------------------------------------
    jwt_hs256_secret: SecretStr | None = None
    jwt_jwks_file: Path | None = None
    jwt_jwks_url: str | None = None
    jwt_issuer: str = DEV_ISSUER
    jwt_audience: str = DEV_AUDIENCE
    # Accepted algorithms; each is tied to one key type (HS256: the shared secret only; RS256: RSA
    # keys only; ES256: P-256 keys only), so "none" or a key of the wrong kind can never verify.
    jwt_algorithms: Annotated[tuple[Literal["HS256", "RS256", "ES256"], ...], NoDecode] = (
        "HS256",
        "RS256",
        "ES256",
    )
    jwt_leeway_seconds: int = Field(default=30, ge=0, le=300)
    # How long a verified caller token is remembered (0: verify every request; ADR 0013).
    jwt_cache_seconds: float = Field(default=60.0, ge=0, le=3600)
    jwt_cache_size: int = Field(default=10_000, ge=0)
    jwks_cache_seconds: float = Field(default=300.0, gt=0)
    # A token naming an unknown kid refetches the JWKS at most this often (key rotation).
    jwks_refetch_interval_seconds: float = Field(default=30.0, ge=0)
    jwks_fetch_timeout_seconds: float = Field(default=5.0, gt=0)

    # -- router -> subgraph internal token -----------------------------------------------------
    internal_signing_key: SecretStr | None = None
    internal_signing_key_file: Path | None = None
    internal_token_ttl_seconds: int = Field(default=60, ge=5, le=3600)

    # -- limits (0 turns one off) --------------------------------------------------------------
    max_body_bytes: int = Field(default=1_048_576, ge=0)
    max_query_depth: int = Field(default=12, ge=0)
    max_aliases: int = Field(default=30, ge=0)
    max_query_tokens: int = Field(default=3000, ge=0)
    max_page_size: int = Field(default=100, ge=0)

    # -- browser-facing switches ---------------------------------------------------------------
    introspection: bool | None = None  # None: on in development, off in production
    graphiql: bool | None = None  # None: on in development, off in production
    csrf_prevention: bool = True
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)

    _split_lists = field_validator(
        "cors_origins", "jwt_algorithms", "anonymous_roles", "anonymous_scopes", mode="before"
    )(_split)

    @property
    def authentication_required(self) -> bool:
        return self.auth_mode == "required"

    @property
    def internal_key_configured(self) -> bool:
        return self.internal_signing_key is not None or self.internal_signing_key_file is not None

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def introspection_enabled(self) -> bool:
        return (not self.production) if self.introspection is None else self.introspection

    @property
    def graphiql_enabled(self) -> bool:
        return (not self.production) if self.graphiql is None else self.graphiql

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"
