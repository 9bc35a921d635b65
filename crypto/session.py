"""The per-operation encryption session and the long-lived services it is made from.

:class:`EncryptionServices` holds one subgraph's cipher and blind index for the life of the app.
:meth:`EncryptionServices.session` makes an :class:`EncryptionSession` for one GraphQL operation
(or one REST call, one CLI run): it seals and opens with the subgraph filled in, records which
sensitive field of which entity was decrypted (``accessed``, for the access audit), and remembers
the plaintexts it handled so that error messages can be scrubbed of them (:meth:`scrub`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import TypeVar

from crypto.binding import Binding
from crypto.blind_index import BlindIndex
from crypto.cipher import FieldCipher
from crypto.errors import KeyConfigurationError
from crypto.keys import BlindIndexKeyring, Keyring
from crypto.serialisation import Sealable
from crypto.sqlalchemy import Sealed

__all__ = ["REDACTED", "EncryptionServices", "EncryptionSession", "FieldAccess"]

_T = TypeVar("_T")

REDACTED = "[redacted]"
# Shorter plaintexts ("0", "GB") would redact unrelated text all over a message; a value that
# short carries little information on its own.
MIN_SCRUB_LENGTH = 3


@dataclass(frozen=True, slots=True)
class FieldAccess:
    """One decrypted field: which entity (type name or table), which row id, which field."""

    entity: str
    row_id: str
    field: str


def _text_forms(value: object) -> Iterator[str]:
    """Yield the strings under which ``value`` could appear in an error message."""
    if isinstance(value, Enum):
        yield value.name
    elif isinstance(value, str):
        yield value
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, (int, float, Decimal)):
        yield str(value)
    elif isinstance(value, date):
        yield value.isoformat()
    elif isinstance(value, dict):
        for item in value.values():
            yield from _text_forms(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _text_forms(item)


class EncryptionSession:
    """Seal/open for one operation, with an access record and a plaintext scrubber."""

    __slots__ = ("_cipher", "_index", "_pattern", "_plaintexts", "_seen", "accessed", "subgraph")

    subgraph: str
    accessed: list[FieldAccess]

    def __init__(self, subgraph: str, cipher: FieldCipher, blind_index: BlindIndex) -> None:
        self.subgraph = subgraph
        self._cipher = cipher
        self._index = blind_index
        self.accessed = []
        self._seen: set[tuple[str, str, str]] = set()
        self._plaintexts: set[str] = set()
        self._pattern: re.Pattern[str] | None = None

    # -- sealing and opening ----------------------------------------------------------------------

    def _binding(self, table: str, column: str, row_id: str) -> Binding:
        return Binding(self.subgraph, table, column, row_id)

    def seal(self, value: Sealable, *, table: str, column: str, row_id: str) -> Sealed:
        """Seal ``value`` for ``table.column`` of row ``row_id`` (id made before insert)."""
        self._remember(value)
        return Sealed(self._cipher.seal(value, self._binding(table, column, row_id)))

    def open(
        self,
        sealed: Sealed,
        *,
        table: str,
        column: str,
        row_id: str,
        entity: str | None = None,
    ) -> Sealable:
        """Open a stored value and record the access; raises the generic DecryptionError."""
        if not isinstance(sealed, Sealed):
            raise TypeError("open needs a Sealed value (as loaded from an encrypted column)")
        value = self._cipher.open(sealed.envelope, self._binding(table, column, row_id))
        self._remember(value)
        key = (entity or table, row_id, column)
        if key not in self._seen:  # a tuple: cheaper than building a FieldAccess per read
            self._seen.add(key)
            self.accessed.append(FieldAccess(*key))
        return value

    def open_as(
        self,
        kind: type[_T],
        sealed: Sealed,
        *,
        table: str,
        column: str,
        row_id: str,
        entity: str | None = None,
    ) -> _T:
        """Like :meth:`open`, checking the opened value's type (``TypeError`` names types only).

        ``session.open_as(Decimal, user.annual_income, ...)`` returns a ``Decimal`` to the type
        checker and at run time; use ``list`` for enum lists and ``dict`` for JSON objects.
        """
        value = self.open(sealed, table=table, column=column, row_id=row_id, entity=entity)
        if not isinstance(value, kind):
            raise TypeError(
                f"{table}.{column} opened as {type(value).__name__}, expected {kind.__name__}"
            )
        return value

    def seal_optional(
        self, value: Sealable | None, *, table: str, column: str, row_id: str
    ) -> Sealed | None:
        """Like :meth:`seal`, but ``None`` (an absent optional field) stays ``None``."""
        if value is None:
            return None
        return self.seal(value, table=table, column=column, row_id=row_id)

    def open_optional(
        self,
        sealed: Sealed | None,
        *,
        table: str,
        column: str,
        row_id: str,
        entity: str | None = None,
    ) -> Sealable | None:
        """Like :meth:`open`, but ``None`` (a NULL column) stays ``None`` and is not recorded."""
        if sealed is None:
            return None
        return self.open(sealed, table=table, column=column, row_id=row_id, entity=entity)

    def reseal(self, sealed: Sealed, *, table: str, column: str, row_id: str) -> Sealed:
        """Move a value to the active key (unchanged if already there); not an audited access."""
        binding = self._binding(table, column, row_id)
        return Sealed(self._cipher.reseal(sealed.envelope, binding))

    def blind_index_email(self, value: str) -> str:
        """Blind-index digest of an e-mail address under the active version."""
        self._remember(value)
        return self._index.email(value)

    def blind_index_reference(self, value: str) -> str:
        """Blind-index digest of a client reference under the active version."""
        self._remember(value)
        return self._index.reference(value)

    def blind_index_email_candidates(self, value: str) -> list[str]:
        """Digests under every known version (look-ups while the index key rotates)."""
        self._remember(value)
        return self._index.candidates_email(value)

    def blind_index_reference_candidates(self, value: str) -> list[str]:
        """Digests under every known version (look-ups while the index key rotates)."""
        self._remember(value)
        return self._index.candidates_reference(value)

    # -- scrubbing --------------------------------------------------------------------------------

    def _remember(self, value: object) -> None:
        if type(value) is str:  # the common case, without the generator
            if len(value) >= MIN_SCRUB_LENGTH and value not in self._plaintexts:
                stripped = value.strip()
                if len(stripped) >= MIN_SCRUB_LENGTH:
                    self._plaintexts.add(stripped)
                    self._pattern = None
            return
        for text in _text_forms(value):
            text = text.strip()
            if len(text) >= MIN_SCRUB_LENGTH and text not in self._plaintexts:
                self._plaintexts.add(text)
                self._pattern = None

    def remember_plaintext(self, *values: object) -> None:
        """Add values (e.g. a mutation's sensitive inputs) to what :meth:`scrub` removes."""
        for value in values:
            self._remember(value)

    def scrub(self, text: str) -> str:
        """Replace every plaintext this session handled (case-insensitively) by ``[redacted]``."""
        if not self._plaintexts or not text:
            return text
        if self._pattern is None:
            # Longest first, so a value that contains another is redacted whole.
            ordered = sorted(self._plaintexts, key=len, reverse=True)
            self._pattern = re.compile("|".join(map(re.escape, ordered)), re.IGNORECASE)
        return self._pattern.sub(REDACTED, text)

    def contains_plaintext(self, text: str) -> bool:
        """Tell whether ``text`` holds a plaintext this session handled."""
        return self.scrub(text) != text

    def __repr__(self) -> str:
        return (
            f"EncryptionSession(subgraph={self.subgraph!r}, accessed={len(self.accessed)} fields)"
        )

    __str__ = __repr__

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("EncryptionSession cannot be pickled")


class EncryptionServices:
    """One subgraph's long-lived encryption objects; makes a session per operation."""

    __slots__ = ("blind_index", "cipher", "subgraph")

    subgraph: str
    cipher: FieldCipher
    blind_index: BlindIndex

    def __init__(self, subgraph: str, keyring: Keyring, blind_keyring: BlindIndexKeyring) -> None:
        if not subgraph:
            raise ValueError("EncryptionServices needs the subgraph name")
        data_keys = {keyring.key_material(key_id) for key_id in keyring.key_ids}
        if any(blind_keyring.key_material(v) in data_keys for v in blind_keyring.versions):
            # One key for both jobs would tie index rotation to data rotation, and reuse a key
            # across two algorithms; the design asks for separate keys.
            raise KeyConfigurationError(
                f"{subgraph}: the blind-index keys must differ from the data-encryption keys"
            )
        self.subgraph = subgraph
        self.cipher = FieldCipher(keyring)
        self.blind_index = BlindIndex(blind_keyring)

    @classmethod
    def from_environ(
        cls, subgraph: str, prefix: str, environ: Mapping[str, str] | None = None
    ) -> EncryptionServices:
        """Build from ``{prefix}_ENCRYPTION_*`` and ``{prefix}_BLIND_INDEX_*`` variables."""
        return cls(
            subgraph,
            Keyring.from_environ(prefix, environ),
            BlindIndexKeyring.from_environ(prefix, environ),
        )

    def session(self) -> EncryptionSession:
        """Start a session for one operation."""
        return EncryptionSession(self.subgraph, self.cipher, self.blind_index)

    def __repr__(self) -> str:
        return f"EncryptionServices(subgraph={self.subgraph!r}, cipher={self.cipher!r})"

    __str__ = __repr__

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("EncryptionServices cannot be pickled")
