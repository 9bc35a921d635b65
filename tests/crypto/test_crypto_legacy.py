"""The seed's Node.js format opens only through crypto.legacy, never through FieldCipher.open."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from crypto import Binding, DecryptionError, FieldCipher, KeyConfigurationError, Keyring
from crypto.legacy import legacy_key_from_environ, looks_like_legacy, open_legacy_cbc

FIXTURES = Path(__file__).parent / "fixtures"
GENERATOR = FIXTURES / "make_legacy_vectors.js"
CHECKED_IN: list[dict[str, Any]] = json.loads(
    (FIXTURES / "legacy_vectors.json").read_text(encoding="utf-8")
)["vectors"]
BINDING = Binding("users", "users", "email_address", "usr_1")


def _node_vectors() -> list[dict[str, Any]]:
    node = shutil.which("node")
    if node is None:
        if os.environ.get("REQUIRE_NODE", "") not in ("", "0"):
            pytest.fail("REQUIRE_NODE is set but node is not installed")
        pytest.skip("node is not installed; the checked-in vectors still run")
    completed = subprocess.run(
        [node, str(GENERATOR), "--random"], capture_output=True, text=True, check=True, timeout=60
    )
    vectors: list[dict[str, Any]] = json.loads(completed.stdout)["vectors"]
    return vectors


def test_the_checked_in_set_covers_every_key_form() -> None:
    assert {v["key_form"] for v in CHECKED_IN} == {"hex", "base64", "raw"}
    assert len(CHECKED_IN) >= 20


@pytest.mark.parametrize(
    "vector", CHECKED_IN, ids=lambda v: f"{v['key_form']}-{len(v['plaintext'])}"
)
def test_checked_in_vectors_open_through_the_legacy_path(vector: dict[str, Any]) -> None:
    assert looks_like_legacy(vector["value"])
    assert open_legacy_cbc(vector["value"], vector["secret_key"]) == vector["plaintext"]


def test_fresh_vectors_made_by_node_now_open() -> None:
    vectors = _node_vectors()
    assert len({v["secret_key"] for v in vectors if v["key_form"] == "hex"}) == 1
    for vector in vectors:
        assert open_legacy_cbc(vector["value"], vector["secret_key"]) == vector["plaintext"]
    # The same key as raw bytes works too.
    hex_vector = vectors[1]
    key = bytes.fromhex(hex_vector["secret_key"])
    assert open_legacy_cbc(hex_vector["value"], key) == hex_vector["plaintext"]


@pytest.mark.parametrize("vector", CHECKED_IN[:3])
def test_the_normal_path_refuses_legacy_values(vector: dict[str, Any]) -> None:
    # Even with a keyring holding the very same key, open() does not fall back to CBC.
    key = bytes.fromhex(CHECKED_IN[0]["secret_key"])
    cipher = FieldCipher(Keyring.from_single_key(key))
    with pytest.raises(DecryptionError):
        cipher.open(vector["value"], BINDING)
    with pytest.raises(DecryptionError):
        cipher.key_id_of(vector["value"])


def test_a_wrong_key_or_an_edited_value_fails_generically() -> None:
    vector = next(v for v in CHECKED_IN if v["plaintext"] == "alice@example.com")
    with pytest.raises(DecryptionError) as caught:
        open_legacy_cbc(vector["value"], "ff" * 32)
    assert "alice" not in str(caught.value)
    iv, ciphertext = vector["value"].split(":")
    # Flipping the last byte of the final block breaks the PKCS#7 padding.
    last = f"{int(ciphertext[-2:], 16) ^ 0xFF:02x}"
    with pytest.raises(DecryptionError):
        open_legacy_cbc(f"{iv}:{ciphertext[:-2]}{last}", vector["secret_key"])


@pytest.mark.parametrize(
    "value",
    [
        "",
        "abc",
        "00:11",
        "zz" * 16 + ":" + "00" * 16,
        "00" * 16 + ":" + "00" * 15,
        "wt1.A256GCM.k1.AA",
    ],
)
def test_malformed_legacy_values_fail(value: str) -> None:
    assert not looks_like_legacy(value)
    with pytest.raises(DecryptionError):
        open_legacy_cbc(value, "00" * 32)


def test_bad_legacy_keys_are_a_configuration_error() -> None:
    with pytest.raises(KeyConfigurationError, match="ENCRYPTION_SECRET_KEY"):
        open_legacy_cbc(CHECKED_IN[0]["value"], "too short")
    with pytest.raises(KeyConfigurationError, match="ENCRYPTION_SECRET_KEY"):
        open_legacy_cbc(CHECKED_IN[0]["value"], b"\x00" * 16)


def test_the_legacy_key_comes_from_the_seed_variable() -> None:
    vector = next(v for v in CHECKED_IN if v["key_form"] == "raw")
    key = legacy_key_from_environ({"ENCRYPTION_SECRET_KEY": vector["secret_key"]})
    assert open_legacy_cbc(vector["value"], key) == vector["plaintext"]
    with pytest.raises(KeyConfigurationError, match="ENCRYPTION_SECRET_KEY is not set"):
        legacy_key_from_environ({})
    with pytest.raises(KeyConfigurationError, match="SEED_KEY"):
        legacy_key_from_environ({"SEED_KEY": "abc"}, variable="SEED_KEY")


def test_legacy_reader_is_not_exported_from_the_package() -> None:
    import crypto

    assert not hasattr(crypto, "open_legacy_cbc")
