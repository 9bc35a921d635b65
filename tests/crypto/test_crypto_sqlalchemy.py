"""Encrypted columns: visibly marked, accept only Sealed, load Sealed, never decrypt on load."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy import String, make_url, select, text
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from crypto import (
    BlindIndexKeyring,
    EncryptedText,
    EncryptionServices,
    Keyring,
    Sealed,
    encrypted_column,
)
from tests.conftest import postgres_url

SERVICES = EncryptionServices("users", Keyring.generate(), BlindIndexKeyring.generate())


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    email_address: Mapped[Sealed] = encrypted_column()
    telephone_number: Mapped[Sealed | None] = encrypted_column(nullable=True)


def _plain_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", "postgresql"])
async def db(request: pytest.FixtureRequest) -> AsyncIterator[AsyncSession]:
    if request.param == "sqlite":
        url, server, name = "sqlite+aiosqlite://", None, None
    else:
        server = postgres_url()
        if server is None:
            pytest.skip("no PostgreSQL server: set TEST_POSTGRES_URL (CI does)")
        name = f"crypto_test_{uuid.uuid4().hex[:12]}"
        admin = await asyncpg.connect(_plain_dsn(server))
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        url = make_url(server).set(drivername="postgresql+asyncpg", database=name)
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            yield session
    finally:
        await engine.dispose()
        if server is not None:
            admin = await asyncpg.connect(_plain_dsn(server))
            try:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await admin.close()


def test_the_model_shows_which_columns_are_encrypted() -> None:
    columns = User.__table__.columns
    assert columns["email_address"].info == {"encrypted": True}
    assert isinstance(columns["email_address"].type, EncryptedText)
    assert columns["email_address"].nullable is False
    assert columns["telephone_number"].nullable is True
    assert "encrypted" not in columns["id"].info


async def test_values_are_stored_sealed_and_load_sealed(db: AsyncSession) -> None:
    crypt = SERVICES.session()
    email = crypt.seal("alice@example.com", table="users", column="email_address", row_id="usr_1")
    db.add(User(id="usr_1", email_address=email, telephone_number=None))
    await db.commit()

    raw = (await db.execute(text("SELECT email_address, telephone_number FROM users"))).one()
    assert raw[0] == email.envelope
    assert "alice" not in raw[0]
    assert raw[1] is None

    db.expunge_all()
    user = (await db.execute(select(User))).scalar_one()
    # Loading does not decrypt: the attribute is the opaque envelope, and nothing was accessed.
    assert isinstance(user.email_address, Sealed)
    assert user.email_address == email
    assert "alice" not in repr(user.email_address)
    loader = SERVICES.session()
    assert loader.accessed == []
    opened = loader.open(user.email_address, table="users", column="email_address", row_id=user.id)
    assert opened == "alice@example.com"
    assert len(loader.accessed) == 1


async def test_plaintext_cannot_be_assigned_by_mistake(db: AsyncSession) -> None:
    # Refused at assignment, so no failed flush lists the plaintext among its parameters.
    with pytest.raises(TypeError, match="only Sealed") as caught:
        User(id="usr_2", email_address="bob@example.com")  # type: ignore[arg-type]
    assert "bob@example.com" not in str(caught.value)
    user = User(
        id="usr_2",
        email_address=SERVICES.session().seal(
            "x", table="users", column="email_address", row_id="usr_2"
        ),
    )
    with pytest.raises(TypeError, match="only Sealed"):
        user.telephone_number = "+447700900123"  # type: ignore[assignment]
    user.telephone_number = None


async def test_plaintext_cannot_be_written_through_core_either(db: AsyncSession) -> None:
    # Core statements bypass attribute events; the column type still refuses the value.
    with pytest.raises(StatementError) as caught:
        await db.execute(User.__table__.insert().values(id="usr_2", email_address="bob@ex.com"))
    assert isinstance(caught.value.orig, TypeError)
    assert "only Sealed" in str(caught.value.orig)
    await db.rollback()
    assert (await db.execute(text("SELECT count(*) FROM users"))).scalar_one() == 0


async def test_a_hand_made_sealed_value_is_refused(db: AsyncSession) -> None:
    db.add(User(id="usr_4", email_address=Sealed("dave@example.com")))
    with pytest.raises(StatementError) as caught:
        await db.flush()
    assert isinstance(caught.value.orig, ValueError)
    # Sealed's repr shows no text, so even the statement's parameter list does not leak it.
    assert "dave@example.com" not in str(caught.value)
    await db.rollback()


async def test_equality_on_a_sealed_value_binds_the_envelope(db: AsyncSession) -> None:
    crypt = SERVICES.session()
    email = crypt.seal("c@example.com", table="users", column="email_address", row_id="usr_3")
    db.add(User(id="usr_3", email_address=email))
    await db.flush()
    found = (await db.execute(select(User.id).where(User.email_address == email))).scalar_one()
    assert found == "usr_3"


def test_literal_rendering_is_refused() -> None:
    statement = select(User.id).where(User.email_address == Sealed("wt1.A256GCM.k1.AAAA"))
    with pytest.raises(Exception, match="Could not render literal") as caught:
        str(statement.compile(compile_kwargs={"literal_binds": True}))
    assert isinstance(caught.value.__cause__, TypeError)
    assert "SQL literals" in str(caught.value.__cause__)
