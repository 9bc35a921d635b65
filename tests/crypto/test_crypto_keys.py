"""Keyrings: sources, encodings, clear errors that name the variable, and no key in any repr."""

from __future__ import annotations

import base64
import json
import pickle
import secrets
from pathlib import Path

import pytest

from crypto import (
    BlindIndex,
    BlindIndexKeyring,
    EncryptionServices,
    FieldCipher,
    KeyConfigurationError,
    Keyring,
    Sealed,
)

KEY = bytes(range(32))
KEY_HEX = KEY.hex()
KEY_B64 = base64.b64encode(KEY).decode()
KEY_B64URL = base64.urlsafe_b64encode(bytes(range(200, 232))).decode()


@pytest.mark.parametrize(
    "text",
    [KEY_HEX, KEY_HEX.upper(), KEY_B64, KEY_B64.rstrip("="), f"  {KEY_HEX}\n"],
)
def test_a_key_is_read_from_hex_or_base64(text: str) -> None:
    keyring = Keyring.from_environ("USERS", {"ENCRYPTION_SECRET_KEY": text})
    assert keyring.key_material(keyring.active_key_id) == KEY


def test_url_safe_base64_is_accepted() -> None:
    keyring = Keyring.from_environ("USERS", {"USERS_ENCRYPTION_SECRET_KEY": KEY_B64URL})
    assert keyring.key_material(keyring.active_key_id) == bytes(range(200, 232))


def test_one_key_gets_a_stable_derived_id() -> None:
    first = Keyring.from_environ("USERS", {"ENCRYPTION_SECRET_KEY": KEY_HEX})
    second = Keyring.from_environ("OTHER", {"ENCRYPTION_SECRET_KEY": KEY_B64})
    assert first.active_key_id == second.active_key_id
    assert first.key_ids == (first.active_key_id,)
    assert first.active_key_id.startswith("k") and len(first.active_key_id) == 9
    other = Keyring.from_environ("USERS", {"ENCRYPTION_SECRET_KEY": secrets.token_hex(32)})
    assert other.active_key_id != first.active_key_id


@pytest.mark.parametrize(
    ("value", "why"),
    [
        (secrets.token_hex(16), "hex of 16 bytes"),  # an AES-128 key
        (secrets.token_hex(33), "hex of 33 bytes"),
        (base64.b64encode(secrets.token_bytes(24)).decode(), "base64 of 24 bytes"),
        (base64.b64encode(secrets.token_bytes(48)).decode(), "base64 of 48 bytes"),
        ("not a key at all!", "neither valid hex nor valid base64"),
        ("zz" * 32, "base64 of 48 bytes"),
    ],
)
def test_bad_keys_name_the_variable_and_never_echo_the_value(value: str, why: str) -> None:
    with pytest.raises(KeyConfigurationError) as caught:
        Keyring.from_environ("USERS", {"USERS_ENCRYPTION_SECRET_KEY": value})
    message = str(caught.value)
    assert "USERS_ENCRYPTION_SECRET_KEY" in message
    assert why in message
    assert value not in message
    assert isinstance(caught.value, ValueError)


def test_the_seed_variable_is_named_when_it_is_the_bad_one() -> None:
    with pytest.raises(KeyConfigurationError, match=r"^ENCRYPTION_SECRET_KEY must be"):
        Keyring.from_environ("USERS", {"ENCRYPTION_SECRET_KEY": "short"})


def test_nothing_configured_lists_every_variable() -> None:
    with pytest.raises(KeyConfigurationError) as caught:
        Keyring.from_environ("USERS", {})
    for name in [
        "USERS_ENCRYPTION_KEYRING",
        "USERS_ENCRYPTION_KEYRING_FILE",
        "USERS_ENCRYPTION_SECRET_KEY",
        "ENCRYPTION_SECRET_KEY",
    ]:
        assert name in str(caught.value)
    with pytest.raises(KeyConfigurationError, match="USERS_BLIND_INDEX_KEY"):
        BlindIndexKeyring.from_environ("USERS", {"ENCRYPTION_SECRET_KEY": KEY_HEX})


def test_sources_are_tried_in_order(tmp_path: Path) -> None:
    from_json = Keyring.generate("json1")
    from_file = Keyring.generate("file1")
    path = tmp_path / "dev-keyring.json"
    path.write_text(from_file.to_json())
    env = {
        "USERS_ENCRYPTION_KEYRING": from_json.to_json(),
        "USERS_ENCRYPTION_KEYRING_FILE": str(path),
        "USERS_ENCRYPTION_SECRET_KEY": KEY_HEX,
        "ENCRYPTION_SECRET_KEY": secrets.token_hex(32),
    }
    assert Keyring.from_environ("USERS", env) == from_json
    del env["USERS_ENCRYPTION_KEYRING"]
    assert Keyring.from_environ("USERS", env) == from_file
    del env["USERS_ENCRYPTION_KEYRING_FILE"]
    prefixed = Keyring.from_environ("USERS", env)
    assert prefixed.key_material(prefixed.active_key_id) == KEY
    del env["USERS_ENCRYPTION_SECRET_KEY"]
    seed = Keyring.from_environ("USERS", env)
    assert seed.key_material(seed.active_key_id) == bytes.fromhex(env["ENCRYPTION_SECRET_KEY"])


def test_keyring_json_round_trips_and_keeps_the_active_key() -> None:
    keyring = Keyring.generate().with_new_active_key()
    assert keyring.key_ids == ("k1", "k2")
    assert keyring.active_key_id == "k2"
    assert Keyring.from_json(keyring.to_json()) == keyring
    blind = BlindIndexKeyring.generate().with_new_active_version()
    assert blind.versions == ("v1", "v2") and blind.active_version == "v2"
    assert BlindIndexKeyring.from_json(blind.to_json()) == blind


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{not json", "not valid JSON"),
        ("[]", "must be a JSON object"),
        (json.dumps({"active": "k1"}), "must be a JSON object"),
        (json.dumps({"active": "k3", "keys": {"k1": KEY_HEX}}), '"active" must name'),
        (json.dumps({"keys": {"k1": KEY_HEX}}), '"active" must name'),
        (json.dumps({"active": "k1", "keys": {"k1": "c2hvcnQ="}}), "key 'k1' must be a 32-byte"),
        (json.dumps({"active": "k.1", "keys": {"k.1": KEY_HEX}}), "key ids must be"),
        (json.dumps({"active": "k1", "keys": {"k1": 42}}), "must be a string"),
    ],
)
def test_bad_keyring_json_names_the_variable(text: str, expected: str) -> None:
    with pytest.raises(KeyConfigurationError) as caught:
        Keyring.from_environ("USERS", {"USERS_ENCRYPTION_KEYRING": text})
    assert "USERS_ENCRYPTION_KEYRING" in str(caught.value)
    assert expected in str(caught.value)
    assert KEY_HEX not in str(caught.value)


def test_a_missing_keyring_file_names_variable_and_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    with pytest.raises(KeyConfigurationError) as caught:
        Keyring.from_environ("USERS", {"USERS_ENCRYPTION_KEYRING_FILE": str(missing)})
    assert "USERS_ENCRYPTION_KEYRING_FILE" in str(caught.value)
    assert str(missing) in str(caught.value)


def test_data_and_blind_index_keys_must_differ() -> None:
    env = {"USERS_ENCRYPTION_SECRET_KEY": KEY_HEX, "USERS_BLIND_INDEX_KEY": KEY_B64}
    with pytest.raises(KeyConfigurationError, match="must differ"):
        EncryptionServices.from_environ("users", "USERS", env)
    env["USERS_BLIND_INDEX_KEY"] = secrets.token_hex(32)
    services = EncryptionServices.from_environ("users", "USERS", env)
    assert services.subgraph == "users"


def test_rotation_refuses_an_existing_id() -> None:
    with pytest.raises(KeyConfigurationError, match="already exists"):
        Keyring.generate("k1").with_new_active_key("k1")


def test_no_secret_in_any_repr_or_str() -> None:
    keyring = Keyring.generate().with_new_active_key()
    blind = BlindIndexKeyring.generate()
    services = EncryptionServices("users", keyring, blind)
    session = services.session()
    sealed = session.seal("alice@example.com", table="users", column="email", row_id="usr_1")
    session.open(sealed, table="users", column="email", row_id="usr_1")
    secrets_to_hide = ["alice@example.com", sealed.envelope]
    for ring in (keyring, blind):
        for key_id in ring.key_ids:
            material = ring.key_material(key_id)
            secrets_to_hide += [
                material.hex(),
                base64.b64encode(material).decode().rstrip("="),
                base64.urlsafe_b64encode(material).decode().rstrip("="),
                repr(material),
            ]
    objects: list[object] = [
        keyring,
        blind,
        FieldCipher(keyring),
        BlindIndex(blind),
        services,
        services.cipher,
        services.blind_index,
        session,
        sealed,
    ]
    for obj in objects:
        for text in (repr(obj), str(obj), f"{obj}", f"{obj!r}"):
            for secret in secrets_to_hide:
                assert secret not in text, type(obj).__name__
    assert repr(keyring) == "Keyring(active='k2', key_ids=('k1', 'k2'))"
    assert repr(sealed) == "Sealed(key_id='k2')"
    assert repr(Sealed("garbage")) == "Sealed(key_id=None)"


@pytest.mark.parametrize(
    "factory",
    [
        Keyring.generate,
        BlindIndexKeyring.generate,
        lambda: FieldCipher(Keyring.generate()),
        lambda: BlindIndex(BlindIndexKeyring.generate()),
        lambda: EncryptionServices("users", Keyring.generate(), BlindIndexKeyring.generate()),
    ],
)
def test_key_holders_refuse_to_be_pickled(factory: object) -> None:
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(factory())  # type: ignore[operator]
