"""subgraphs.kit.rotation: sealed columns found from metadata; re-encryption survives a crash.

The CLI tests (tests/cli/test_cli_keys.py) cover the commands end to end; these check the kit
functions directly: every subgraph's sealed columns are discovered, and a run that dies in the
middle of its work (an exception after a committed batch) leaves committed batches moved and the
rest untouched, and a second run finishes the job.
"""

from __future__ import annotations

import datetime as dt
import importlib
from pathlib import Path

import pytest
from sqlalchemy import Column, MetaData, String, Table, Text, select
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from crypto import Binding, FieldCipher, Keyring, Sealed, encrypted_column
from subgraphs.kit import RecordMixin, make_metadata
from subgraphs.kit.rotation import (
    NOT_AN_ENVELOPE,
    ReencryptProgress,
    encrypted_columns,
    key_status,
    reencrypt,
    rotate_keyring_file,
)


def _fixed() -> dt.datetime:
    return dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


class _Base(DeclarativeBase):
    metadata = make_metadata()


class _Note(RecordMixin, _Base):
    __tablename__ = "notes"

    title: Mapped[str] = mapped_column(String(20))
    body: Mapped[Sealed] = encrypted_column()
    extra: Mapped[Sealed | None] = encrypted_column(nullable=True)


@pytest.mark.parametrize(
    ("subgraph", "expected"),
    [
        ("users", {"users.date_of_birth", "users.email_address", "users.telephone_number",
                   "users.annual_income", "users.sources_of_wealth"}),
        ("investments", {"investment_accounts.client_reference"}),
        ("transactions", {"transactions.consideration_amount", "transactions.charges_amount"}),
        ("compliance", {"compliance_log_revisions.log_details",
                        "compliance_log_revisions.response_id"}),
    ],
)  # fmt: skip
def test_every_sealed_column_of_every_subgraph_is_found(subgraph: str, expected: set[str]) -> None:
    metadata = importlib.import_module(f"subgraphs.{subgraph}.models").Base.metadata
    assert {c.label for c in encrypted_columns(metadata)} == expected


def test_a_sealed_column_needs_a_single_primary_key() -> None:
    metadata = MetaData()
    Table("bad", metadata, Column("a", Text, primary_key=True), Column("b", Text, primary_key=True),
          Column("secret", Text, info={"encrypted": True}))  # fmt: skip
    with pytest.raises(ValueError, match="single-column primary key"):
        encrypted_columns(metadata)


class _Crash(Exception):
    pass


async def test_a_crashed_run_keeps_its_committed_batches_and_a_rerun_finishes(
    tmp_path: Path,
) -> None:
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'notes.sqlite3'}")
    old = Keyring.generate()
    old_cipher = FieldCipher(old)
    async with engine.begin() as connection:
        await connection.run_sync(_Base.metadata.create_all)
        for number in range(7):
            row_id = f"not_{number:02d}"
            body = old_cipher.seal(f"note {number}", Binding("notes", "notes", "body", row_id))
            await connection.execute(
                _Note.__table__.insert().values(
                    id=row_id, title=f"t{number}", body=Sealed(body), extra=None, version=1,
                    created_at=_fixed(), updated_at=_fixed(),
                )
            )  # fmt: skip
    new = old.with_new_active_key()
    cipher = FieldCipher(new)
    seen: list[ReencryptProgress] = []

    def crash_after_two_batches(progress: ReencryptProgress) -> None:
        seen.append(progress)
        if len(seen) == 2:
            raise _Crash

    with pytest.raises(_Crash):
        await reencrypt(
            engine, _Base.metadata, cipher, "notes", batch_size=3, progress=crash_after_two_batches
        )
    assert [(p.done, p.total) for p in seen] == [(3, 7), (6, 7)]
    [status, extra] = await key_status(engine, _Base.metadata)
    assert dict(status.counts) == {"k1": 1, "k2": 6}
    assert extra.total == 0  # NULLs are not values

    report = await reencrypt(engine, _Base.metadata, cipher, "notes", batch_size=3)
    assert (report.moved, report.already_active, report.failed) == (1, 6, [])
    [status, _] = await key_status(engine, _Base.metadata)
    assert dict(status.counts) == {"k2": 7}
    async with engine.connect() as connection:
        rows = (await connection.execute(select(_Note.__table__))).all()
    for row in rows:
        binding = Binding("notes", "notes", "body", row.id)
        assert cipher.open(row.body.envelope, binding) == f"note {row.id[-1]}"
        assert row.version == 1 and row.updated_at == _fixed()
    await engine.dispose()


async def test_status_counts_a_value_that_is_not_an_envelope(tmp_path: Path) -> None:
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'notes.sqlite3'}")
    async with engine.begin() as connection:
        await connection.run_sync(_Base.metadata.create_all)
        await connection.exec_driver_sql(
            "INSERT INTO notes (id, title, body, version, created_at, updated_at) "
            "VALUES ('not_x', 't', 'written by hand', 1, '2026-01-01', '2026-01-01')"
        )
    [status, _] = await key_status(engine, _Base.metadata)
    assert dict(status.counts) == {NOT_AN_ENVELOPE: 1}
    report = await reencrypt(engine, _Base.metadata, FieldCipher(Keyring.generate()), "notes")
    assert report.failed == ["notes.body not_x"] and report.moved == 0
    await engine.dispose()


def test_rotate_keyring_file_keeps_old_keys_and_the_file_private(tmp_path: Path) -> None:
    path = tmp_path / "keyring.json"
    first = Keyring.generate()
    path.write_text(first.to_json())
    path.chmod(0o600)
    rotated = rotate_keyring_file(path)
    assert rotated.key_ids == ("k1", "k2") and rotated.active_key_id == "k2"
    reread = Keyring.from_file(path)
    assert reread.active_key_id == "k2"
    # The old key is the same key: what it sealed still opens.
    binding = Binding("s", "t", "c", "r")
    assert FieldCipher(reread).open(FieldCipher(first).seal("kept", binding), binding) == "kept"
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["keyring.json"]  # no temporary left behind
