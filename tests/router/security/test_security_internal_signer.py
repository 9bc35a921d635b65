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
    clock = {"wall": 1_800_000_000.5, "monotonic": 1000.0}
    monkeypatch.setattr(time, "time", lambda: clock["wall"])
    monkeypatch.setattr(time, "monotonic", lambda: clock["monotonic"])

    def advance(seconds: float) -> None:
        clock["wall"] += seconds
        clock["monotonic"] += seconds

    signer = InternalTokenSigner(KEY, ttl_seconds=60)
    first = signer.mint(ALICE)
    principal = verify_internal_token(first, [KEY.public_key()], now=clock["wall"])
    assert (principal.sub, principal.roles, principal.scopes, principal.user_id) == (
        "user:alice",
        {"client"},
        {"pii:read"},
        "usr_alice",
    )
    assert principal.request_id is None  # the request id travels beside the token
    issued = int(clock["wall"])
    assert principal.expires_at == issued + 60

    advance(28)
    assert signer.mint(ALICE) == first
    advance(2)  # half the lifetime is gone (counted from the whole-second iat): a new one
    second = signer.mint(ALICE)
    assert second != first
    renewed = verify_internal_token(second, [KEY.public_key()], now=clock["wall"])
    assert renewed.expires_at is not None and renewed.expires_at - clock["wall"] >= 30


def test_a_wall_clock_stepped_back_does_not_stretch_a_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = {"wall": 1_800_000_000.0, "monotonic": 1000.0}
    monkeypatch.setattr(time, "time", lambda: clock["wall"])
    monkeypatch.setattr(time, "monotonic", lambda: clock["monotonic"])
    signer = InternalTokenSigner(KEY, ttl_seconds=60)
    first = signer.mint(ALICE)
    clock["wall"] -= 3600  # an NTP step back of an hour...
    clock["monotonic"] += 45  # ...while 45 s really passed
    assert signer.mint(ALICE) != first


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
