"""Caller authentication at the router and the internal token it sends to subgraphs.

Module map: ``settings`` (``SecuritySettings``, ``ROUTER_*``), ``keys`` (development HS256 secret,
JWKS file/URL), ``verifier`` (``TokenVerifier``, ``Caller``, ``AuthenticationError``),
``internal`` (``InternalTokenSigner``), ``factory`` (build both from settings), ``dev_tokens``
(development tokens for ``wealthtech token``).
"""

from router.auth.dev_tokens import mint_dev_token
from router.auth.factory import build_signer, build_verifier, hs256_secret
from router.auth.internal import InternalTokenSigner, load_signing_key
from router.auth.keys import JwksError, JwksKeys, load_or_create_dev_secret, parse_jwks
from router.auth.settings import DEV_AUDIENCE, DEV_ISSUER, ROLES, SecuritySettings
from router.auth.verifier import AuthenticationError, Caller, TokenVerifier

__all__ = [
    "DEV_AUDIENCE",
    "DEV_ISSUER",
    "ROLES",
    "AuthenticationError",
    "Caller",
    "InternalTokenSigner",
    "JwksError",
    "JwksKeys",
    "SecuritySettings",
    "TokenVerifier",
    "build_signer",
    "build_verifier",
    "hs256_secret",
    "load_or_create_dev_secret",
    "load_signing_key",
    "mint_dev_token",
    "parse_jwks",
]
