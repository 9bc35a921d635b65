"""Key material for caller tokens: the development HS256 secret and JSON Web Key Sets.

* :func:`load_or_create_dev_secret` reads ``<keys_dir>/jwt-dev-secret`` or creates it (256 random
  bits, mode 0600, temp file + link so two starting processes never overwrite each other).
* :func:`parse_jwks` turns a JWKS document into public keys by ``kid``, keeping only RSA (for
  RS256) and P-256 EC (for ES256) signing keys. Private members and symmetric keys are refused:
  a JWKS is public, and an ``oct`` key in it would let anyone who reads it mint tokens.
* :class:`JwksKeys` serves keys from a file or a URL; a URL is fetched with httpx, cached for a
  TTL, and refetched when a token names an unknown ``kid`` (key rotation), at most once per
  refetch interval so a stream of forged kids cannot turn the router into a request amplifier.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

__all__ = [
    "DEV_SECRET_FILE",
    "JwksError",
    "JwksKeys",
    "PublicKey",
    "load_or_create_dev_secret",
    "parse_jwks",
]

DEV_SECRET_FILE = "jwt-dev-secret"  # noqa: S105 - a file name, not a secret
_MIN_SECRET_BYTES = 32
_MAX_JWKS_BYTES = 1_048_576

PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey


class JwksError(Exception):
    """The JWKS could not be read or holds no usable key (message safe to log)."""


@dataclass(frozen=True)
class JwkEntry:
    """One usable public key of a JWKS and the only algorithm it may verify."""

    kid: str
    algorithm: str  # "RS256" or "ES256"
    key: PublicKey


def load_or_create_dev_secret(keys_dir: Path) -> bytes:
    """Return the development HS256 secret in ``keys_dir``, generating it on first use."""
    keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = keys_dir / DEV_SECRET_FILE
    if not path.exists():
        fd, temp_name = tempfile.mkstemp(dir=keys_dir, prefix=f".{DEV_SECRET_FILE}.")
        try:
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(secrets.token_urlsafe(48) + "\n")
            os.chmod(temp_name, 0o600)
            # link() refuses an existing target: a concurrent starter's secret is kept.
            with contextlib.suppress(FileExistsError):
                os.link(temp_name, path)
        finally:
            os.unlink(temp_name)
    secret = path.read_text(encoding="ascii").strip().encode("ascii")
    if len(secret) < _MIN_SECRET_BYTES:
        raise JwksError(f"{path}: the development secret is too short (need 32+ bytes)")
    return secret


def parse_jwks(document: Any) -> dict[str, JwkEntry]:
    """Return the RS256/ES256 public keys of a JWKS document by ``kid``."""
    if not isinstance(document, Mapping) or not isinstance(document.get("keys"), list):
        raise JwksError("a JWKS must be a JSON object with a 'keys' list")
    found: dict[str, JwkEntry] = {}
    for jwk in document["keys"]:
        if not isinstance(jwk, Mapping):
            continue
        entry = _entry(jwk)
        if entry is not None:
            found[entry.kid] = entry
    if not found:
        raise JwksError("the JWKS holds no usable RS256/ES256 signing key with a kid")
    return found


def _entry(jwk: Mapping[str, Any]) -> JwkEntry | None:
    kid = jwk.get("kid")
    kty = jwk.get("kty")
    if not isinstance(kid, str) or not kid or jwk.get("use", "sig") != "sig":
        return None
    if "d" in jwk or kty == "oct":
        raise JwksError(f"JWKS key {kid!r} is private or symmetric; a JWKS must be public")
    declared = jwk.get("alg")
    try:
        if kty == "RSA" and declared in (None, "RS256"):
            key: Any = RSAAlgorithm.from_jwk(dict(jwk))
            if isinstance(key, rsa.RSAPublicKey) and key.key_size >= 2048:
                return JwkEntry(kid, "RS256", key)
        elif kty == "EC" and jwk.get("crv") == "P-256" and declared in (None, "ES256"):
            key = ECAlgorithm.from_jwk(dict(jwk))
            if isinstance(key, ec.EllipticCurvePublicKey):
                return JwkEntry(kid, "ES256", key)
    except Exception as exc:  # PyJWT raises InvalidKeyError, ValueError, KeyError...
        raise JwksError(f"JWKS key {kid!r} is malformed") from exc
    return None


class JwksKeys:
    """Public keys from a JWKS file or URL, looked up by ``kid``."""

    def __init__(
        self,
        *,
        file: Path | None = None,
        url: str | None = None,
        cache_seconds: float = 300.0,
        refetch_interval_seconds: float = 30.0,
        timeout_seconds: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if (file is None) == (url is None):
            raise ValueError("give exactly one of a JWKS file or a JWKS URL")
        self._file = file
        self._url = url
        self._cache_seconds = cache_seconds
        self._refetch_interval = refetch_interval_seconds
        self._timeout = timeout_seconds
        self._transport = transport
        self._clock = clock
        self._keys: dict[str, JwkEntry] = {}
        self._fetched_at: float | None = None
        self._lock = asyncio.Lock()
        self.fetch_count = 0
        if file is not None:
            self._keys = parse_jwks(_read_json(file.read_bytes(), str(file)))

    @property
    def source(self) -> str:
        return str(self._file) if self._file is not None else str(self._url)

    async def get(self, kid: str) -> JwkEntry | None:
        """Return the key named ``kid`` (fetching or refreshing a URL's set when due)."""
        if self._url is None:
            return self._keys.get(kid)
        if self._due(kid):
            async with self._lock:
                # Another request may have refreshed the set while this one waited.
                if self._due(kid):
                    await self._fetch()
        return self._keys.get(kid)

    def _due(self, kid: str) -> bool:
        if self._fetched_at is None:
            return True
        age = self._clock() - self._fetched_at
        if age >= self._cache_seconds:
            return True
        return kid not in self._keys and age >= self._refetch_interval

    async def _fetch(self) -> None:
        assert self._url is not None
        self.fetch_count += 1
        try:
            async with httpx.AsyncClient(
                timeout=self._timeout, transport=self._transport, follow_redirects=False
            ) as client:
                response = await client.get(self._url, headers={"accept": "application/json"})
            if response.status_code != 200:
                raise JwksError(f"JWKS URL answered HTTP {response.status_code}")
            self._keys = parse_jwks(_read_json(response.content, "JWKS URL"))
        except (httpx.HTTPError, JwksError):
            # Keep serving the keys we had; retry no sooner than the refetch interval allows.
            self._fetched_at = self._clock()
            if not self._keys:
                raise JwksError("the JWKS URL could not be fetched") from None
            return
        self._fetched_at = self._clock()


def _read_json(data: bytes, source: str) -> Any:
    if len(data) > _MAX_JWKS_BYTES:
        raise JwksError(f"{source}: JWKS larger than 1 MiB")
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise JwksError(f"{source}: not JSON") from exc
