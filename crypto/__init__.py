"""Field-level encryption for the wealth platform's subgraphs.

Every sensitive field is stored as an AES-256-GCM envelope (``wt1.A256GCM.<key id>.<data>``) whose
associated data binds it to its subgraph, table, column and row id and authenticates the header.
Blind indexes (HMAC-SHA256 with separate, versioned keys) support uniqueness and equality look-ups
on encrypted e-mail addresses and references.  Each subgraph has its own keyring.

Threat model
------------
Protected against:

* a stolen database file, dump or backup: it holds envelopes and blind-index digests only; the
  keys live in the environment or a keyring file, never in the database;
* a read-only SQL injection: it can read envelopes but not open them;
* an insider with write access to the database who swaps, copies or edits ciphertexts: a value
  moved to another row, column, table or subgraph, or changed by a single byte, or whose header
  is altered, fails to open with one generic :class:`DecryptionError` (never garbage, never a hint).

Not protected against:

* a compromised running service, or anyone who can read its environment or keyring file: it
  holds the keys and can open everything it serves;
* deletion or rollback of whole rows (an old envelope restored to its own row still opens; the
  version columns and audit logs are the defence there), and what blind indexes reveal by design
  (which rows share an e-mail address or reference);
* values from the seed system (AES-256-CBC without a MAC), which :mod:`crypto.legacy` reads only
  through an explicit migration step.

What the SQLAlchemy column type deliberately does not do: decrypt on load or encrypt on flush.
Loaded rows carry opaque :class:`Sealed` envelopes; opening one needs its binding and goes through
the operation's :class:`EncryptionSession`, which records the access.

Nothing in this package imports from the rest of the project, and nothing reads keys at import.
"""

from crypto.binding import Binding
from crypto.blind_index import BlindIndex, normalise_email, normalise_reference
from crypto.cipher import FieldCipher
from crypto.errors import CryptoError, DecryptionError, KeyConfigurationError
from crypto.internal_token import (
    INTERNAL_TOKEN_AUDIENCE,
    INTERNAL_TOKEN_HEADER,
    INTERNAL_TOKEN_ISSUER,
    REQUEST_ID_HEADER,
    InvalidInternalToken,
    Principal,
    internal_key_id,
    is_valid_request_id,
    load_or_create_dev_keypair,
    load_private_key,
    load_public_keys,
    mint_internal_token,
    verify_internal_token,
)
from crypto.keys import BlindIndexKeyring, Keyring
from crypto.serialisation import JSONValue, Sealable
from crypto.session import EncryptionServices, EncryptionSession, FieldAccess
from crypto.sqlalchemy import EncryptedText, Sealed, encrypted_column
from crypto.strawberry import EncryptionSessionExtension, get_session, session_from_context

__all__ = [
    "INTERNAL_TOKEN_AUDIENCE",
    "INTERNAL_TOKEN_HEADER",
    "INTERNAL_TOKEN_ISSUER",
    "REQUEST_ID_HEADER",
    "Binding",
    "BlindIndex",
    "BlindIndexKeyring",
    "CryptoError",
    "DecryptionError",
    "EncryptedText",
    "EncryptionServices",
    "EncryptionSession",
    "EncryptionSessionExtension",
    "FieldAccess",
    "FieldCipher",
    "InvalidInternalToken",
    "JSONValue",
    "KeyConfigurationError",
    "Keyring",
    "Principal",
    "Sealable",
    "Sealed",
    "encrypted_column",
    "get_session",
    "internal_key_id",
    "is_valid_request_id",
    "load_or_create_dev_keypair",
    "load_private_key",
    "load_public_keys",
    "mint_internal_token",
    "normalise_email",
    "normalise_reference",
    "session_from_context",
    "verify_internal_token",
]
