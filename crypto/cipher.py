"""Seal and open field values with AES-256-GCM, bound to their row and column.

The associated data is the envelope header plus the :class:`~crypto.binding.Binding`, each length
prefixed, so neither the header (format, algorithm, key id) nor the value's place can be changed
without the tag failing.  Every failure raises the same :class:`DecryptionError`.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from crypto.binding import Binding, length_prefixed
from crypto.envelope import NONCE_SIZE, format_envelope, header_for, parse_envelope
from crypto.errors import DecryptionError
from crypto.keys import Keyring
from crypto.serialisation import Sealable, _Malformed, deserialise, serialise

__all__ = ["FieldCipher"]

_PREFIX_CACHE_SIZE = 4096


class FieldCipher:
    """Seals values under the keyring's active key; opens values sealed under any of its keys."""

    __slots__ = ("_active_header", "_active_id", "_aeads", "_headers", "_keyring", "_prefixes")

    def __init__(self, keyring: Keyring) -> None:
        if not isinstance(keyring, Keyring):
            raise TypeError("FieldCipher needs a Keyring")
        self._keyring = keyring
        # One AESGCM object per key, built once: constructing it per value would dominate the cost.
        self._aeads = {kid: AESGCM(keyring.key_material(kid)) for kid in keyring.key_ids}
        self._headers = {kid: header_for(kid) for kid in keyring.key_ids}
        self._active_id = keyring.active_key_id
        self._active_header = self._headers[self._active_id]
        self._prefixes: dict[tuple[str, str, str, str], bytes] = {}

    @property
    def keyring(self) -> Keyring:
        """The keyring this cipher uses."""
        return self._keyring

    @property
    def active_key_id(self) -> str:
        """The key id new values are sealed under."""
        return self._active_id

    def _associated_data(self, header: str, binding: Binding) -> bytes:
        # length_prefixed(header, subgraph, table, column, row_id): the same bytes as
        # length_prefixed(header) + binding.associated_data().  Only the row id varies between
        # the values of one column, so the prefix is cached (bounded: columns x keys).
        place = (header, binding.subgraph, binding.table, binding.column)
        prefix = self._prefixes.get(place)
        if prefix is None:
            if len(self._prefixes) >= _PREFIX_CACHE_SIZE:
                self._prefixes.clear()
            prefix = length_prefixed(
                header.encode("ascii"),
                binding.subgraph.encode(),
                binding.table.encode(),
                binding.column.encode(),
            )
            self._prefixes[place] = prefix
        return prefix + length_prefixed(binding.row_id.encode())

    def seal(self, value: Sealable, binding: Binding) -> str:
        """Encrypt ``value`` for the place ``binding`` names; return the envelope text."""
        if not isinstance(binding, Binding):
            raise TypeError("seal needs a Binding")
        payload = serialise(value)
        header = self._active_header
        nonce = os.urandom(NONCE_SIZE)
        sealed = self._aeads[self._active_id].encrypt(
            nonce, payload, self._associated_data(header, binding)
        )
        return format_envelope(header, nonce + sealed)

    def open(self, envelope: str, binding: Binding) -> Sealable:
        """Decrypt an envelope sealed for ``binding``; every failure is one DecryptionError."""
        if not isinstance(binding, Binding):
            raise TypeError("open needs a Binding")
        parsed = parse_envelope(envelope)
        aead = self._aeads.get(parsed.key_id)
        if aead is None:
            raise DecryptionError
        nonce, sealed = parsed.body[:NONCE_SIZE], parsed.body[NONCE_SIZE:]
        try:
            payload = aead.decrypt(nonce, sealed, self._associated_data(parsed.header, binding))
            return deserialise(payload)
        except (InvalidTag, _Malformed):
            raise DecryptionError from None

    def key_id_of(self, envelope: str) -> str:
        """Return the key id named in an envelope's header (for rotation status counts).

        This reads the header only; it does not prove the value opens.
        """
        return parse_envelope(envelope).key_id

    def reseal(self, envelope: str, binding: Binding) -> str:
        """Open with whichever known key sealed it, seal again under the active key.

        A value already under the active key is verified and returned unchanged, so a resumed
        re-encryption run does not rewrite rows it has already moved.
        """
        value = self.open(envelope, binding)
        if parse_envelope(envelope).key_id == self._active_id:
            return envelope
        return self.seal(value, binding)

    def __repr__(self) -> str:
        return f"FieldCipher(active={self._active_id!r}, key_ids={self._keyring.key_ids!r})"

    __str__ = __repr__

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("FieldCipher cannot be pickled")
