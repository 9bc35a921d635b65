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
_PATTERN = re.compile(
    r"(?P<version>wt1)\.(?P<algorithm>A256GCM)\.(?P<kid>[A-Za-z0-9_-]{1,64})\.(?P<body>[A-Za-z0-9_-]+)"
)


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
    match = _PATTERN.fullmatch(text)
    if match is None:
        raise DecryptionError
    encoded = match["body"]
    try:
        body = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except (binascii.Error, ValueError):
        raise DecryptionError from None
    # Canonical form only: base64 ignores unused low bits of the last character, so without this
    # check some single-character edits would decode to the very same bytes.
    if base64.urlsafe_b64encode(body).rstrip(b"=").decode("ascii") != encoded:
        raise DecryptionError
    if len(body) < NONCE_SIZE + 1 + TAG_SIZE:  # a payload always holds at least its type tag
        raise DecryptionError
    return Envelope(header=text[: match.start("body") - 1], key_id=match["kid"], body=body)
