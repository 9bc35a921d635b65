"""The router's side of router -> subgraph trust: sign an internal token per client request.

The signing key is ``ROUTER_INTERNAL_SIGNING_KEY`` (PEM text) or
``ROUTER_INTERNAL_SIGNING_KEY_FILE``; in development, without either, the pair in
``<data_dir>/keys/internal-token(.pub).pem`` (created on first use, shared with the subgraphs'
development default). In production a missing key is a startup error, never a generated one.
"""

from __future__ import annotations

import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from crypto.internal_token import (
    InternalTokenMinter,
    load_or_create_dev_keypair,
    load_private_key,
)
from router.auth.settings import SecuritySettings
from router.auth.verifier import Caller

__all__ = ["InternalTokenSigner", "load_signing_key"]


def load_signing_key(settings: SecuritySettings) -> Ed25519PrivateKey:
    """Return the Ed25519 key that signs internal tokens, as ``settings`` configure it."""
    if settings.internal_signing_key is not None:
        return load_private_key(
            settings.internal_signing_key.get_secret_value(), source="ROUTER_INTERNAL_SIGNING_KEY"
        )
    if settings.internal_signing_key_file is not None:
        path = settings.internal_signing_key_file
        return load_private_key(path.read_bytes(), source=str(path))
    if settings.production:
        raise ValueError(
            "ROUTER_ENV=production needs ROUTER_INTERNAL_SIGNING_KEY or "
            "ROUTER_INTERNAL_SIGNING_KEY_FILE (no development key is generated in production)"
        )
    private_key, _ = load_or_create_dev_keypair(settings.keys_dir)
    return private_key


class InternalTokenSigner:
    """Mints the ``X-Internal-Token`` that tells subgraphs who the caller is.

    A token names the caller, not the request: one is minted per caller identity and reused
    while it has at least half its lifetime left (ADR 0013), because an Ed25519 signature was the
    largest single cost of a request the router had already planned. The request id travels next
    to it, in ``X-Request-Id``, which the subgraphs read when a token carries no ``rid``.
    """

    def __init__(
        self, private_key: Ed25519PrivateKey, *, ttl_seconds: int = 60, cache_size: int = 10_000
    ) -> None:
        self._minter = InternalTokenMinter(private_key, ttl=ttl_seconds)
        # Reused for half its life, so a token always has at least ttl/2 left when it is sent:
        # far more than a request (subgraph read timeout: 10 s) needs, owner checks included.
        self._reuse_seconds = ttl_seconds / 2
        self._cache_size = cache_size
        # Insertion-ordered: the oldest entries are dropped first when the cache is full.
        self._tokens: dict[Caller, tuple[str, float]] = {}

    def mint_for_router(self, purpose: str) -> str:
        """Return a token for the router's own requests (readiness probes): no role, no scope.

        Subgraphs accept it as authenticated, and their policies grant a caller without a role
        nothing beyond what needs no authorization (``{ __typename }``).
        """
        return self._minter.mint(sub=f"router:{purpose}", roles=(), scope="")

    def mint(self, caller: Caller) -> str:
        """Return a valid internal token for ``caller``: a recent one of theirs, or a new one."""
        # The reuse deadline runs on the monotonic clock: a wall clock stepped back must not
        # keep a token in use past its exp.
        now = time.monotonic()
        held = self._tokens.get(caller)
        if held is not None and now < held[1]:
            return held[0]
        token = self._minter.mint(
            sub=caller.sub,
            roles=caller.roles,
            scope=caller.scopes,
            user_id=caller.user_id,
        )
        if held is None:
            while self._tokens and len(self._tokens) >= self._cache_size:
                del self._tokens[next(iter(self._tokens))]
        # iat is a whole second (up to 1 s earlier than now): counted from there.
        self._tokens[caller] = (token, now - 1 + self._reuse_seconds)
        return token
