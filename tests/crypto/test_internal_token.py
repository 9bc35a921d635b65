"""The router -> subgraph internal token: what it accepts and every way it refuses."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import stat
import threading
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from crypto import (
    InvalidInternalToken,
    KeyConfigurationError,
    Principal,
    internal_key_id,
    load_or_create_dev_keypair,
    load_private_key,
    load_public_keys,
    mint_internal_token,
    verify_internal_token,
)

NOW = 1_800_000_000


@pytest.fixture(scope="module")
def private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def _mint(private_key: Ed25519PrivateKey, **overrides: Any) -> str:
    arguments: dict[str, Any] = {
        "sub": "auth0|alice",
        "roles": ["client"],
        "scope": "pii:read",
        "user_id": "usr_1",
        "request_id": "req-1",
        "now": NOW,
    }
    arguments.update(overrides)
    return mint_internal_token(private_key, **arguments)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signed(private_key: Ed25519PrivateKey, header: dict[str, Any], claims: dict[str, Any]) -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    return f"{signing_input}.{_b64(private_key.sign(signing_input.encode()))}"


def _parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header, claims, _ = token.split(".")
    return json.loads(_unb64(header)), json.loads(_unb64(claims))


def _refused(token: str | None, keys: Any, *, now: float = NOW) -> str:
    with pytest.raises(InvalidInternalToken) as caught:
        verify_internal_token(token, keys, now=now)
    assert str(caught.value) == "invalid internal token"  # one generic message for every cause
    return caught.value.reason


def test_round_trip_gives_the_principal(private_key: Ed25519PrivateKey) -> None:
    token = _mint(private_key, roles=["advisor", "client"], scope="pii:read other")
    principal = verify_internal_token(token, [private_key.public_key()], now=NOW + 30)
    assert principal == Principal(
        sub="auth0|alice",
        roles=frozenset({"advisor", "client"}),
        scopes=frozenset({"pii:read", "other"}),
        user_id="usr_1",
        request_id="req-1",
        token_id=principal.token_id,
        expires_at=NOW + 60,
    )
    assert principal.has_role("client") and not principal.has_role("admin")
    assert principal.has_scope("pii:read") and not principal.has_scope("pii")
    header, claims = _parts(token)
    assert header == {
        "alg": "EdDSA",
        "typ": "JWT",
        "kid": internal_key_id(private_key.public_key()),
    }
    assert claims["iss"] == "wealthtech-router" and claims["aud"] == "wealthtech-subgraph"
    assert claims["exp"] - claims["iat"] == 60 and claims["jti"]
    # A mapping from key id to key (precomputed once) is accepted too.
    keys = {internal_key_id(private_key.public_key()): private_key.public_key()}
    assert verify_internal_token(token, keys, now=NOW).sub == "auth0|alice"


def test_rotation_accepts_any_configured_key(private_key: Ed25519PrivateKey) -> None:
    other = Ed25519PrivateKey.generate()
    keys = [other.public_key(), private_key.public_key()]
    assert verify_internal_token(_mint(private_key), keys, now=NOW).user_id == "usr_1"
    assert verify_internal_token(_mint(other), keys, now=NOW).user_id == "usr_1"


def test_expired_and_not_yet_valid_with_leeway(private_key: Ed25519PrivateKey) -> None:
    token = _mint(private_key, ttl=60)
    keys = [private_key.public_key()]
    verify_internal_token(token, keys, now=NOW + 64)  # within the 5 s leeway
    assert _refused(token, keys, now=NOW + 66) == "expired"
    verify_internal_token(token, keys, now=NOW - 4)
    assert _refused(token, keys, now=NOW - 6) == "not yet valid"


def test_wrong_issuer_or_audience(private_key: Ed25519PrivateKey) -> None:
    _, claims = _parts(_mint(private_key))
    header = {"alg": "EdDSA", "kid": internal_key_id(private_key.public_key())}
    keys = [private_key.public_key()]
    assert _refused(_signed(private_key, header, {**claims, "iss": "evil"}), keys) == "wrong issuer"
    wrong_aud = _signed(private_key, header, {**claims, "aud": "wealthtech-router"})
    assert _refused(wrong_aud, keys) == "wrong audience"
    no_aud = {key: value for key, value in claims.items() if key != "aud"}
    assert _refused(_signed(private_key, header, no_aud), keys) == "wrong audience"


def test_forged_signature_and_unknown_key(private_key: Ed25519PrivateKey) -> None:
    keys = [private_key.public_key()]
    attacker = Ed25519PrivateKey.generate()
    # Signed by a key nobody configured, even when it claims the trusted key's id.
    _, claims = _parts(_mint(private_key))
    forged = _signed(attacker, {"alg": "EdDSA", "kid": internal_key_id(keys[0])}, claims)
    assert _refused(forged, keys) == "bad signature"
    assert _refused(_mint(attacker), keys) == "unknown key id"
    no_kid = _signed(private_key, {"alg": "EdDSA"}, claims)
    assert _refused(no_kid, keys) == "unknown key id"


def test_tampered_claims_fail_the_signature(private_key: Ed25519PrivateKey) -> None:
    token = _mint(private_key)
    header, claims, signature = token.split(".")
    elevated = json.loads(_unb64(claims)) | {"roles": ["admin"], "user_id": "usr_2"}
    tampered = f"{header}.{_b64(json.dumps(elevated).encode())}.{signature}"
    assert _refused(tampered, [private_key.public_key()]) == "bad signature"
    # One flipped bit of the signature too.
    raw = bytearray(_unb64(signature))
    raw[0] ^= 1
    assert _refused(f"{header}.{claims}.{_b64(bytes(raw))}", [private_key.public_key()]) == (
        "bad signature"
    )


def test_alg_none_is_refused(private_key: Ed25519PrivateKey) -> None:
    _, claims = _parts(_mint(private_key))
    kid = internal_key_id(private_key.public_key())
    for alg in ("none", "None", "NONE", ""):
        header = _b64(json.dumps({"alg": alg, "kid": kid}).encode())
        unsigned = f"{header}.{_b64(json.dumps(claims).encode())}."
        assert _refused(unsigned, [private_key.public_key()]) == "algorithm not allowed"


def test_algorithm_confusion_hs256_with_the_public_key_as_secret(
    private_key: Ed25519PrivateKey,
) -> None:
    public_key = private_key.public_key()
    _, claims = _parts(_mint(private_key))
    header = {"alg": "HS256", "typ": "JWT", "kid": internal_key_id(public_key)}
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    for secret in (
        public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
        public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw),
    ):
        mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        assert _refused(f"{signing_input}.{_b64(mac)}", [public_key]) == "algorithm not allowed"


def test_dangerous_header_parameters_are_refused(private_key: Ed25519PrivateKey) -> None:
    _, claims = _parts(_mint(private_key))
    kid = internal_key_id(private_key.public_key())
    header = {"alg": "EdDSA", "kid": kid, "jku": "http://evil/jwks"}
    assert _refused(_signed(private_key, header, claims), [private_key.public_key()]) == (
        "unexpected header parameters"
    )


@pytest.mark.parametrize(
    "token",
    [None, "", "a.b", "a.b.c.d", "!!!.???.***", "e30.e30.", "W10.e30.AA", "x" * 9000],
)
def test_malformed_tokens(private_key: Ed25519PrivateKey, token: str | None) -> None:
    _refused(token, [private_key.public_key()])


def test_claims_of_the_wrong_type(private_key: Ed25519PrivateKey) -> None:
    _, claims = _parts(_mint(private_key))
    header = {"alg": "EdDSA", "kid": internal_key_id(private_key.public_key())}
    keys = [private_key.public_key()]
    for change in ({"roles": "admin"}, {"scope": ["pii:read"]}, {"sub": ""}, {"exp": "soon"}):
        _refused(_signed(private_key, header, claims | change), keys)


def test_nothing_secret_in_repr(private_key: Ed25519PrivateKey) -> None:
    token = _mint(private_key)
    principal = verify_internal_token(token, [private_key.public_key()], now=NOW)
    assert token not in repr(principal) and principal.token_id not in repr(principal)
    with pytest.raises(InvalidInternalToken) as caught:
        verify_internal_token(token + "x", [private_key.public_key()], now=NOW)
    assert token not in repr(caught.value) and token[-20:] not in str(caught.value.reason)


def test_dev_keypair_is_created_once_and_reused(tmp_path: Path) -> None:
    keys_dir = tmp_path / "keys"
    _, public_key = load_or_create_dev_keypair(keys_dir)
    private_file = keys_dir / "internal-token.pem"
    assert stat.S_IMODE(private_file.stat().st_mode) == 0o600
    again_private, again_public = load_or_create_dev_keypair(keys_dir)
    assert internal_key_id(again_public) == internal_key_id(public_key)
    token = mint_internal_token(again_private, sub="s", roles=["admin"], now=NOW)
    loaded = load_public_keys((keys_dir / "internal-token.pub.pem").read_text())
    assert verify_internal_token(token, loaded, now=NOW).roles == {"admin"}
    assert load_private_key(private_file.read_text()) is not None
    assert sorted(os.listdir(keys_dir)) == ["internal-token.pem", "internal-token.pub.pem"]


def test_dev_keypair_race_leaves_one_pair(tmp_path: Path) -> None:
    keys_dir = tmp_path / "keys"
    results: list[str] = []

    def start() -> None:
        results.append(internal_key_id(load_or_create_dev_keypair(keys_dir)[1]))

    threads = [threading.Thread(target=start) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    on_disk = internal_key_id(
        load_public_keys((keys_dir / "internal-token.pub.pem").read_text())[0]
    )
    assert set(results) == {on_disk}


def test_several_public_keys_in_one_pem_text_and_bad_pem() -> None:
    first, second = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    pem = "".join(
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
        for key in (first, second)
    )
    assert [internal_key_id(k) for k in load_public_keys(pem)] == [
        internal_key_id(first.public_key()),
        internal_key_id(second.public_key()),
    ]
    with pytest.raises(KeyConfigurationError):
        load_public_keys("not a key")
    with pytest.raises(KeyConfigurationError):
        load_private_key("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
