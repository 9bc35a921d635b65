"""The exceptions raised by :mod:`crypto`.

Hierarchy::

    CryptoError
     +-- DecryptionError          a value could not be opened (tampered, moved, unknown key,
     |                            wrong key, not an envelope); one message, never a hint
     +-- KeyConfigurationError    (also a ValueError) keys are missing or malformed; names the
                                  variable or file at fault, never the key material

Messages never contain plaintext or key material: they end up in logs and GraphQL errors.
"""

from __future__ import annotations

__all__ = ["CryptoError", "DecryptionError", "KeyConfigurationError"]

DECRYPTION_FAILED_MESSAGE = "encrypted value could not be opened"


class CryptoError(Exception):
    """Base class of every error raised by the crypto package."""


class DecryptionError(CryptoError):
    """A sealed value could not be opened.

    The message is deliberately the same for every cause (tampering, a value moved to another row
    or column, an unknown key id, a wrong key, malformed input): telling them apart would help an
    attacker probe the system, and it is never actionable for an API client.
    """

    def __init__(self, message: str = DECRYPTION_FAILED_MESSAGE) -> None:
        super().__init__(message)


class KeyConfigurationError(CryptoError, ValueError):
    """Keys are missing or malformed; the message names the variable or file, never the key."""
