"""The router's internal token signer: one token per caller, reused for half its lifetime."""

from __future__ import annotations

import time

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from crypto.internal_token import verify_internal_token
from router.auth.internal import InternalTokenSigner
from router.auth.verifier import Caller

KEY = Ed25519PrivateKey.generate()
ALICE = Caller("user:alice", frozenset({"client"}), frozenset({"pii:read"}), "usr_alice")
BOB = Caller("user:bob", frozenset({"client"}), frozenset(), "usr_bob")


def test_a_caller_gets_the_same_token_until_half_its_life_is_gone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = 1_800_000_000.0
    monkeypatch.setattr(time, "time", lambda: now)
    signer = InternalTokenSigner(KEY, ttl_seconds=60)
    first = signer.mint(ALICE)
    principal = verify_internal_token(first, [KEY.public_key()], now=now)
    assert (principal.sub, principal.roles, principal.scopes, principal.user_id) == (
        "user:alice",
        {"client"},
        {"pii:read"},
        "usr_alice",
    )
    assert principal.request_id is None  # the request id travels beside the token
    assert principal.expires_at == int(now) + 60

    now += 29
    assert signer.mint(ALICE) == first
    now += 2  # 31 s after minting: less than half the lifetime left, so a new one
    second = signer.mint(ALICE)
    assert second != first
    # Whatever it hands out still has at least half its lifetime ahead of it.
    assert verify_internal_token(second, [KEY.public_key()], now=now).expires_at == int(now) + 60


def test_callers_never_share_a_token() -> None:
    signer = InternalTokenSigner(KEY)
    alice, bob = signer.mint(ALICE), signer.mint(BOB)
    assert alice != bob
    assert verify_internal_token(bob, [KEY.public_key()]).sub == "user:bob"
    # The same person with other roles or scopes is another identity, with its own token.
    wider = Caller(ALICE.sub, ALICE.roles | {"advisor"}, ALICE.scopes, ALICE.user_id)
    assert signer.mint(wider) != alice
    assert verify_internal_token(signer.mint(wider), [KEY.public_key()]).roles == {
        "client",
        "advisor",
    }


def test_the_token_cache_is_bounded() -> None:
    signer = InternalTokenSigner(KEY, cache_size=2)
    callers = [Caller(f"user:{n}", frozenset({"client"}), frozenset(), None) for n in range(4)]
    tokens = [signer.mint(caller) for caller in callers]
    assert len(signer._tokens) == 2
    assert list(signer._tokens) == callers[2:]
    assert signer.mint(callers[3]) == tokens[3]


def test_the_router_probe_token_has_no_role() -> None:
    probe = verify_internal_token(
        InternalTokenSigner(KEY).mint_for_router("readiness"), [KEY.public_key()]
    )
    assert probe.sub == "router:readiness"
    assert probe.roles == frozenset()
    assert probe.scopes == frozenset()
