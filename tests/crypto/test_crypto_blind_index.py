"""Blind indexes: keyed, normalised, versioned, separated by kind."""

from __future__ import annotations

import hashlib
import hmac

from hypothesis import given, settings
from hypothesis import strategies as st

from crypto import BlindIndex, BlindIndexKeyring

KEYRING = BlindIndexKeyring.generate()
INDEX = BlindIndex(KEYRING)


def test_email_digest_is_hmac_sha256_of_the_normalised_value() -> None:
    digest = INDEX.email("  Alice@Example.COM\t")
    expected = hmac.new(KEYRING.key_material("v1"), b"email\x00alice@example.com", hashlib.sha256)
    assert digest == f"v1:{expected.hexdigest()}"


def test_reference_is_trimmed_but_keeps_case() -> None:
    assert INDEX.reference("  ISA-001 ") == INDEX.reference("ISA-001")
    assert INDEX.reference("ISA-001") != INDEX.reference("isa-001")


def test_kinds_do_not_collide() -> None:
    assert INDEX.email("abc") != INDEX.reference("abc")


def test_another_key_gives_another_digest() -> None:
    assert BlindIndex(BlindIndexKeyring.generate()).email("a@b.io") != INDEX.email("a@b.io")


@settings(max_examples=50, deadline=None)
@given(st.emails())
def test_case_and_whitespace_variants_share_a_digest(email: str) -> None:
    assert INDEX.email(f" {email.upper()} ") == INDEX.email(email.lower())
    assert INDEX.email(email) not in {INDEX.reference(email)}


def test_unicode_forms_are_normalised() -> None:
    composed, decomposed = "zoë@example.com", "zoe\u0308@example.com"
    assert INDEX.email(composed) == INDEX.email(decomposed)
