"""Rotation: old values stay readable, new writes use the new key, counts per key id, re-seal."""

from __future__ import annotations

from collections import Counter

import pytest

from crypto import (
    Binding,
    BlindIndex,
    BlindIndexKeyring,
    DecryptionError,
    EncryptionServices,
    FieldCipher,
    Keyring,
)


def _binding(row: int) -> Binding:
    return Binding("users", "users", "email_address", f"usr_{row:03d}")


def test_rotation_end_to_end() -> None:
    before = Keyring.generate()
    old_cipher = FieldCipher(before)
    rows = {row: old_cipher.seal(f"user{row}@example.com", _binding(row)) for row in range(10)}

    after = before.with_new_active_key()
    cipher = FieldCipher(after)
    assert cipher.active_key_id == "k2"

    # Old values are still readable; new writes use the new key.
    for row, envelope in rows.items():
        assert cipher.open(envelope, _binding(row)) == f"user{row}@example.com"
    rows[10] = cipher.seal("new@example.com", _binding(10))
    assert cipher.key_id_of(rows[10]) == "k2"
    assert Counter(cipher.key_id_of(e) for e in rows.values()) == {"k1": 10, "k2": 1}

    # A resumable re-encryption: move half, count, move the rest.
    for row in range(5):
        rows[row] = cipher.reseal(rows[row], _binding(row))
    assert Counter(cipher.key_id_of(e) for e in rows.values()) == {"k1": 5, "k2": 6}
    for row in rows:
        rows[row] = cipher.reseal(rows[row], _binding(row))
    assert Counter(cipher.key_id_of(e) for e in rows.values()) == {"k2": 11}
    for row, envelope in rows.items():
        expected = "new@example.com" if row == 10 else f"user{row}@example.com"
        assert cipher.open(envelope, _binding(row)) == expected

    # Once every row has moved, the old key can go.
    retired = FieldCipher(Keyring({"k2": after.key_material("k2")}, "k2"))
    assert retired.open(rows[3], _binding(3)) == "user3@example.com"


def test_reseal_leaves_an_active_value_unchanged_but_still_verifies_it() -> None:
    cipher = FieldCipher(Keyring.generate())
    envelope = cipher.seal("x@example.com", _binding(1))
    assert cipher.reseal(envelope, _binding(1)) == envelope
    with pytest.raises(DecryptionError):
        cipher.reseal(envelope, _binding(2))


def test_reseal_keeps_the_binding_and_the_type() -> None:
    from decimal import Decimal

    old = Keyring.generate()
    value = FieldCipher(old).seal(Decimal("1500.00"), _binding(1))
    cipher = FieldCipher(old.with_new_active_key())
    moved = cipher.reseal(value, _binding(1))
    assert cipher.key_id_of(moved) == "k2"
    assert str(cipher.open(moved, _binding(1))) == "1500.00"
    with pytest.raises(DecryptionError):
        cipher.open(moved, _binding(2))


def test_session_reseal_is_not_an_audited_access() -> None:
    keyring = Keyring.generate()
    blind = BlindIndexKeyring.generate()
    sealed = (
        EncryptionServices("users", keyring, blind)
        .session()
        .seal("a@example.com", table="users", column="email", row_id="usr_1")
    )
    session = EncryptionServices("users", keyring.with_new_active_key(), blind).session()
    moved = session.reseal(sealed, table="users", column="email", row_id="usr_1")
    assert moved.key_id == "k2"
    assert session.accessed == []


def test_blind_index_rotation() -> None:
    old = BlindIndexKeyring.generate()
    old_digest = BlindIndex(old).email("Alice@Example.com")
    index = BlindIndex(old.with_new_active_version())
    new_digest = index.email("alice@example.com ")
    assert old_digest.startswith("v1:") and new_digest.startswith("v2:")
    assert old_digest != new_digest
    # Look-ups during a rotation try every version, active first.
    assert index.candidates_email("ALICE@example.com") == [new_digest, old_digest]
    assert Counter(BlindIndex.version_of(d) for d in [old_digest, new_digest]) == {
        "v1": 1,
        "v2": 1,
    }
