"""Who is calling: every ``/graphql`` request must carry a valid internal token.

The router verifies the caller's own token and forwards its identity as a short-lived internal
token (:mod:`crypto.internal_token`) in the ``X-Internal-Token`` header. A subgraph holds only the
router's public keys, so a direct call to its port without such a token reads nothing: the
request is refused before any database session is opened, with HTTP 401 and a GraphQL-shaped
body (``{"errors": [{"message": ..., "extensions": {"code": "UNAUTHENTICATED"}}]}``), which the
router's subgraph client re-paths like any subgraph error. ``/healthz`` stays open. The request
id the access audit records is the token's ``rid``, or else the ``X-Request-Id`` header (the
router sends it beside a token it reuses for one caller across requests).

Keys (``<PREFIX>`` is the subgraph's settings prefix, e.g. ``USERS``):

* ``<PREFIX>_INTERNAL_TOKEN_PUBLIC_KEYS`` (PEM text, several keys for rotation) or
  ``<PREFIX>_INTERNAL_TOKEN_PUBLIC_KEYS_FILE``; without either, the development pair in
  ``<data_dir>/keys/internal-token(.pub).pem`` (created on first run by whoever needs it first);
* ``<PREFIX>_AUDIT_SIGNING_KEY`` / ``..._FILE``: the Ed25519 key the access-audit relay signs its
  ``service`` tokens with (its public half must be among the compliance subgraph's keys). In
  development it is the same development pair; with public keys configured and no signing key
  the relay cannot authenticate and audit events stay pending (never lost).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from fastapi import Request
from fastapi.responses import JSONResponse

from crypto import (
    INTERNAL_TOKEN_HEADER,
    REQUEST_ID_HEADER,
    InvalidInternalToken,
    KeyConfigurationError,
    Principal,
    internal_key_id,
    is_valid_request_id,
    load_or_create_dev_keypair,
    load_private_key,
    load_public_keys,
    verify_internal_token,
)

if TYPE_CHECKING:
    from .settings import SubgraphSettings

__all__ = [
    "AuthenticationFailed",
    "Caller",
    "InternalTokenKeys",
    "authenticate",
    "load_internal_token_keys",
    "unauthenticated_response",
    "verify_caller",
]

log = logging.getLogger(__name__)

UNAUTHENTICATED_MESSAGE = "A valid internal token is required (X-Internal-Token)."
UNAUTHENTICATED_ERRORS = {
    "errors": [{"message": UNAUTHENTICATED_MESSAGE, "extensions": {"code": "UNAUTHENTICATED"}}]
}


@dataclass(frozen=True)
class InternalTokenKeys:
    """The public keys a subgraph accepts, and the key its audit relay signs with (if any)."""

    public_keys: Mapping[str, Ed25519PublicKey]
    signing_key: Ed25519PrivateKey | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        return (
            f"InternalTokenKeys(key_ids={sorted(self.public_keys)}, "
            f"can_sign={self.signing_key is not None})"
        )


@dataclass(frozen=True)
class Caller:
    """A verified request: the principal, and the token itself (forwarded on owner checks)."""

    principal: Principal
    token: str = field(repr=False)


class AuthenticationFailed(Exception):
    """Raised by :func:`authenticate`; the app renders it as HTTP 401."""


def _read(text: str | None, path: object, name: str) -> str | None:
    if text:
        return text
    if path is not None:
        try:
            with open(str(path), encoding="utf-8") as handle:
                return handle.read()
        except OSError as exc:
            raise KeyConfigurationError(f"{name}: cannot read the file") from exc
    return None


def load_internal_token_keys(settings: SubgraphSettings) -> InternalTokenKeys:
    """Build the subgraph's token keys from its settings (or the development pair)."""
    prefix = settings.env_name
    public_text = _read(
        settings.internal_token_public_keys,
        settings.internal_token_public_keys_file,
        f"{prefix}_INTERNAL_TOKEN_PUBLIC_KEYS_FILE",
    )
    secret = settings.audit_signing_key
    signing_text = _read(
        secret.get_secret_value() if secret is not None else None,
        settings.audit_signing_key_file,
        f"{prefix}_AUDIT_SIGNING_KEY_FILE",
    )
    signing = (
        load_private_key(signing_text, source=f"{prefix}_AUDIT_SIGNING_KEY")
        if signing_text
        else None
    )
    if public_text:
        keys = load_public_keys(public_text, source=f"{prefix}_INTERNAL_TOKEN_PUBLIC_KEYS")
    else:
        dev_private, dev_public = load_or_create_dev_keypair(settings.keys_dir)
        keys = [dev_public]
        signing = signing or dev_private
    return InternalTokenKeys({internal_key_id(key): key for key in keys}, signing)


def authenticate(request: Request) -> Caller:
    """FastAPI dependency: verify the request's internal token or refuse it (401)."""
    keys: InternalTokenKeys = request.app.state.subgraph.internal_token_keys
    return verify_caller(
        keys, request.headers.get(INTERNAL_TOKEN_HEADER), request.headers.get(REQUEST_ID_HEADER)
    )


def verify_caller(keys: InternalTokenKeys, token: str | None, request_id: str | None) -> Caller:
    """Verify an internal token (and the ``X-Request-Id`` beside it) or raise AuthenticationFailed.

    Shared by both HTTP paths of ``/graphql``: the lean ``POST`` endpoint and FastAPI's.
    """
    try:
        principal = verify_internal_token(token, keys.public_keys)
    except InvalidInternalToken as exc:
        # The reason is for operators; the caller learns only that it was refused.
        log.info("internal token refused: %s", exc.reason)
        raise AuthenticationFailed from exc
    assert token is not None  # verify_internal_token refuses a missing token
    if principal.request_id is None and is_valid_request_id(request_id):
        # The router's tokens name the caller, not the request (it reuses one per caller for
        # a while, ADR 0013): the request id comes beside the token, for the access audit.
        principal = dataclasses.replace(principal, request_id=request_id)
    return Caller(principal, token)


def unauthenticated_response(_request: Request, _exc: Exception) -> JSONResponse:
    """Answer 401 with a GraphQL error body with ``extensions.code`` ``UNAUTHENTICATED``."""
    return JSONResponse(
        UNAUTHENTICATED_ERRORS, status_code=401, headers={"WWW-Authenticate": INTERNAL_TOKEN_HEADER}
    )
