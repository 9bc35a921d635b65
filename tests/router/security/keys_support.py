"""Key material and token builders for the security tests: RSA/EC key pairs, JWKS, raw JWTs."""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from router.auth import DEV_AUDIENCE, DEV_ISSUER

SECRET = b"s" * 16 + b"e" * 16 + b"c" * 16  # 48 bytes, test only


@dataclass(frozen=True)
class SigningKey:
    kid: str
    algorithm: str
    private: Any

    def public_jwk(self) -> dict[str, Any]:
        algorithm: Any = RSAAlgorithm if self.algorithm == "RS256" else ECAlgorithm
        jwk: dict[str, Any] = json.loads(algorithm.to_jwk(self.private.public_key()))
        return {**jwk, "kid": self.kid, "use": "sig", "alg": self.algorithm}

    def public_pem(self) -> bytes:
        return bytes(
            self.private.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )


def rsa_key(kid: str = "rsa-1") -> SigningKey:
    return SigningKey(kid, "RS256", rsa.generate_private_key(public_exponent=65537, key_size=2048))


def ec_key(kid: str = "ec-1") -> SigningKey:
    return SigningKey(kid, "ES256", ec.generate_private_key(ec.SECP256R1()))


def jwks(*keys: SigningKey) -> dict[str, Any]:
    return {"keys": [key.public_jwk() for key in keys]}


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": DEV_ISSUER,
        "aud": DEV_AUDIENCE,
        "sub": "user:usr_1",
        "roles": ["client"],
        "scope": "pii:read",
        "user_id": "usr_1",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
    }
    base.update(overrides)
    return {name: value for name, value in base.items() if value is not None}


def hs256(secret: bytes = SECRET, **overrides: Any) -> str:
    return jwt.encode(claims(**overrides), secret, algorithm="HS256")


def signed(key: SigningKey, *, kid: str | None = None, **overrides: Any) -> str:
    return jwt.encode(
        claims(**overrides), key.private, algorithm=key.algorithm, headers={"kid": kid or key.kid}
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unsigned(header: dict[str, Any], body: dict[str, Any], signature: bytes = b"") -> str:
    """A token assembled by hand, as an attacker would (PyJWT refuses to build these)."""
    return ".".join(
        (_b64(json.dumps(header).encode()), _b64(json.dumps(body).encode()), _b64(signature))
    )


def hmac_with(key_bytes: bytes, header: dict[str, Any], body: dict[str, Any]) -> str:
    """An HS256 token whose HMAC key is ``key_bytes`` (e.g. a published public key)."""
    import hashlib
    import hmac

    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(body).encode())}"
    digest = hmac.new(key_bytes, signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(digest)}"
