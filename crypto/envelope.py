"""The text envelope of a sealed value.

Format (one line of ASCII, safe in any text column)::

    wt1.A256GCM.<key id>.<base64url(nonce || ciphertext || tag), no padding>

``wt1`` is the format version, ``A256GCM`` the algorithm (AES-256-GCM, 96-bit random nonce,
128-bit tag) and the key id names the keyring entry that sealed it.  The header
(``wt1.A256GCM.<key id>``) is part of the associated data, so it cannot be edited without the
tag failing.  Parsing is strict and canonical (an exact alphabet, no padding, the re-encoded body
must equal the input): otherwise two different strings could open to the same value, and a
"changed" byte could go unnoticed.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from crypto.errors import DecryptionError

__all__ = ["ALGORITHM", "FORMAT_VERSION", "Envelope", "format_envelope", "parse_envelope"]

FORMAT_VERSION = "wt1"
ALGORITHM = "A256GCM"
NONCE_SIZE = 12
TAG_SIZE = 16
_KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
# Unused low bits of the last character, by length % 4 (2 chars -> 1 byte, 3 chars -> 2 bytes).
_UNUSED_BITS = {2: 0x0F, 3: 0x03}


@dataclass(frozen=True, slots=True)
class Envelope:
    """A parsed envelope: its header text, key id and raw body bytes."""

    header: str
    key_id: str
    body: bytes


def header_for(key_id: str) -> str:
    """Return the header text for ``key_id``."""
    return f"{FORMAT_VERSION}.{ALGORITHM}.{key_id}"


def format_envelope(header: str, body: bytes) -> str:
    """Join a header and a body (nonce || ciphertext || tag) into envelope text."""
    return f"{header}.{base64.urlsafe_b64encode(body).rstrip(b'=').decode('ascii')}"


def parse_envelope(text: object) -> Envelope:
    """Split envelope text; raises the generic :class:`DecryptionError` if it is not one."""
    if not isinstance(text, str):
        raise DecryptionError
    parts = text.split(".")
    if len(parts) != 4 or parts[0] != FORMAT_VERSION or parts[1] != ALGORITHM:
        raise DecryptionError
    key_id, encoded = parts[2], parts[3]
    if _KEY_ID.fullmatch(key_id) is None:
        raise DecryptionError
    # The alphabet is checked here and by strict decoding (which refuses anything but the
    # standard alphabet once "-_" are mapped); "+/=" must not sneak in through the mapping.
    # (str.replace, not str.translate: translate costs microseconds.)
    remainder = len(encoded) % 4
    if remainder == 1 or "+" in encoded or "/" in encoded or "=" in encoded:
        raise DecryptionError
    try:
        body = binascii.a2b_base64(
            encoded.replace("-", "+").replace("_", "/") + "=" * (-remainder % 4), strict_mode=True
        )
    except ValueError:  # binascii.Error, or non-ASCII characters
        raise DecryptionError from None
    # Canonical form only: base64 ignores the unused low bits of the last character, so without
    # this check some single-character edits would decode to the very same bytes.
    if remainder and _ALPHABET.index(encoded[-1]) & _UNUSED_BITS[remainder]:
        raise DecryptionError
    if len(body) < NONCE_SIZE + 1 + TAG_SIZE:  # a payload always holds at least its type tag
        raise DecryptionError
    return Envelope(header=text[: len(text) - len(encoded) - 1], key_id=key_id, body=body)
