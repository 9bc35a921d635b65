"""Keyrings: the data-encryption keys and the blind-index keys of one subgraph.

A keyring holds several 32-byte keys by id and names one of them active.  New values are always
sealed (or indexed) under the active key; the others stay for reading until a re-encryption has
moved every row off them.  Keys are looked up by the id written in the envelope, never by trying
each one.

Sources, first match wins (``PREFIX`` is the subgraph's environment prefix, e.g. ``USERS``):

* data keys: ``PREFIX_ENCRYPTION_KEYRING`` (JSON), ``PREFIX_ENCRYPTION_KEYRING_FILE`` (path to that
  JSON), ``PREFIX_ENCRYPTION_SECRET_KEY`` (one key), then the seed's ``ENCRYPTION_SECRET_KEY``;
* blind-index keys: ``PREFIX_BLIND_INDEX_KEYRING``, ``PREFIX_BLIND_INDEX_KEYRING_FILE``,
  ``PREFIX_BLIND_INDEX_KEY``.

The keyring JSON is ``{"active": "k2", "keys": {"k1": "<base64 or hex>", "k2": "..."}}``.  A key is
32 bytes written as 64 hex digits or as base64 (standard or URL-safe, padding optional).

A one-key source gets a deterministic id (``k`` + 8 hex digits of a SHA-256 over the key), so the
same key always yields the same id: moving from ``ENCRYPTION_SECRET_KEY`` to a keyring file keeps
old envelopes readable as long as the file keeps that id (``to_json`` writes it).

Key ids are 1-64 characters of ``A-Z a-z 0-9 _ -``, which leaves room for ids that name a
per-client data key later (so a client's data can be erased by deleting the client's key).

``repr``/``str`` show key ids only.  Nothing here reads the environment or disk at import time.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar, Self

from crypto.errors import KeyConfigurationError

__all__ = ["KEY_ID_PATTERN", "BlindIndexKeyring", "Keyring", "parse_key"]

KEY_SIZE = 32
KEY_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
_HEX_KEY = re.compile(r"[0-9A-Fa-f]{64}")
_BASE64_KEY = re.compile(r"[A-Za-z0-9+/_-]{43}=?")


def _decode_base64(text: str) -> bytes:
    """Decode standard or URL-safe base64, padding optional, rejecting stray characters."""
    if not re.fullmatch(r"[A-Za-z0-9+/_-]+={0,2}", text):
        raise ValueError("not base64")
    unpadded = text.rstrip("=")
    padded = unpadded + "=" * (-len(unpadded) % 4)
    if "-" in text or "_" in text:
        return base64.urlsafe_b64decode(padded)
    return base64.b64decode(padded, validate=True)


def parse_key(text: str, source: str) -> bytes:
    """Decode one 32-byte key written as hex or base64; errors name ``source``, never the key."""
    if not isinstance(text, str):
        raise KeyConfigurationError(f"{source} must be a string holding a base64 or hex key")
    text = text.strip()
    if not text:
        raise KeyConfigurationError(
            f"{source} is empty; it must hold a 32-byte key (base64 or hex)"
        )
    # Hex first: 64 hex digits are also valid base64 (of 48 bytes), but nobody means that.
    if _HEX_KEY.fullmatch(text):
        return bytes.fromhex(text)
    if _BASE64_KEY.fullmatch(text):
        try:
            key = _decode_base64(text)
        except (binascii.Error, ValueError):
            key = b""
        if len(key) == KEY_SIZE:
            return key
    found = "it is neither valid hex nor valid base64"
    if re.fullmatch(r"(?:[0-9A-Fa-f]{2})+", text):
        found = f"it reads as hex of {len(text) // 2} bytes"
    else:
        with contextlib.suppress(binascii.Error, ValueError):
            found = f"it reads as base64 of {len(_decode_base64(text))} bytes"
    raise KeyConfigurationError(
        f"{source} must be a {KEY_SIZE}-byte key written as 64 hex digits or as base64 "
        f"(44 characters); {found}"
    )


def _check_key_id(key_id: object, source: str) -> str:
    if not isinstance(key_id, str) or not KEY_ID_PATTERN.fullmatch(key_id):
        raise KeyConfigurationError(
            f"{source}: key ids must be 1-64 characters of A-Z, a-z, 0-9, '_' or '-'"
        )
    return key_id


def derived_key_id(prefix: str, key: bytes) -> str:
    """Return a stable id for a key given alone (domain-separated hash, 32 bits shown)."""
    digest = hashlib.sha256(b"wealthtech key id\x00" + key).hexdigest()
    return f"{prefix}{digest[:8]}"


class _VersionedKeys:
    """Shared shape of both keyrings: immutable ``{id: 32-byte key}`` plus the active id."""

    __slots__ = ("_active", "_keys")

    # Environment variable suffixes and the default id prefix; set by subclasses.
    _JSON_SUFFIX: ClassVar[str]
    _FILE_SUFFIX: ClassVar[str]
    _SINGLE_SUFFIX: ClassVar[str]
    _UNPREFIXED_SINGLE: ClassVar[str | None] = None
    _ID_PREFIX: ClassVar[str]

    _active: str
    _keys: dict[str, bytes]

    def __init__(self, keys: Mapping[str, bytes], active: str) -> None:
        source = type(self).__name__
        if not keys:
            raise KeyConfigurationError(f"{source}: at least one key is required")
        checked: dict[str, bytes] = {}
        for key_id, key in keys.items():
            _check_key_id(key_id, source)
            if not isinstance(key, bytes) or len(key) != KEY_SIZE:
                raise KeyConfigurationError(f"{source}: key {key_id!r} must be {KEY_SIZE} bytes")
            checked[key_id] = key
        if active not in checked:
            raise KeyConfigurationError(f"{source}: the active key id {active!r} is not a key")
        self._keys = checked
        self._active = active

    # -- construction ---------------------------------------------------------------------------

    @classmethod
    def from_environ(cls, prefix: str, environ: Mapping[str, str] | None = None) -> Self:
        """Load the keyring from the environment (see the module docstring for the order)."""
        env: Mapping[str, str] = os.environ if environ is None else environ
        json_var = f"{prefix}_{cls._JSON_SUFFIX}"
        file_var = f"{prefix}_{cls._FILE_SUFFIX}"
        single_vars = [f"{prefix}_{cls._SINGLE_SUFFIX}"]
        if cls._UNPREFIXED_SINGLE:
            single_vars.append(cls._UNPREFIXED_SINGLE)
        if env.get(json_var, "").strip():
            return cls.from_json(env[json_var], source=json_var)
        if env.get(file_var, "").strip():
            return cls.from_file(env[file_var], source=file_var)
        for var in single_vars:
            if env.get(var, "").strip():
                return cls.from_single_key(parse_key(env[var], var))
        names = ", ".join([json_var, file_var, *single_vars])
        raise KeyConfigurationError(f"no {cls.__name__} configured: set one of {names}")

    @classmethod
    def from_single_key(cls, key: bytes, key_id: str | None = None) -> Self:
        """Wrap one key; its id is derived from the key unless given."""
        if not isinstance(key, bytes) or len(key) != KEY_SIZE:
            raise KeyConfigurationError(f"{cls.__name__}: a key must be {KEY_SIZE} bytes")
        new_id = key_id or derived_key_id(cls._ID_PREFIX, key)
        return cls({new_id: key}, new_id)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str], source: str | None = None) -> Self:
        """Read keyring JSON from a file; errors name the file (and variable), not the content."""
        where = f"{source} ({path})" if source else str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise KeyConfigurationError(
                f"{where}: cannot read the keyring file ({exc.strerror})"
            ) from None
        return cls.from_json(text, source=where)

    @classmethod
    def from_json(cls, text: str, source: str = "keyring") -> Self:
        """Parse ``{"active": id, "keys": {id: key}}``; errors name ``source``."""
        try:
            data = json.loads(text)
        except ValueError:
            raise KeyConfigurationError(f"{source} is not valid JSON") from None
        if not isinstance(data, dict) or not isinstance(data.get("keys"), dict):
            raise KeyConfigurationError(
                f'{source} must be a JSON object {{"active": "<id>", "keys": {{"<id>": "<key>"}}}}'
            )
        keys = {
            _check_key_id(key_id, source): parse_key(value, f"{source} key {key_id!r}")
            for key_id, value in data["keys"].items()
        }
        active = data.get("active")
        if not isinstance(active, str) or active not in keys:
            raise KeyConfigurationError(f'{source}: "active" must name one of its keys')
        return cls(keys, active)

    @classmethod
    def generate(cls, key_id: str | None = None) -> Self:
        """Create a keyring holding one fresh random key (for development and tests)."""
        new_id = _check_key_id(key_id or f"{cls._ID_PREFIX}1", cls.__name__)
        return cls({new_id: secrets.token_bytes(KEY_SIZE)}, new_id)

    def _with_new_active(self, key_id: str | None, key: bytes | None) -> Self:
        if key_id is None:
            number = len(self._keys) + 1
            while f"{self._ID_PREFIX}{number}" in self._keys:
                number += 1
            key_id = f"{self._ID_PREFIX}{number}"
        _check_key_id(key_id, type(self).__name__)
        if key_id in self._keys:
            raise KeyConfigurationError(f"{type(self).__name__}: key id {key_id!r} already exists")
        material = secrets.token_bytes(KEY_SIZE) if key is None else key
        return type(self)({**self._keys, key_id: material}, key_id)

    # -- export ---------------------------------------------------------------------------------

    def to_json(self) -> str:
        """Serialise with base64 keys, for the (git-ignored) development keyring file."""
        keys = {k: base64.b64encode(v).decode() for k, v in self._keys.items()}
        return json.dumps({"active": self._active, "keys": keys}, indent=2)

    # -- access ---------------------------------------------------------------------------------

    @property
    def key_ids(self) -> tuple[str, ...]:
        """All key ids, in insertion order."""
        return tuple(self._keys)

    def __contains__(self, key_id: object) -> bool:
        return key_id in self._keys

    def key_material(self, key_id: str) -> bytes:
        """Return the raw key for ``key_id`` (``KeyError`` if unknown); for the ciphers only."""
        return self._keys[key_id]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(active={self._active!r}, key_ids={self.key_ids!r})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, _VersionedKeys)
        return self._active == other._active and self._keys == other._keys

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> tuple[object, ...]:
        # Pickling would write key material to wherever the pickle goes (caches, task queues).
        raise TypeError(f"{type(self).__name__} cannot be pickled")


class Keyring(_VersionedKeys):
    """Data-encryption keys of one subgraph; one is active for sealing."""

    __slots__ = ()
    _JSON_SUFFIX = "ENCRYPTION_KEYRING"
    _FILE_SUFFIX = "ENCRYPTION_KEYRING_FILE"
    _SINGLE_SUFFIX = "ENCRYPTION_SECRET_KEY"
    _UNPREFIXED_SINGLE = "ENCRYPTION_SECRET_KEY"
    _ID_PREFIX = "k"

    @property
    def active_key_id(self) -> str:
        """The id new values are sealed under."""
        return self._active

    def with_new_active_key(self, key_id: str | None = None, key: bytes | None = None) -> Keyring:
        """Rotation: return a keyring with a new (random unless given) key made active."""
        return self._with_new_active(key_id, key)


class BlindIndexKeyring(_VersionedKeys):
    """HMAC keys for blind indexes, kept apart from the data keys; one version is active."""

    __slots__ = ()
    _JSON_SUFFIX = "BLIND_INDEX_KEYRING"
    _FILE_SUFFIX = "BLIND_INDEX_KEYRING_FILE"
    _SINGLE_SUFFIX = "BLIND_INDEX_KEY"
    _ID_PREFIX = "v"

    @property
    def active_version(self) -> str:
        """The version new digests are computed under."""
        return self._active

    @property
    def versions(self) -> tuple[str, ...]:
        """All versions, in insertion order."""
        return self.key_ids

    def with_new_active_version(
        self, version: str | None = None, key: bytes | None = None
    ) -> BlindIndexKeyring:
        """Rotation: return a keyring with a new (random unless given) key made active."""
        return self._with_new_active(version, key)
