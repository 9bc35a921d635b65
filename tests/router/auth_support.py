"""Authenticated access to our router in tests that are about something else than security.

The router refuses anonymous callers and CSRF-prone requests (tests/router/security tests that);
tests of GraphQL semantics, differential comparisons and integration runs use these helpers to be
a well-behaved client: a development token from the data folder's secret and a preflight header.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from router.auth import SecuritySettings, load_or_create_dev_secret, mint_dev_token


def security_settings(data_dir: Path, **overrides: Any) -> SecuritySettings:
    """Security settings for a test router: development keys in ``data_dir``."""
    return SecuritySettings(data_dir=data_dir, **overrides)


def client_headers(
    security: SecuritySettings,
    *roles: str,
    user_id: str | None = None,
    scope: tuple[str, ...] = ("pii:read",),
) -> dict[str, str]:
    """Headers of a well-behaved client: a bearer token (default role admin) and a preflight."""
    secret = load_or_create_dev_secret(security.keys_dir)
    token = mint_dev_token(secret, roles=roles or ("admin",), user_id=user_id, scope=scope)
    return {"authorization": f"Bearer {token}", "apollo-require-preflight": "true"}
