"""Build the token verifier and the internal token signer from :class:`SecuritySettings`."""

from __future__ import annotations

import httpx

from router.auth.internal import InternalTokenSigner, load_signing_key
from router.auth.keys import JwksKeys, load_or_create_dev_secret
from router.auth.settings import SecuritySettings
from router.auth.verifier import TokenVerifier

__all__ = ["build_signer", "build_verifier", "hs256_secret"]


def hs256_secret(settings: SecuritySettings) -> bytes | None:
    """Return the HS256 secret: configured, else (development only) generated in the data folder."""
    if "HS256" not in settings.jwt_algorithms:
        return None
    if settings.jwt_hs256_secret is not None:
        return settings.jwt_hs256_secret.get_secret_value().encode("utf-8")
    if settings.production:
        return None  # production never generates a secret: HS256 needs an explicit one
    return load_or_create_dev_secret(settings.keys_dir)


def build_verifier(
    settings: SecuritySettings, *, jwks_transport: httpx.AsyncBaseTransport | None = None
) -> TokenVerifier:
    """Return the caller-token verifier; ``ValueError`` explains a configuration with no key."""
    jwks: JwksKeys | None = None
    if settings.jwt_jwks_file is not None or settings.jwt_jwks_url is not None:
        if settings.jwt_jwks_file is not None and settings.jwt_jwks_url is not None:
            raise ValueError("set ROUTER_JWT_JWKS_FILE or ROUTER_JWT_JWKS_URL, not both")
        url = settings.jwt_jwks_url
        if url is not None and settings.production and not url.lower().startswith("https://"):
            # Keys fetched in the clear could be swapped on the way: anyone could then mint tokens.
            raise ValueError("ROUTER_ENV=production needs an https:// ROUTER_JWT_JWKS_URL")
        jwks = JwksKeys(
            file=settings.jwt_jwks_file,
            url=settings.jwt_jwks_url,
            cache_seconds=settings.jwks_cache_seconds,
            refetch_interval_seconds=settings.jwks_refetch_interval_seconds,
            timeout_seconds=settings.jwks_fetch_timeout_seconds,
            transport=jwks_transport,
        )
    return TokenVerifier(
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        algorithms=settings.jwt_algorithms,
        hs256_secret=hs256_secret(settings),
        jwks=jwks,
        leeway_seconds=settings.jwt_leeway_seconds,
        cache_seconds=settings.jwt_cache_seconds,
        cache_size=settings.jwt_cache_size,
    )


def build_signer(settings: SecuritySettings) -> InternalTokenSigner:
    """Return the internal token signer (``ValueError`` when production has no key)."""
    return InternalTokenSigner(
        load_signing_key(settings), ttl_seconds=settings.internal_token_ttl_seconds
    )
