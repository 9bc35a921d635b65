"""Fails closed: any change to a sealed value, or a move elsewhere, is one DecryptionError."""

from __future__ import annotations

import base64
import string

import pytest

from crypto import Binding, DecryptionError, FieldCipher, Keyring
from crypto.errors import DECRYPTION_FAILED_MESSAGE

KEYRING = Keyring.generate("k1").with_new_active_key("k2")
CIPHER = FieldCipher(KEYRING)
BINDING = Binding("users", "users", "email_address", "usr_01")
PLAINTEXT = "a@b.io"
ENVELOPE = CIPHER.seal(PLAINTEXT, BINDING)


def _assert_refused(
    envelope: str, binding: Binding = BINDING, cipher: FieldCipher = CIPHER
) -> None:
    with pytest.raises(DecryptionError) as caught:
        cipher.open(envelope, binding)
    # One generic message whatever the cause: no plaintext, no key id, no hint.
    assert str(caught.value) == DECRYPTION_FAILED_MESSAGE
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__ or caught.value.__context__ is None


def test_the_untouched_envelope_opens() -> None:
    assert CIPHER.open(ENVELOPE, BINDING) == PLAINTEXT


def test_every_character_substitution_fails() -> None:
    alphabet = string.ascii_letters + string.digits + "-_.=+/: \x00é"
    tried = 0
    for position, original in enumerate(ENVELOPE):
        for replacement in alphabet:
            if replacement == original:
                continue
            _assert_refused(ENVELOPE[:position] + replacement + ENVELOPE[position + 1 :])
            tried += 1
    assert tried > 60 * len(ENVELOPE)


def test_every_bit_flip_of_every_byte_fails() -> None:
    raw = ENVELOPE.encode("ascii")
    for position in range(len(raw)):
        for bit in range(8):
            changed = bytearray(raw)
            changed[position] ^= 1 << bit
            _assert_refused(changed.decode("latin-1"))


def test_every_truncation_and_every_removed_character_fails() -> None:
    for length in range(len(ENVELOPE)):
        _assert_refused(ENVELOPE[:length])
    for position in range(len(ENVELOPE)):
        _assert_refused(ENVELOPE[:position] + ENVELOPE[position + 1 :])


def test_appended_or_inserted_characters_fail() -> None:
    for extra in ["A", "=", "==", ".", "\n", " "]:
        _assert_refused(ENVELOPE + extra)
        _assert_refused(extra + ENVELOPE)


def test_edits_of_the_decoded_body_fail() -> None:
    # Change the raw nonce / ciphertext / tag bytes and re-encode them canonically, so that the
    # tag (not the parser) is what refuses them.
    header, _, body = ENVELOPE.rpartition(".")
    raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    for position in range(len(raw)):
        changed = bytearray(raw)
        changed[position] ^= 0x01
        encoded = base64.urlsafe_b64encode(bytes(changed)).rstrip(b"=").decode()
        _assert_refused(f"{header}.{encoded}")


@pytest.mark.parametrize(
    "other",
    [
        Binding("users", "users", "email_address", "usr_02"),  # another row
        Binding("users", "users", "telephone_number", "usr_01"),  # another column
        Binding("users", "users_archive", "email_address", "usr_01"),  # another table
        Binding("compliance", "users", "email_address", "usr_01"),  # another subgraph
        Binding("users", "users", "email_address", "usr_01 "),  # near miss
    ],
)
def test_a_value_moved_elsewhere_fails(other: Binding) -> None:
    _assert_refused(ENVELOPE, other)


def test_swapping_two_rows_values_fails_both_ways() -> None:
    row_a = Binding("users", "users", "email_address", "usr_a")
    row_b = Binding("users", "users", "email_address", "usr_b")
    sealed_a = CIPHER.seal("a@example.com", row_a)
    sealed_b = CIPHER.seal("b@example.com", row_b)
    _assert_refused(sealed_a, row_b)
    _assert_refused(sealed_b, row_a)


def test_swapping_columns_of_one_row_fails() -> None:
    email = Binding("users", "users", "email_address", "usr_a")
    phone = Binding("users", "users", "telephone_number", "usr_a")
    _assert_refused(CIPHER.seal("+447700900123", phone), email)


def test_unknown_key_id_fails() -> None:
    stranger = FieldCipher(Keyring.generate("k9"))
    _assert_refused(stranger.seal(PLAINTEXT, BINDING))


def test_wrong_key_under_a_known_id_fails() -> None:
    # Same id "k2", different material: found by id, then the tag check fails.
    impostor = FieldCipher(Keyring.generate("k2"))
    _assert_refused(impostor.seal(PLAINTEXT, BINDING))


def test_the_header_is_authenticated_even_between_identical_keys() -> None:
    # Two ids holding the same key: relabelling k1 as k2 would decrypt if the header were not
    # part of the associated data.
    material = KEYRING.key_material("k1")
    twins = FieldCipher(Keyring({"k1": material, "k2": material}, "k1"))
    sealed = twins.seal(PLAINTEXT, BINDING)
    assert twins.open(sealed, BINDING) == PLAINTEXT
    _assert_refused(sealed.replace("wt1.A256GCM.k1.", "wt1.A256GCM.k2.", 1), cipher=twins)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "plaintext",
        "a64d0e64eb8daea55af3026d5a7baf81:9ddf78169a8f96430b48b2d1a311ee4c",  # legacy shape
        "wt1.A256GCM.k1.",
        "wt1.A256GCM..AAAA",
        "wt2.A256GCM.k1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "wt1.A128GCM.k1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ],
)
def test_non_envelopes_fail(text: str) -> None:
    _assert_refused(text)
    with pytest.raises(DecryptionError):
        CIPHER.key_id_of(text)


def test_an_old_key_dropped_from_the_keyring_cannot_open() -> None:
    old_only = Keyring({"k1": KEYRING.key_material("k1")}, "k1")
    sealed = FieldCipher(old_only).seal(PLAINTEXT, BINDING)
    assert CIPHER.open(sealed, BINDING) == PLAINTEXT
    without_k1 = FieldCipher(Keyring({"k2": KEYRING.key_material("k2")}, "k2"))
    _assert_refused(sealed, cipher=without_k1)
