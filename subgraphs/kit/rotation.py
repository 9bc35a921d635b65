"""Key rotation for one subgraph: keyring files, rows per key id, resumable re-encryption.

What it does:

* :func:`encrypted_columns` finds the sealed columns of a subgraph's tables from its own metadata
  (``column.info["encrypted"]``, set by crypto's ``encrypted_column``), so a new sealed column is
  covered without touching this module;
* :func:`generate_keyring_files` / :func:`rotate_keyring_file` create a keyring file and add a new
  active key to it (old keys stay, so every stored value still opens);
* :func:`key_status` counts, per table and column, the values under each key id;
* :func:`reencrypt` moves every value that is not under the active key to it, in batches, each
  batch its own committed transaction. A run stopped anywhere (Ctrl-C, a crash, a lost
  connection) is resumed by running it again: values already moved are under the active key and
  are skipped, so no checkpoint file is needed and nothing is done twice.

What it deliberately does not do: it never changes anything but the sealed column. A re-sealed
value is the same data, so ``version`` and ``updated_at`` stay as they are (clients holding a
``version`` must not see a conflict because an operator rotated keys). Each value is written only
if it still holds the envelope that was read (compare-and-set), so a concurrent write by the
service, which seals under the active key anyway, is never overwritten. Blind-index keys are not
rotated here: that needs the plaintext of every indexed value and is a separate procedure
(docs/operations.md).

The tool runs beside the service on the service's own database and keys; it is not part of the
request path and no subgraph imports it.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Column, MetaData, Table, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from crypto import Binding, BlindIndexKeyring, CryptoError, FieldCipher, Keyring, Sealed

__all__ = [
    "NOT_AN_ENVELOPE",
    "ColumnStatus",
    "EncryptedColumn",
    "ReencryptProgress",
    "ReencryptReport",
    "encrypted_columns",
    "generate_keyring_files",
    "key_status",
    "reencrypt",
    "rotate_keyring_file",
    "write_new_secret_file",
]

# The label counted for a stored value whose text is not an envelope at all (never written by
# this code base; its presence means someone wrote the column by hand).
NOT_AN_ENVELOPE = "(not an envelope)"
DEFAULT_BATCH_SIZE = 500


@dataclass(frozen=True, slots=True)
class EncryptedColumn:
    """One sealed column of one table, with the table's primary key column."""

    table: Table
    column: Column[object]
    primary_key: Column[object]

    @property
    def label(self) -> str:
        return f"{self.table.name}.{self.column.name}"


def encrypted_columns(metadata: MetaData) -> list[EncryptedColumn]:
    """Return every column marked ``info["encrypted"]`` in ``metadata``, in a stable order.

    The binding of a sealed value names its row id, which is the table's single primary key; a
    sealed column in a table without one could not have been sealed and is refused.
    """
    found: list[EncryptedColumn] = []
    for table in sorted(metadata.tables.values(), key=lambda t: t.name):
        for column in table.columns:
            if not column.info.get("encrypted"):
                continue
            keys = list(table.primary_key.columns)
            if len(keys) != 1:
                raise ValueError(
                    f"{table.name} has sealed columns but no single-column primary key"
                )
            found.append(EncryptedColumn(table, column, keys[0]))
    return found


# -- keyring files ---------------------------------------------------------------------------


def write_new_secret_file(path: Path, text: str) -> None:
    """Create ``path`` (mode 0600) with ``text``; refuse if it exists (keys are never replaced)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


def _replace_secret_file(path: Path, text: str) -> None:
    # Write a sibling and rename over: a crash leaves the old keyring or the new one, never half.
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def generate_keyring_files(data_path: Path, blind_index_path: Path) -> list[Path]:
    """Create the data keyring and blind-index keyring files that do not exist yet.

    Returns the files created. An existing file is left alone: replacing a keyring would make
    every value sealed with it unreadable.
    """
    created: list[Path] = []
    for path, kind in ((data_path, Keyring), (blind_index_path, BlindIndexKeyring)):
        if path.exists():
            continue
        write_new_secret_file(path, kind.generate().to_json())
        created.append(path)
    return created


def rotate_keyring_file(path: Path, key_id: str | None = None) -> Keyring:
    """Add a new random key to the keyring file at ``path`` and make it active; keep the others."""
    keyring = Keyring.from_file(path).with_new_active_key(key_id)
    _replace_secret_file(path, keyring.to_json())
    return keyring


# -- status ----------------------------------------------------------------------------------


@dataclass
class ColumnStatus:
    """How many stored values of one sealed column are under each key id (NULLs not counted)."""

    table: str
    column: str
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def not_under(self, key_id: str) -> int:
        """How many values a re-encryption to ``key_id`` still has to move."""
        return self.total - self.counts.get(key_id, 0)


def _key_id(cipher: FieldCipher, envelope: str) -> str:
    try:
        return cipher.key_id_of(envelope)
    except CryptoError:
        return NOT_AN_ENVELOPE


def _envelope(value: object) -> str:
    if not isinstance(value, Sealed):
        raise TypeError(f"a sealed column loaded {type(value).__name__}, not Sealed")
    return value.envelope


async def _scan(
    engine: AsyncEngine, target: EncryptedColumn, batch_size: int
) -> AsyncIterator[list[tuple[str, str]]]:
    """Yield ``(row id, envelope)`` of the non-NULL values in primary-key order, batch by batch.

    Keyset pagination (``id > last``) with a short read per batch: no long-lived cursor or
    transaction is held while the caller writes, and rows inserted meanwhile are either seen or
    were sealed under the active key anyway.
    """
    last: str | None = None
    while True:
        statement = (
            select(target.primary_key, target.column)
            .where(target.column.is_not(None))
            .order_by(target.primary_key)
            .limit(batch_size)
        )
        if last is not None:
            statement = statement.where(target.primary_key > last)
        async with engine.connect() as connection:
            rows = (await connection.execute(statement)).all()
        if not rows:
            return
        # The column type loads Sealed; reading its envelope text never decrypts anything.
        batch = [(str(row_id), _envelope(sealed)) for row_id, sealed in rows]
        yield batch
        last = batch[-1][0]


async def key_status(
    engine: AsyncEngine, metadata: MetaData, *, batch_size: int = DEFAULT_BATCH_SIZE
) -> list[ColumnStatus]:
    """Count the values of every sealed column per key id.

    Only the envelope header is read, so no key is needed and nothing is decrypted.
    """
    statuses: list[ColumnStatus] = []
    for target in encrypted_columns(metadata):
        status = ColumnStatus(target.table.name, target.column.name)
        async for batch in _scan(engine, target, batch_size):
            status.counts.update(Sealed(env).key_id or NOT_AN_ENVELOPE for _, env in batch)
        statuses.append(status)
    return statuses


# -- re-encryption ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReencryptProgress:
    """Reported after each committed batch."""

    done: int
    total: int
    column: str


@dataclass
class ReencryptReport:
    """What one run did. ``failed`` lists ``table.column row-id`` of values that did not open."""

    moved: int = 0
    already_active: int = 0
    skipped_changed: int = 0
    failed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed


def _unchanged_columns(table: Table, sealed: Column[object]) -> Mapping[str, object]:
    # Core UPDATEs apply a column's onupdate (updated_at = now()); setting such a column to
    # itself keeps the stored value, because a re-sealed value is not a change to the data.
    return {
        column.name: column
        for column in table.columns
        if column.onupdate is not None and column is not sealed
    }


async def reencrypt(
    engine: AsyncEngine,
    metadata: MetaData,
    cipher: FieldCipher,
    subgraph: str,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Callable[[ReencryptProgress], None] | None = None,
) -> ReencryptReport:
    """Re-seal every value of every sealed column that is not under the active key.

    Each batch is committed on its own; an interrupted run is resumed by calling this again.
    ``progress`` is called after each committed batch (an exception raised there stops the run
    after that batch, which is how the tests interrupt it).
    """
    report = ReencryptReport()
    active = cipher.active_key_id
    targets = encrypted_columns(metadata)
    total = 0
    for target in targets:
        async for batch in _scan(engine, target, batch_size):
            total += sum(1 for _, envelope in batch if _key_id(cipher, envelope) != active)
    done = 0
    for target in targets:
        keep = _unchanged_columns(target.table, target.column)
        async for batch in _scan(engine, target, batch_size):
            pending = [(i, env) for i, env in batch if _key_id(cipher, env) != active]
            report.already_active += len(batch) - len(pending)
            if not pending:
                continue
            async with engine.begin() as connection:
                for row_id, envelope in pending:
                    binding = Binding(subgraph, target.table.name, target.column.name, row_id)
                    try:
                        resealed = cipher.reseal(envelope, binding)
                    except CryptoError:
                        report.failed.append(f"{target.label} {row_id}")
                        continue
                    result = await connection.execute(
                        update(target.table)
                        .where(target.primary_key == row_id)
                        .where(target.column == Sealed(envelope))
                        .values({target.column.name: Sealed(resealed), **keep})
                    )
                    if result.rowcount == 1:
                        report.moved += 1
                    else:
                        report.skipped_changed += 1
            # A later batch may hold more values than were counted (rows written meanwhile by an
            # old instance still holding the old key); the bar never runs past its end.
            done = min(total, done + len(pending))
            if progress is not None:
                progress(ReencryptProgress(done, total, target.label))
    return report
