"""Blind indexes: keyed digests of normalised values for uniqueness and equality look-ups.

``HMAC-SHA256(key[version], kind || 0x00 || normalised value)``, written ``<version>:<hex>``.
The version names the blind-index key, so the index key can rotate: during a rotation, look up
with :meth:`BlindIndex.candidates_email` (one digest per known version) and rewrite rows to the
active version.  The kind (``email``, ``reference``) separates the domains, so an e-mail and a
reference with the same text never share a digest.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata

from crypto.keys import BlindIndexKeyring

__all__ = ["BlindIndex", "normalise_email", "normalise_reference"]


def normalise_email(value: str) -> str:
    """Trim, apply Unicode NFC and lower-case an e-mail address."""
    return unicodedata.normalize("NFC", value.strip()).lower()


def normalise_reference(value: str) -> str:
    """Trim and apply Unicode NFC to a client reference (case is significant)."""
    return unicodedata.normalize("NFC", value.strip())


class BlindIndex:
    """Computes versioned blind-index digests with a :class:`BlindIndexKeyring`."""

    __slots__ = ("_active", "_keyring", "_macs")

    def __init__(self, keyring: BlindIndexKeyring) -> None:
        if not isinstance(keyring, BlindIndexKeyring):
            raise TypeError("BlindIndex needs a BlindIndexKeyring")
        self._keyring = keyring
        self._active = keyring.active_version
        # Keyed HMAC states prepared once and copied per digest (saves the key schedule).
        self._macs = {
            version: hmac.new(keyring.key_material(version), digestmod=hashlib.sha256)
            for version in keyring.versions
        }

    @property
    def active_version(self) -> str:
        """The version new digests are computed under."""
        return self._active

    def _digest(self, version: str, kind: bytes, value: str) -> str:
        if not isinstance(value, str):
            raise TypeError("blind indexes are computed over strings")
        mac = self._macs[version].copy()
        mac.update(kind + b"\x00" + value.encode())
        return f"{version}:{mac.hexdigest()}"

    def email(self, value: str) -> str:
        """Digest of a normalised e-mail address under the active version."""
        return self._digest(self._active, b"email", normalise_email(value))

    def reference(self, value: str) -> str:
        """Digest of a normalised client reference under the active version."""
        return self._digest(self._active, b"reference", normalise_reference(value))

    def candidates_email(self, value: str) -> list[str]:
        """Digests under every known version, active first (look-ups during a rotation)."""
        normalised = normalise_email(value)
        return [self._digest(v, b"email", normalised) for v in self._ordered_versions()]

    def candidates_reference(self, value: str) -> list[str]:
        """Digests under every known version, active first (look-ups during a rotation)."""
        normalised = normalise_reference(value)
        return [self._digest(v, b"reference", normalised) for v in self._ordered_versions()]

    @staticmethod
    def version_of(digest: str) -> str:
        """Return the version a digest was computed under (for rotation status counts)."""
        version, separator, _ = digest.partition(":")
        if not separator:
            raise ValueError("not a blind-index digest")
        return version

    def _ordered_versions(self) -> list[str]:
        return [self._active, *(v for v in self._keyring.versions if v != self._active)]

    def __repr__(self) -> str:
        return f"BlindIndex(active={self._active!r}, versions={self._keyring.versions!r})"

    __str__ = __repr__

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("BlindIndex cannot be pickled")
