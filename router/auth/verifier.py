"""Verify a caller's ``Authorization: Bearer <JWT>`` and turn its claims into a :class:`Caller`.

The token's header says which algorithm it claims; that claim is only used to pick the *kind* of
key, never trusted on its own:

* ``HS256`` verifies against the shared secret only (development secret or
  ``ROUTER_JWT_HS256_SECRET``), never against a public key, so the classic confusion (an HMAC
  "signed" with a published RSA key) has nothing to verify against;
* ``RS256`` / ``ES256`` verify only against the JWKS key named by ``kid``, and only when that key
  is of the matching type (a JWKS entry is bound to one algorithm when the set is parsed);
* anything else, ``none`` included, or an algorithm not in ``ROUTER_JWT_ALGORITHMS``, is refused.

PyJWT then checks the signature with exactly that one algorithm, and ``exp`` (required), ``nbf``,
``iss`` and ``aud`` (required) with a small leeway. Every refusal raises
:class:`AuthenticationError` with a generic client message; ``reason`` is for logs only.

A token that verified is remembered (exact token text -> caller, bounded in count and for at most
``cache_seconds``), so a client sending the same token on every request pays for its signature
once: decoding and checking it again cost more CPU than the rest of a cached single-subgraph
request. A remembered token is still refused the moment it expires or before its ``nbf``; only
refusals never cached. The price: a key removed from the JWKS keeps accepting the tokens it
already verified for up to ``cache_seconds`` (ADR 0013); ``cache_seconds=0`` switches it off.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

import jwt

from router.auth.keys import JwksKeys
from router.auth.settings import ROLES

__all__ = ["AuthenticationError", "Caller", "TokenVerifier"]

_MAX_TOKEN_LENGTH = 8192
_KNOWN_ROLES = frozenset(ROLES)


class AuthenticationError(Exception):
    """No usable caller token. ``str()`` is safe for clients; ``reason`` is for logs."""

    def __init__(self, reason: str, message: str = "A valid bearer token is required.") -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class Caller:
    """The authenticated caller, as its token describes it."""

    sub: str
    roles: frozenset[str]
    scopes: frozenset[str]
    user_id: str | None = None


class _Verified(NamedTuple):
    caller: Caller
    not_before: float  # nbf - leeway, wall clock (-inf without nbf)
    expires: float  # exp + leeway, wall clock
    forget_at: float  # when the cache stops vouching for the token, monotonic clock


class TokenVerifier:
    """Checks caller tokens against the configured secret and/or JWKS."""

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        algorithms: Iterable[str],
        hs256_secret: bytes | None = None,
        jwks: JwksKeys | None = None,
        leeway_seconds: int = 30,
        cache_seconds: float = 60.0,
        cache_size: int = 10_000,
    ) -> None:
        allowed = frozenset(algorithms)
        if "HS256" in allowed and hs256_secret is None:
            allowed -= {"HS256"}
        if jwks is None:
            allowed -= {"RS256", "ES256"}
        if not allowed:
            raise ValueError("no token algorithm has a key: configure a secret or a JWKS")
        if hs256_secret is not None and len(hs256_secret) < 32:
            raise ValueError("the HS256 secret must be at least 32 bytes")
        self._allowed = allowed
        self._issuer = issuer
        self._audience = audience
        self._secret = hs256_secret
        self._jwks = jwks
        self._leeway = leeway_seconds
        self._cache_seconds = cache_seconds
        self._cache_size = cache_size
        # Insertion-ordered: the oldest entries are dropped first when the cache is full.
        self._verified: dict[str, _Verified] = {}

    @property
    def algorithms(self) -> frozenset[str]:
        return self._allowed

    async def verify(self, token: str) -> Caller:
        """Return the caller of a valid ``token``; raise :class:`AuthenticationError` if not."""
        remembered = self._verified.get(token)
        if remembered is not None:
            if time.monotonic() < remembered.forget_at:
                now = time.time()
                if now >= remembered.expires:
                    raise AuthenticationError("expired", "The bearer token has expired.")
                if now < remembered.not_before:
                    raise AuthenticationError("not yet valid")
                return remembered.caller
            del self._verified[token]
        if not token or len(token) > _MAX_TOKEN_LENGTH:
            raise AuthenticationError("token empty or too long")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise AuthenticationError("malformed token header") from exc
        algorithm = header.get("alg")
        if not isinstance(algorithm, str) or algorithm not in self._allowed:
            raise AuthenticationError(f"algorithm {str(algorithm)[:16]!r} not allowed")
        key = await self._key_for(algorithm, header.get("kid"))
        options: Any = {"require": ["exp", "iss", "aud", "sub"]}
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options=options,
            )
        except jwt.ExpiredSignatureError as exc:
            raise AuthenticationError("expired", "The bearer token has expired.") from exc
        except jwt.ImmatureSignatureError as exc:
            raise AuthenticationError("not yet valid") from exc
        except jwt.InvalidAudienceError as exc:
            raise AuthenticationError("wrong audience") from exc
        except jwt.InvalidIssuerError as exc:
            raise AuthenticationError("wrong issuer") from exc
        except jwt.InvalidSignatureError as exc:
            raise AuthenticationError("bad signature") from exc
        except jwt.PyJWTError as exc:
            raise AuthenticationError(f"invalid token ({type(exc).__name__})") from exc
        caller = _caller(claims)
        self._remember(token, caller, claims)
        return caller

    def _remember(self, token: str, caller: Caller, claims: dict[str, Any]) -> None:
        if self._cache_seconds <= 0 or self._cache_size <= 0:
            return
        exp = claims["exp"]  # required, and PyJWT checked that it is a number
        nbf = claims.get("nbf")
        # int(), as PyJWT compares them.
        not_before = int(nbf) - self._leeway if isinstance(nbf, int | float) else float("-inf")
        while len(self._verified) >= self._cache_size:
            del self._verified[next(iter(self._verified))]
        self._verified[token] = _Verified(
            caller,
            not_before,
            int(exp) + self._leeway,
            time.monotonic() + self._cache_seconds,
        )

    async def _key_for(self, algorithm: str, kid: Any) -> Any:
        if algorithm == "HS256":
            return self._secret
        if self._jwks is None or not isinstance(kid, str) or not kid:
            raise AuthenticationError("no kid for an asymmetric token")
        try:
            entry = await self._jwks.get(kid)
        except Exception as exc:  # the JWKS source is down and we never had keys
            raise AuthenticationError("JWKS unavailable") from exc
        if entry is None:
            raise AuthenticationError("unknown kid")
        if entry.algorithm != algorithm:
            raise AuthenticationError("algorithm does not match the key type")
        return entry.key


def _caller(claims: dict[str, Any]) -> Caller:
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise AuthenticationError("claim sub missing")
    roles = claims.get("roles", [])
    if isinstance(roles, str):
        roles = roles.split()
    if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
        raise AuthenticationError("claim roles must be a list of strings")
    scope = claims.get("scope", "")
    if not isinstance(scope, str):
        raise AuthenticationError("claim scope must be a space-separated string")
    user_id = claims.get("user_id")
    if user_id is not None and not isinstance(user_id, str):
        raise AuthenticationError("claim user_id must be a string")
    # Unknown role names grant nothing; they are dropped rather than passed on to subgraphs.
    return Caller(
        sub=sub,
        roles=frozenset(roles) & _KNOWN_ROLES,
        scopes=frozenset(scope.split()),
        user_id=user_id,
    )
