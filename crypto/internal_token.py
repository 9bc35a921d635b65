"""The router -> subgraph internal token: a short-lived compact JWS signed with Ed25519 (EdDSA).

The router verifies the caller's own token, then tells each subgraph who the caller is in one of
these, sent as the ``X-Internal-Token`` header. A subgraph holds only public keys, so a direct call
to its port without a token minted by the router (or by an operator for a standard gateway)
reads nothing.

Format (RFC 7515 compact serialisation, RFC 8037 EdDSA)::

    base64url({"alg": "EdDSA", "typ": "JWT", "kid": <key id>}) . base64url(claims) . base64url(sig)

Claims: ``iss`` "wealthtech-router", ``aud`` "wealthtech-subgraph", ``sub``, ``roles`` (list),
``scope`` (space-separated), ``user_id`` (or null), ``rid`` (request id, or null: the router
reuses one token per caller and sends the request id beside it), ``iat``, ``nbf``, ``exp``
(``iat`` + ttl, 60 s by default) and ``jti``.

Why no general JWT library: the verifier accepts exactly one algorithm and one key type, so the
classic confusions (``alg: none``, an HMAC "signed" with the public key, a key picked by trying
each) cannot happen by construction: the header's ``alg`` must be ``EdDSA``, the ``kid`` must name
one of the configured keys (the RFC 7638 thumbprint of the public key, so nobody has to keep key
ids in sync), and only that key is tried. Every refusal raises :class:`InvalidInternalToken` with
one generic message; the reason is on ``.reason`` for logs, and nothing of the token is echoed.

Keys: :func:`load_private_key` / :func:`load_public_keys` read PEM text (several public keys in one
text are allowed, for rotation); :func:`load_or_create_dev_keypair` generates a development pair on
first run (race-safe, never overwrites) into ``<keys_dir>/internal-token.pem`` and
``internal-token.pub.pem``.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import os
import re
import secrets
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from crypto.errors import CryptoError, KeyConfigurationError

__all__ = [
    "INTERNAL_TOKEN_AUDIENCE",
    "INTERNAL_TOKEN_HEADER",
    "INTERNAL_TOKEN_ISSUER",
    "REQUEST_ID_HEADER",
    "InternalTokenMinter",
    "InvalidInternalToken",
    "Principal",
    "internal_key_id",
    "is_valid_request_id",
    "load_or_create_dev_keypair",
    "load_private_key",
    "load_public_keys",
    "mint_internal_token",
    "verify_internal_token",
]

# Names, not secrets (ruff S105 reads "TOKEN" as a password).
INTERNAL_TOKEN_ISSUER = "wealthtech-router"  # noqa: S105
INTERNAL_TOKEN_AUDIENCE = "wealthtech-subgraph"  # noqa: S105
INTERNAL_TOKEN_HEADER = "X-Internal-Token"  # noqa: S105
# The request id travels beside the token (the router reuses one token per caller): what the
# router sends, and all a subgraph accepts as an id, is 1-128 of these characters.
REQUEST_ID_HEADER = "X-Request-Id"
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
DEV_PRIVATE_KEY_FILE = "internal-token.pem"
DEV_PUBLIC_KEY_FILE = "internal-token.pub.pem"

_ALGORITHM = "EdDSA"
_MAX_TOKEN_LENGTH = 8192  # far above any real token; refuses absurd headers before any parsing
_PEM_PUBLIC = re.compile(
    r"-----BEGIN PUBLIC KEY-----.+?-----END PUBLIC KEY-----", re.DOTALL | re.ASCII
)
_INVALID_MESSAGE = "invalid internal token"


class InvalidInternalToken(CryptoError):
    """The internal token is missing, malformed, forged, expired or not meant for us.

    ``str()`` is always the same generic message; ``reason`` says which check failed (for logs,
    never for clients) and never contains any part of the token.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(_INVALID_MESSAGE)
        self.reason = reason


@dataclass(frozen=True)
class Principal:
    """Who the caller is, as the router vouched for it."""

    sub: str
    roles: frozenset[str]
    scopes: frozenset[str]
    user_id: str | None = None
    request_id: str | None = None
    token_id: str | None = field(default=None, repr=False)
    expires_at: int | None = field(default=None, repr=False)

    def has_role(self, *roles: str) -> bool:
        """Whether the principal holds any of ``roles``."""
        return not self.roles.isdisjoint(roles)

    def has_scope(self, scope: str) -> bool:
        """Whether the principal was granted ``scope``."""
        return scope in self.scopes


# -- keys ------------------------------------------------------------------------------------


def is_valid_request_id(value: str | None) -> bool:
    """Whether ``value`` is a request id the router would send (safe to log and to record)."""
    return value is not None and _REQUEST_ID.fullmatch(value) is not None


def internal_key_id(public_key: Ed25519PublicKey) -> str:
    """Return the RFC 7638 JWK thumbprint of ``public_key`` (used as the token's ``kid``)."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    # RFC 7638: the required members in lexicographic order, no whitespace.
    jwk = '{"crv":"Ed25519","kty":"OKP","x":"' + _b64encode(raw) + '"}'
    return _b64encode(hashlib.sha256(jwk.encode("ascii")).digest())


def load_private_key(pem: str | bytes, *, source: str = "signing key") -> Ed25519PrivateKey:
    """Parse an unencrypted PKCS#8 PEM Ed25519 private key; errors name ``source`` only."""
    data = pem.encode("ascii") if isinstance(pem, str) else pem
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise KeyConfigurationError(f"{source}: not a PEM private key") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyConfigurationError(f"{source}: the internal token key must be Ed25519")
    return key


def load_public_keys(pem: str | bytes, *, source: str = "public keys") -> list[Ed25519PublicKey]:
    """Parse one or more PEM ``PUBLIC KEY`` blocks (Ed25519); several allow key rotation."""
    text = pem.decode("ascii", errors="replace") if isinstance(pem, bytes) else pem
    blocks = _PEM_PUBLIC.findall(text)
    if not blocks:
        raise KeyConfigurationError(f"{source}: no PEM public key found")
    keys: list[Ed25519PublicKey] = []
    for block in blocks:
        try:
            key = serialization.load_pem_public_key(block.encode("ascii"))
        except (ValueError, TypeError) as exc:
            raise KeyConfigurationError(f"{source}: malformed PEM public key") from exc
        if not isinstance(key, Ed25519PublicKey):
            raise KeyConfigurationError(f"{source}: internal token keys must be Ed25519")
        keys.append(key)
    return keys


def _write_new_file(path: Path, data: bytes, mode: int) -> None:
    """Write ``data`` to ``path`` unless it exists: temp file + hard link, so never half a file."""
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(temp_name, mode)
        # link() fails if the target exists: a concurrent starter's key is never overwritten.
        with contextlib.suppress(FileExistsError):
            os.link(temp_name, path)
    finally:
        os.unlink(temp_name)


def load_or_create_dev_keypair(keys_dir: Path) -> tuple[Ed25519PrivateKey, Ed25519PublicKey]:
    """Return the development signing pair in ``keys_dir``, generating it on first use.

    The private key goes to ``internal-token.pem`` (0600), the public one to
    ``internal-token.pub.pem``. Whoever starts first (router or a subgraph) creates them; a
    process that loses the race reads the winner's files. Existing files are never overwritten.
    """
    keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    private_path = keys_dir / DEV_PRIVATE_KEY_FILE
    public_path = keys_dir / DEV_PUBLIC_KEY_FILE
    if not private_path.exists():
        generated = Ed25519PrivateKey.generate()
        pem = generated.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        _write_new_file(private_path, pem, 0o600)
    private_key = load_private_key(private_path.read_bytes(), source=str(private_path))
    public_key = private_key.public_key()
    if not public_path.exists():
        public_pem = public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        _write_new_file(public_path, public_pem, 0o644)
    return private_key, public_key


# -- tokens ----------------------------------------------------------------------------------


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    if not text or not re.fullmatch(r"[A-Za-z0-9_-]+", text):
        raise InvalidInternalToken("malformed base64url segment")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise InvalidInternalToken("malformed base64url segment") from exc


def _epoch(now: datetime | float | None) -> float:
    if now is None:
        return time.time()
    if isinstance(now, datetime):
        return now.timestamp()
    return float(now)


def _compact_json(value: Mapping[str, Any]) -> bytes:
    # Sorted keys, no whitespace: the same claims always give the same bytes.
    return json.dumps(value, separators=(",", ":"), sort_keys=True).encode("utf-8")


class InternalTokenMinter:
    """Mints internal tokens with one signing key.

    The router mints one token per client request, so what does not change between tokens (the
    key id, a SHA-256 over the public key, and the encoded header) is computed once here.
    """

    def __init__(self, private_key: Ed25519PrivateKey, *, ttl: int = 60) -> None:
        if ttl <= 0:
            raise ValueError("ttl must be positive")
        self._key = private_key
        self._ttl = ttl
        header = {"alg": _ALGORITHM, "typ": "JWT", "kid": internal_key_id(private_key.public_key())}
        self._header_segment = _b64encode(_compact_json(header)) + "."

    def __repr__(self) -> str:
        return f"InternalTokenMinter(ttl={self._ttl})"

    def mint(
        self,
        *,
        sub: str,
        roles: Iterable[str],
        scope: str | Iterable[str] = "",
        user_id: str | None = None,
        request_id: str | None = None,
        now: datetime | float | None = None,
    ) -> str:
        """Return a signed internal token for the given caller, valid for the minter's ttl."""
        issued_at = int(_epoch(now))
        scope_text = scope if isinstance(scope, str) else " ".join(sorted(set(scope)))
        claims = {
            "iss": INTERNAL_TOKEN_ISSUER,
            "aud": INTERNAL_TOKEN_AUDIENCE,
            "sub": sub,
            "roles": sorted(set(roles)),
            "scope": scope_text,
            "user_id": user_id,
            "rid": request_id,
            "iat": issued_at,
            "nbf": issued_at,
            "exp": issued_at + self._ttl,
            "jti": secrets.token_urlsafe(12),
        }
        signing_input = self._header_segment + _b64encode(_compact_json(claims))
        signature = self._key.sign(signing_input.encode("ascii"))
        return f"{signing_input}.{_b64encode(signature)}"


def mint_internal_token(
    private_key: Ed25519PrivateKey,
    *,
    sub: str,
    roles: Iterable[str],
    scope: str | Iterable[str] = "",
    user_id: str | None = None,
    request_id: str | None = None,
    ttl: int = 60,
    now: datetime | float | None = None,
) -> str:
    """Return a signed internal token for the given caller, valid for ``ttl`` seconds.

    For one token; a process that mints many with the same key keeps an
    :class:`InternalTokenMinter`.
    """
    return InternalTokenMinter(private_key, ttl=ttl).mint(
        sub=sub, roles=roles, scope=scope, user_id=user_id, request_id=request_id, now=now
    )


def _key_set(
    public_keys: Mapping[str, Ed25519PublicKey] | Iterable[Ed25519PublicKey],
) -> Mapping[str, Ed25519PublicKey]:
    if isinstance(public_keys, Mapping):
        return public_keys
    return {internal_key_id(key): key for key in public_keys}


def _json_object(segment: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(_b64decode(segment))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInternalToken(f"{what} is not JSON") from exc
    if not isinstance(value, dict):
        raise InvalidInternalToken(f"{what} is not a JSON object")
    return value


def _number(claims: Mapping[str, Any], name: str) -> float:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInternalToken(f"claim {name} missing or not a number")
    return float(value)


def _string_list(value: Any, name: str) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InvalidInternalToken(f"claim {name} must be a list of strings")
    return frozenset(value)


def verify_internal_token(
    token: str | None,
    public_keys: Mapping[str, Ed25519PublicKey] | Iterable[Ed25519PublicKey],
    *,
    now: datetime | float | None = None,
    leeway: int = 5,
) -> Principal:
    """Check ``token``'s signature, issuer, audience and validity window; return its caller.

    ``public_keys`` is a list of accepted keys (or a mapping from key id to key, as
    :func:`internal_key_id` computes it, to save hashing on every request). Raises
    :class:`InvalidInternalToken` on any failure.
    """
    if not token or not isinstance(token, str):
        raise InvalidInternalToken("missing token")
    if len(token) > _MAX_TOKEN_LENGTH:
        raise InvalidInternalToken("token too long")
    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidInternalToken("not a compact JWS")
    header_b64, claims_b64, signature_b64 = parts
    header = _json_object(header_b64, "header")
    if header.get("alg") != _ALGORITHM:
        raise InvalidInternalToken("algorithm not allowed")
    if set(header) - {"alg", "typ", "kid"}:
        # "crit", "jku", "jwk", "x5u"...: nothing a subgraph should ever be told to fetch or trust
        raise InvalidInternalToken("unexpected header parameters")
    kid = header.get("kid")
    keys = _key_set(public_keys)
    key = keys.get(kid) if isinstance(kid, str) else None
    if key is None:
        raise InvalidInternalToken("unknown key id")
    try:
        key.verify(_b64decode(signature_b64), f"{header_b64}.{claims_b64}".encode("ascii"))
    except InvalidSignature as exc:
        raise InvalidInternalToken("bad signature") from exc
    claims = _json_object(claims_b64, "claims")
    if claims.get("iss") != INTERNAL_TOKEN_ISSUER:
        raise InvalidInternalToken("wrong issuer")
    audience = claims.get("aud")
    if audience != INTERNAL_TOKEN_AUDIENCE and not (
        isinstance(audience, list) and INTERNAL_TOKEN_AUDIENCE in audience
    ):
        raise InvalidInternalToken("wrong audience")
    current = _epoch(now)
    expires = _number(claims, "exp")
    if current > expires + leeway:
        raise InvalidInternalToken("expired")
    not_before = _number(claims, "nbf") if "nbf" in claims else _number(claims, "iat")
    if current + leeway < not_before or current + leeway < _number(claims, "iat"):
        raise InvalidInternalToken("not yet valid")
    sub = claims.get("sub")
    scope = claims.get("scope", "")
    user_id = claims.get("user_id")
    request_id = claims.get("rid")
    jti = claims.get("jti")
    if not isinstance(sub, str) or not sub:
        raise InvalidInternalToken("claim sub missing")
    if not isinstance(scope, str):
        raise InvalidInternalToken("claim scope must be a string")
    for name, value in (("user_id", user_id), ("rid", request_id), ("jti", jti)):
        if value is not None and not isinstance(value, str):
            raise InvalidInternalToken(f"claim {name} must be a string")
    return Principal(
        sub=sub,
        roles=_string_list(claims.get("roles"), "roles"),
        scopes=frozenset(scope.split()),
        user_id=user_id,
        request_id=request_id,
        token_id=jti,
        expires_at=int(expires),
    )
