"""Reader for the seed's Node.js format, for explicit one-off import and migration only.

The seed service stored ``<iv hex>:<ciphertext hex>`` made by Node's ``aes-256-cbc`` (PKCS#7
padding, no MAC) with the key from ``ENCRYPTION_SECRET_KEY``.  Without a MAC such a value can be
altered undetectably, so this module is never a fallback of :meth:`FieldCipher.open`: a migration
decides from stored state (e.g. a format marker or a migration table) that a value is legacy, opens
it here once and re-seals it with :class:`~crypto.cipher.FieldCipher`.  It is not re-exported from
``crypto``; import ``crypto.legacy`` on purpose.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from crypto.errors import DecryptionError, KeyConfigurationError
from crypto.keys import KEY_SIZE, parse_key

__all__ = ["legacy_key", "legacy_key_from_environ", "looks_like_legacy", "open_legacy_cbc"]

_LEGACY = re.compile(r"(?P<iv>[0-9a-fA-F]{32}):(?P<ct>(?:[0-9a-fA-F]{32})+)")


def looks_like_legacy(value: str) -> bool:
    """Tell whether ``value`` has the legacy shape (it says nothing about whether it opens)."""
    return isinstance(value, str) and _LEGACY.fullmatch(value) is not None


def legacy_key(secret_key: bytes | str, source: str = "ENCRYPTION_SECRET_KEY") -> bytes:
    """Return the 32-byte legacy key.

    ``bytes`` must be the raw key.  A ``str`` is read as 64 hex digits or base64, like our own keys;
    failing that, a string of exactly 32 bytes is taken as the raw key, which is what Node's
    ``Buffer.from(process.env.ENCRYPTION_SECRET_KEY)`` did with a 32-character secret.
    """
    if isinstance(secret_key, bytes):
        if len(secret_key) != KEY_SIZE:
            raise KeyConfigurationError(f"{source} must be {KEY_SIZE} bytes")
        return secret_key
    if not isinstance(secret_key, str):
        raise KeyConfigurationError(f"{source} must be bytes or str")
    try:
        return parse_key(secret_key, source)
    except KeyConfigurationError:
        raw = secret_key.encode()
        if len(raw) == KEY_SIZE:
            return raw
        raise


def legacy_key_from_environ(
    environ: Mapping[str, str] | None = None, variable: str = "ENCRYPTION_SECRET_KEY"
) -> bytes:
    """Read the seed's key from ``variable`` (a clear error names it when missing or malformed)."""
    env: Mapping[str, str] = os.environ if environ is None else environ
    value = env.get(variable, "")
    if not value.strip():
        raise KeyConfigurationError(f"{variable} is not set; it holds the seed system's key")
    return legacy_key(value, variable)


def open_legacy_cbc(value: str, secret_key: bytes | str) -> str:
    """Decrypt one seed value; any failure raises the generic :class:`DecryptionError`.

    CBC without a MAC cannot detect every tampering: a wrong key or an edited value usually fails
    the padding or UTF-8 check, but not always.  Run it once per value, under migration control.
    """
    key = legacy_key(secret_key)  # raises KeyConfigurationError before anything is decrypted
    match = _LEGACY.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise DecryptionError
    iv = bytes.fromhex(match["iv"])
    ciphertext = bytes.fromhex(match["ct"])
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    padded = decryptor.update(ciphertext) + decryptor.finalize()
    unpadder = padding.PKCS7(algorithms.AES.block_size).unpadder()
    try:
        plain = unpadder.update(padded) + unpadder.finalize()
        return plain.decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        raise DecryptionError from None
