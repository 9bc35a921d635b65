"""Development caller tokens: HS256 with the router's development secret.

Used by ``wealthtech token`` and by tests. Nothing here is needed in production, where tokens come
from the identity provider (RS256/ES256, verified against its JWKS).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable

import jwt

from router.auth.settings import DEV_AUDIENCE, DEV_ISSUER, ROLES

__all__ = ["mint_dev_token"]


def mint_dev_token(
    secret: bytes,
    *,
    roles: Iterable[str],
    sub: str | None = None,
    user_id: str | None = None,
    scope: str | Iterable[str] = "",
    ttl_seconds: int = 3600,
    issuer: str = DEV_ISSUER,
    audience: str = DEV_AUDIENCE,
    now: float | None = None,
) -> str:
    """Return an HS256 caller token for the router's development secret."""
    listed = sorted(set(roles))
    unknown = set(listed) - set(ROLES)
    if not listed or unknown:
        raise ValueError(f"roles must be among {', '.join(ROLES)}")
    if ttl_seconds <= 0:
        raise ValueError("ttl must be positive")
    issued = int(time.time() if now is None else now)
    scope_text = scope if isinstance(scope, str) else " ".join(sorted(set(scope)))
    claims = {
        "iss": issuer,
        "aud": audience,
        "sub": sub or (f"user:{user_id}" if user_id else f"dev:{listed[0]}"),
        "roles": listed,
        "scope": scope_text,
        "user_id": user_id,
        "iat": issued,
        "nbf": issued,
        "exp": issued + ttl_seconds,
        "jti": secrets.token_urlsafe(12),
    }
    return jwt.encode(claims, secret, algorithm="HS256")
