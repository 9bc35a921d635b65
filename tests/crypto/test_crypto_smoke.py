"""Smoke tests of the public surface: one path through each piece."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

import crypto
from crypto import (
    Binding,
    BlindIndex,
    BlindIndexKeyring,
    DecryptionError,
    FieldCipher,
    Keyring,
)

BINDING = Binding("users", "users", "email_address", "usr_01")


def test_seal_open_round_trip_keeps_types() -> None:
    cipher = FieldCipher(Keyring.generate())
    for value in ["a@b.example", Decimal("1500.00"), date(1990, 1, 2), ["GIFT"], {"a": [1]}]:
        envelope = cipher.seal(value, BINDING)
        assert envelope.startswith("wt1.A256GCM.k1.")
        opened = cipher.open(envelope, BINDING)
        assert opened == value
        assert type(opened) is type(value)


def test_wrong_row_fails() -> None:
    cipher = FieldCipher(Keyring.generate())
    envelope = cipher.seal("secret", BINDING)
    with pytest.raises(DecryptionError):
        cipher.open(envelope, Binding("users", "users", "email_address", "usr_02"))


def test_blind_index_normalises_email() -> None:
    index = BlindIndex(BlindIndexKeyring.generate())
    assert index.email(" A@B.example ") == index.email("a@b.example")
    assert index.email("a@b.example").startswith("v1:")


def test_public_names_are_exported() -> None:
    for name in crypto.__all__:
        assert hasattr(crypto, name)
