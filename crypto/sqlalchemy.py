"""SQLAlchemy integration: encrypted columns hold opaque :class:`Sealed` envelopes.

What the column type does: it makes an encrypted column visible as such in the model
(``email: Mapped[Sealed] = encrypted_column()``, ``column.info["encrypted"] is True``), stores the
envelope text, and refuses to bind anything but a :class:`Sealed` value holding an envelope, so a
plain ``str`` can never be written into an encrypted column by mistake.

What it deliberately does not do: it never decrypts on load (nor encrypts on flush).  Opening a
value needs the binding to its row and an encryption session that records the access; a type
decorator knows neither, and decrypting every loaded row would put plaintext in memory (and in
``repr``s, logs and tracebacks) for rows nobody asked to see.  Services seal with the row id they
generated and open through the per-operation session, explicitly.
"""

from __future__ import annotations

from typing import Any, Literal, overload

from sqlalchemy import Text, event
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import ColumnProperty, MappedColumn, Mapper, mapped_column
from sqlalchemy.types import TypeDecorator

from crypto.envelope import parse_envelope
from crypto.errors import DecryptionError

__all__ = ["EncryptedText", "Sealed", "encrypted_column"]


class Sealed:
    """An envelope as stored in an encrypted column; opaque until opened through a session."""

    __slots__ = ("envelope",)

    envelope: str

    def __init__(self, envelope: str) -> None:
        if not isinstance(envelope, str):
            raise TypeError("Sealed holds envelope text")
        self.envelope = envelope

    @property
    def key_id(self) -> str | None:
        """The key id in the envelope header, or ``None`` if the text is not an envelope."""
        try:
            return parse_envelope(self.envelope).key_id
        except DecryptionError:
            return None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sealed):
            return NotImplemented
        return self.envelope == other.envelope

    def __hash__(self) -> int:
        return hash(self.envelope)

    def __repr__(self) -> str:
        # The envelope is ciphertext, but printing it invites copy-paste between rows and bloats
        # logs; the key id is what an operator needs.
        return f"Sealed(key_id={self.key_id!r})"

    __str__ = __repr__


class EncryptedText(TypeDecorator[Sealed]):
    """Text column that only accepts and returns :class:`Sealed`; never decrypts."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Sealed | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if not isinstance(value, Sealed):
            # The message names the type only: the value may be the plaintext we must not leak.
            raise TypeError(
                f"an encrypted column accepts only Sealed values, not {type(value).__name__}; "
                "seal it through the encryption session first"
            )
        try:
            # Shape check only (cheap): a Sealed built by hand around plaintext, or a legacy
            # value, must not reach the database; whether it opens is decided when it is read.
            parse_envelope(value.envelope)
        except DecryptionError:
            raise ValueError(
                "an encrypted column accepts only envelopes made by seal(); this Sealed value "
                "does not hold one"
            ) from None
        return value.envelope

    def process_literal_param(self, value: Sealed | None, dialect: Dialect) -> str:
        raise TypeError("encrypted columns cannot be rendered as SQL literals")

    def process_result_value(self, value: Any | None, dialect: Dialect) -> Sealed | None:
        if value is None:
            return None
        return Sealed(str(value))

    @property
    def python_type(self) -> type[Sealed]:
        return Sealed


@overload
def encrypted_column(*, nullable: Literal[False] = False) -> MappedColumn[Sealed]: ...
@overload
def encrypted_column(*, nullable: Literal[True]) -> MappedColumn[Sealed | None]: ...
def encrypted_column(*, nullable: bool = False) -> MappedColumn[Any]:
    """Declare a column that holds :class:`Sealed` envelopes (see the module docstring).

    Usage: ``email: Mapped[Sealed] = encrypted_column()``.
    """
    return mapped_column(EncryptedText(), nullable=nullable, info={"encrypted": True})


def _refuse_plaintext(target: object, value: object, oldvalue: object, initiator: object) -> object:
    if value is not None and not isinstance(value, Sealed):
        raise TypeError(
            f"an encrypted attribute accepts only Sealed values, not {type(value).__name__}; "
            "seal it through the encryption session first"
        )
    return value


@event.listens_for(Mapper, "mapper_configured")
def _guard_encrypted_attributes(mapper: Mapper[Any], class_: type[Any]) -> None:
    # Refuse plaintext when it is assigned, not only when it is flushed: a failed flush is a
    # StatementError whose text lists the statement's parameters, plaintext included.
    for prop in mapper.column_attrs:
        if isinstance(prop, ColumnProperty) and any(
            isinstance(column.type, EncryptedText) for column in prop.columns
        ):
            attribute = getattr(class_, prop.key)
            if not event.contains(attribute, "set", _refuse_plaintext):
                event.listen(attribute, "set", _refuse_plaintext, retval=True)
