"""``install_security(app, settings)``: put the security layer and CORS in front of the router."""

from __future__ import annotations

from collections.abc import Iterable

import httpx
from starlette.applications import Starlette
from starlette.middleware.cors import CORSMiddleware

from router.auth.factory import build_signer, build_verifier
from router.auth.settings import SecuritySettings
from router.auth.verifier import Caller
from router.headers import FRAMING_HEADERS
from router.limits import PREFLIGHT_HEADERS, Limits
from router.security.middleware import SecurityMiddleware

__all__ = ["anonymous_caller", "install_security", "limits_from"]

_CORS_HEADERS = (
    "authorization",
    "content-type",
    "idempotency-key",
    "x-request-id",
    *PREFLIGHT_HEADERS,
)


def limits_from(settings: SecuritySettings) -> Limits:
    return Limits(
        max_body_bytes=settings.max_body_bytes,
        max_query_depth=settings.max_query_depth,
        max_aliases=settings.max_aliases,
        max_query_tokens=settings.max_query_tokens,
        max_page_size=settings.max_page_size,
        introspection=settings.introspection_enabled,
    )


def anonymous_caller(settings: SecuritySettings) -> Caller:
    """Return the identity of every request when authentication is off (``ROUTER_ANONYMOUS_*``)."""
    return Caller(
        sub="anonymous",
        roles=frozenset(settings.anonymous_roles),
        scopes=frozenset(settings.anonymous_scopes),
    )


def install_security(
    app: Starlette,
    settings: SecuritySettings,
    *,
    forward_headers: Iterable[str] = (),
    jwks_transport: httpx.AsyncBaseTransport | None = None,
) -> None:
    """Add the security middleware (and CORS when origins are configured) to ``app``.

    Keys are loaded now, so a misconfiguration fails before the server listens. Refuses a
    ``forward_headers`` list that would send the caller's own ``Authorization`` to subgraphs
    (allowed only with authentication off, where the router verifies no token of its own).
    """
    installed: list[object] = [entry.cls for entry in app.user_middleware]
    if SecurityMiddleware in installed:
        # Two layers would each verify the token against their own keys and mint their own
        # internal token: refuse rather than run with whichever happens to be outermost.
        raise ValueError("the security layer is already installed on this app")
    forwarded = {name.lower() for name in forward_headers}
    framing = sorted(forwarded & FRAMING_HEADERS)
    if framing:
        # The subgraph client writes these itself: a forwarded copy would make the request's
        # framing ambiguous to the subgraph (two lengths, two hosts).
        raise ValueError(f"forward_headers must not include {', '.join(map(repr, framing))}")
    if "authorization" in forwarded and settings.authentication_required:
        raise ValueError(
            "forward_headers must not include 'authorization': subgraphs get the caller's "
            "identity in X-Internal-Token, never the caller's own token"
        )
    required = settings.authentication_required
    # With authentication off, no key is ever generated: a token is sent only when configured.
    signer = build_signer(settings) if required or settings.internal_key_configured else None
    if signer is not None:
        # The router's own subgraph requests (readiness probes) sign with the same key.
        app.state.internal_token_signer = signer
    app.add_middleware(
        SecurityMiddleware,
        verifier=build_verifier(settings, jwks_transport=jwks_transport) if required else None,
        signer=signer,
        # Off: a fixed identity only when there is a key to sign its token with; without one the
        # router knows no caller at all, and the subgraphs decide what an unknown caller gets.
        anonymous=None if required or signer is None else anonymous_caller(settings),
        limits=limits_from(settings),
        csrf_prevention=settings.csrf_prevention,
        graphiql=settings.graphiql_enabled,
    )
    if settings.cors_origins:
        # Added last, so it runs first: a preflight OPTIONS is answered before authentication.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PATCH"],
            allow_headers=list(_CORS_HEADERS),
            expose_headers=["location", "idempotent-replayed", "www-authenticate"],
            max_age=600,
        )
