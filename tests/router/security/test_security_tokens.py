"""Caller token verification: every refusal the issue names, and the key sources."""

from __future__ import annotations

import json
import stat
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread
from typing import Any

import jwt
import pytest

from router.auth import (
    AuthenticationError,
    JwksError,
    JwksKeys,
    SecuritySettings,
    TokenVerifier,
    build_verifier,
    load_or_create_dev_secret,
    mint_dev_token,
    parse_jwks,
)
from tests.router.security.keys_support import (
    SECRET,
    claims,
    ec_key,
    hmac_with,
    hs256,
    jwks,
    rsa_key,
    signed,
    unsigned,
)

RSA = rsa_key()
EC = ec_key()


def hs_verifier(**kwargs: Any) -> TokenVerifier:
    return TokenVerifier(
        issuer="wealthtech-dev",
        audience="wealthtech-router",
        algorithms=("HS256", "RS256", "ES256"),
        hs256_secret=SECRET,
        leeway_seconds=5,
        **kwargs,
    )


def jwks_verifier(tmp_path: Path, *, secret: bytes | None = None) -> TokenVerifier:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(jwks(RSA, EC)))
    return TokenVerifier(
        issuer="wealthtech-dev",
        audience="wealthtech-router",
        algorithms=("HS256", "RS256", "ES256"),
        hs256_secret=secret,
        jwks=JwksKeys(file=path),
        leeway_seconds=5,
    )


async def refused(verifier: TokenVerifier, token: str) -> str:
    with pytest.raises(AuthenticationError) as caught:
        await verifier.verify(token)
    # The client-facing message never echoes the token or the reason.
    assert not token or token not in str(caught.value)
    return caught.value.reason


async def test_a_valid_hs256_token_gives_its_caller() -> None:
    token = hs256(roles=["client", "nonsense", "service"], scope="pii:read a:b")
    caller = await hs_verifier().verify(token)
    assert caller.sub == "user:usr_1"
    # Unknown roles grant nothing and are dropped; "service" (the subgraphs' own background
    # work) can never be claimed by a caller of the router.
    assert caller.roles == frozenset({"client"})
    assert caller.scopes == frozenset({"pii:read", "a:b"})
    assert caller.user_id == "usr_1"


async def test_expired_token() -> None:
    now = int(time.time())
    assert await refused(hs_verifier(), hs256(iat=now - 7200, nbf=now - 7200, exp=now - 3600)) == (
        "expired"
    )


async def test_token_not_yet_valid() -> None:
    now = int(time.time())
    assert await refused(hs_verifier(), hs256(nbf=now + 3600, exp=now + 7200)) == "not yet valid"


async def test_wrong_audience_and_wrong_issuer() -> None:
    assert await refused(hs_verifier(), hs256(aud="someone-else")) == "wrong audience"
    assert await refused(hs_verifier(), hs256(iss="https://evil.example")) == "wrong issuer"


async def test_required_claims() -> None:
    for missing in ("exp", "aud", "iss", "sub"):
        reason = await refused(hs_verifier(), hs256(**{missing: None}))
        assert "MissingRequiredClaim" in reason, missing


async def test_forged_signature() -> None:
    assert await refused(hs_verifier(), hs256(b"x" * 48)) == "bad signature"
    # A valid token whose claims were edited after signing.
    header, _body, signature = hs256().split(".")
    forged_body = unsigned({}, claims(roles=["admin"])).split(".")[1]
    assert await refused(hs_verifier(), f"{header}.{forged_body}.{signature}") == "bad signature"


async def test_alg_none_is_refused(tmp_path: Path) -> None:
    token = unsigned({"alg": "none", "typ": "JWT"}, claims(roles=["admin"]))
    assert "not allowed" in await refused(hs_verifier(), token)
    assert "not allowed" in await refused(jwks_verifier(tmp_path, secret=SECRET), token)
    for spelling in ("None", "NONE", "nOnE"):
        token = unsigned({"alg": spelling}, claims(roles=["admin"]))
        assert "not allowed" in await refused(hs_verifier(), token)


async def test_hs256_signed_with_the_public_key_is_refused(tmp_path: Path) -> None:
    # The classic confusion: HMAC keyed with the published RSA public key (PEM or JWK text).
    for key_text in (RSA.public_pem(), json.dumps(RSA.public_jwk()).encode()):
        for header in ({"alg": "HS256", "kid": RSA.kid}, {"alg": "HS256"}):
            token = hmac_with(key_text, header, claims(roles=["admin"]))
            # A verifier with only a JWKS has no HS256 key at all...
            assert "not allowed" in await refused(jwks_verifier(tmp_path), token)
            # ... and one that also has a secret checks HS256 against that secret only.
            assert await refused(jwks_verifier(tmp_path, secret=SECRET), token) == "bad signature"


async def test_token_of_one_key_type_naming_another_kid_is_refused(tmp_path: Path) -> None:
    verifier = jwks_verifier(tmp_path)
    # RS256 header pointing at the EC key, and the reverse.
    assert "does not match" in await refused(verifier, signed(RSA, kid=EC.kid))
    assert "does not match" in await refused(verifier, signed(EC, kid=RSA.kid))
    assert (
        await refused(verifier, signed(rsa_key("rsa-1"))) == "bad signature"
    )  # same kid, other key
    assert await refused(verifier, signed(rsa_key("unknown"))) == "unknown kid"


async def test_disallowed_algorithms_are_refused(tmp_path: Path) -> None:
    verifier = jwks_verifier(tmp_path, secret=SECRET)
    for algorithm in ("HS512", "RS512", "PS256", "ES384", "EdDSA"):
        token = unsigned({"alg": algorithm, "kid": RSA.kid}, claims(), b"sig")
        assert "not allowed" in await refused(verifier, token)


async def test_malformed_tokens() -> None:
    for token in ("", "abc", "a.b", "a.b.c.d", "x" * 9000, "e30.e30.", "!!!.e30.e30"):
        await refused(hs_verifier(), token)


async def test_rs256_and_es256_from_a_jwks_file(tmp_path: Path) -> None:
    verifier = jwks_verifier(tmp_path)
    assert (await verifier.verify(signed(RSA, roles=["advisor"]))).roles == {"advisor"}
    assert (await verifier.verify(signed(EC, roles=["compliance"]))).roles == {"compliance"}


def test_jwks_refuses_private_or_symmetric_keys_and_keeps_only_usable_ones() -> None:
    private_jwk = {**RSA.public_jwk(), "d": "AAAA"}
    with pytest.raises(JwksError, match="private or symmetric"):
        parse_jwks({"keys": [private_jwk]})
    with pytest.raises(JwksError, match="private or symmetric"):
        parse_jwks({"keys": [{"kty": "oct", "kid": "k", "k": "c2VjcmV0"}]})
    with pytest.raises(JwksError, match="no usable"):
        parse_jwks({"keys": [{**RSA.public_jwk(), "use": "enc"}]})
    with pytest.raises(JwksError, match="'keys' list"):
        parse_jwks([])
    parsed = parse_jwks(jwks(RSA, EC))
    assert {kid: entry.algorithm for kid, entry in parsed.items()} == {
        "rsa-1": "RS256",
        "ec-1": "ES256",
    }


class _JwksServer:
    """A tiny loopback JWKS endpoint whose key set can change, counting its requests."""

    def __init__(self) -> None:
        self.document: dict[str, Any] = jwks(RSA)
        self.requests = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.requests += 1
                body = json.dumps(owner.document).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/.well-known/jwks.json"


@pytest.fixture
def jwks_server() -> Iterator[_JwksServer]:
    served = _JwksServer()
    thread = Thread(target=served.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield served
    finally:
        served.server.shutdown()
        served.server.server_close()
        thread.join(timeout=5)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_jwks_url_fetch_cache_and_refetch_on_unknown_kid(jwks_server: _JwksServer) -> None:
    clock = FakeClock()
    keys = JwksKeys(
        url=jwks_server.url, cache_seconds=300, refetch_interval_seconds=30, clock=clock
    )
    verifier = TokenVerifier(
        issuer="wealthtech-dev",
        audience="wealthtech-router",
        algorithms=("RS256", "ES256"),
        jwks=keys,
        cache_seconds=0,  # every verify goes to the key set: what this test watches
    )
    assert (await verifier.verify(signed(RSA))).sub == "user:usr_1"
    assert (await verifier.verify(signed(RSA))).sub == "user:usr_1"
    assert jwks_server.requests == 1  # cached

    # The provider rotates in an EC key: a token naming it triggers one refetch...
    jwks_server.document = jwks(RSA, EC)
    clock.now += 31
    assert (await verifier.verify(signed(EC))).roles == {"client"}
    assert jwks_server.requests == 2
    # ... but unknown kids cannot make the router hammer the provider.
    for n in range(5):
        await refused(verifier, signed(rsa_key(f"forged-{n}")))
    assert jwks_server.requests == 2
    clock.now += 31
    await refused(verifier, signed(rsa_key("forged-again")))
    assert jwks_server.requests == 3

    # The cache expires after its TTL even when every kid is known.
    clock.now += 301
    await verifier.verify(signed(RSA))
    assert jwks_server.requests == 4


async def test_jwks_url_down_keeps_the_keys_it_had(jwks_server: _JwksServer) -> None:
    clock = FakeClock()
    keys = JwksKeys(url=jwks_server.url, cache_seconds=60, clock=clock)
    assert await keys.get(RSA.kid) is not None
    jwks_server.document = {"not": "a jwks"}
    clock.now += 61
    assert await keys.get(RSA.kid) is not None  # refresh failed: old keys still serve


async def test_jwks_url_unreachable_refuses_tokens() -> None:
    keys = JwksKeys(url="http://127.0.0.1:9/jwks.json", timeout_seconds=1)
    verifier = TokenVerifier(
        issuer="wealthtech-dev", audience="wealthtech-router", algorithms=["RS256"], jwks=keys
    )
    assert await refused(verifier, signed(RSA)) == "JWKS unavailable"


def test_dev_secret_is_created_once_with_mode_0600(tmp_path: Path) -> None:
    keys_dir = tmp_path / "keys"
    first = load_or_create_dev_secret(keys_dir)
    assert len(first) >= 32
    mode = stat.S_IMODE((keys_dir / "jwt-dev-secret").stat().st_mode)
    assert mode == 0o600
    assert load_or_create_dev_secret(keys_dir) == first


async def test_settings_build_a_verifier_for_dev_tokens(tmp_path: Path) -> None:
    settings = SecuritySettings(data_dir=tmp_path)
    verifier = build_verifier(settings)
    secret = load_or_create_dev_secret(tmp_path / "keys")
    token = mint_dev_token(secret, roles=["advisor"], scope=["pii:read"])
    caller = await verifier.verify(token)
    assert caller.roles == {"advisor"} and caller.scopes == {"pii:read"}


def test_production_generates_no_secret_and_needs_a_key_source(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no token algorithm has a key"):
        build_verifier(SecuritySettings(env="production", data_dir=tmp_path))
    assert not (tmp_path / "keys").exists()
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(jwks(RSA)))
    verifier = build_verifier(SecuritySettings(env="production", jwt_jwks_file=path))
    assert verifier.algorithms == {"RS256", "ES256"}


def test_production_fetches_a_jwks_over_https_only(tmp_path: Path) -> None:
    plain = SecuritySettings(env="production", jwt_jwks_url="http://idp.example/jwks.json")
    with pytest.raises(ValueError, match="https://"):
        build_verifier(plain)
    secure = SecuritySettings(env="production", jwt_jwks_url="https://idp.example/jwks.json")
    assert build_verifier(secure).algorithms == {"RS256", "ES256"}  # fetched on first use


# -- the verified-token cache ---------------------------------------------------------------


async def test_a_verified_token_is_checked_once_then_remembered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    verifier = hs_verifier()
    token = hs256()
    decodes: list[str] = []
    real_decode = jwt.decode

    def counting_decode(*args: Any, **kwargs: Any) -> Any:
        decodes.append(args[0])
        return real_decode(*args, **kwargs)

    monkeypatch.setattr(jwt, "decode", counting_decode)
    first = await verifier.verify(token)
    for _ in range(5):
        assert await verifier.verify(token) == first
    assert decodes == [token]
    # Refusals are never remembered: a bad token is checked (and refused) every time.
    forged = hs256(b"x" * 48)
    for _ in range(2):
        assert await refused(verifier, forged) == "bad signature"
    assert decodes == [token, forged, forged]


async def test_a_remembered_token_is_refused_once_it_expires(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    verifier = hs_verifier()  # leeway 5 s
    now = time.time()
    token = hs256(iat=int(now), nbf=int(now), exp=int(now) + 60)
    await verifier.verify(token)
    monkeypatch.setattr(time, "time", lambda: now + 64)
    await verifier.verify(token)  # within the leeway
    monkeypatch.setattr(time, "time", lambda: now + 66)
    assert await refused(verifier, token) == "expired"


async def test_the_cache_forgets_after_its_lifetime_and_can_be_switched_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    decodes = 0
    real_decode = jwt.decode

    def counting_decode(*args: Any, **kwargs: Any) -> Any:
        nonlocal decodes
        decodes += 1
        return real_decode(*args, **kwargs)

    monkeypatch.setattr(jwt, "decode", counting_decode)
    token = hs256()
    verifier = hs_verifier(cache_seconds=30)
    await verifier.verify(token)
    later = time.monotonic() + 31
    monkeypatch.setattr(time, "monotonic", lambda: later)
    await verifier.verify(token)  # verified again: the remembered answer had run out
    assert decodes == 2

    uncached = hs_verifier(cache_seconds=0)
    await uncached.verify(token)
    await uncached.verify(token)
    assert decodes == 4


async def test_the_cache_holds_at_most_cache_size_tokens() -> None:
    verifier = hs_verifier(cache_size=3)
    tokens = [hs256(sub=f"user:usr_{n}") for n in range(5)]
    for token in tokens:
        await verifier.verify(token)
    assert len(verifier._verified) == 3
    # The oldest were dropped first.
    assert list(verifier._verified) == tokens[2:]
