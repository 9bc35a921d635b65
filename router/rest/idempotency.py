"""The router's idempotency store for REST POSTs that carry an ``Idempotency-Key``.

A key is reserved before the operation runs, in one row whose primary key is (scope, key): the
database decides which of two concurrent requests owns a key, so this also holds across router
replicas that share a PostgreSQL database. Then:

* same key, same body, first request finished with 2xx -> its stored response is replayed;
* same key, another body                               -> 409 IDEMPOTENCY_KEY_REUSED;
* same key while the first request still runs          -> 409 IDEMPOTENCY_REQUEST_IN_PROGRESS;
* the first request failed (4xx/5xx)                   -> the key is released: nothing was written,
  so a retry runs again.

A reservation whose request died (process crash) is taken over once its lock expires. Stored
responses are kept for the retention period, then purged.

The stored body is the response the client already received, so it may hold decrypted values of
the new entity. It is not kept in plaintext: it is sealed with AES-256-GCM under a key derived from
the Idempotency-Key itself (HKDF, salted with the scope), and the row holds only a SHA-256 of the
key and an HMAC of the body's fingerprint. Reading a stored response back therefore takes the key
that only the client sent; the router holds no data key for it (docs/decisions/0010).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    delete,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from router.rest.problems import Problem

__all__ = ["IdempotencyStore", "Reserved", "StoredResponse", "request_fingerprint"]

metadata = MetaData()
idempotency_keys = Table(
    "router_rest_idempotency",
    metadata,
    Column("scope", String(200), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("state", String(16), nullable=False),  # in_progress | done
    Column("status_code", Integer, nullable=True),
    Column("location", String(2000), nullable=True),
    Column("body", LargeBinary, nullable=True),
    Column("locked_until_ms", BigInteger, nullable=False),
    Column("expires_at_ms", BigInteger, nullable=False, index=True),
)

_IN_PROGRESS = "in_progress"
# Any fixed 64-bit number: the advisory lock that serialises the table's creation across replicas.
_DDL_LOCK_ID = 0x57_454C_5448_4944  # "WELTHID"
_DONE = "done"


def request_fingerprint(body: Any) -> str:
    """SHA-256 of the parsed body in canonical form (key order and spacing do not matter)."""
    # The standard library, not orjson: the body may hold integers beyond 64 bits (refused later
    # by validation, but the fingerprint must not fail first) and Decimals (as their exact text).
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Reserved:
    """The request owns the key: it must run, then ``complete`` or ``release`` it."""

    scope: str
    key: str


@dataclass(frozen=True)
class StoredResponse:
    """The first request's response, to be replayed."""

    status_code: int
    location: str | None
    body: bytes


def _now_ms() -> int:
    return int(time.time() * 1000)


_NONCE_BYTES = 12


def _row_key(key: str) -> str:
    # The key is the client's secret for its stored response: only its hash is written.
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _secret(scope: str, key: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=scope.encode("utf-8"),
        info=b"wealthtech router idempotency v1",
    ).derive(key.encode("utf-8"))


def _seal(scope: str, key: str, body: bytes) -> bytes:
    nonce = os.urandom(_NONCE_BYTES)
    return nonce + AESGCM(_secret(scope, key)).encrypt(nonce, body, scope.encode("utf-8"))


def _open(scope: str, key: str, sealed: bytes) -> bytes:
    nonce, ciphertext = sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:]
    return AESGCM(_secret(scope, key)).decrypt(nonce, ciphertext, scope.encode("utf-8"))


def _keyed_fingerprint(scope: str, key: str, fingerprint: str) -> str:
    # Keyed, so that a stored fingerprint cannot be matched against guessed bodies.
    return hmac.new(_secret(scope, key), fingerprint.encode("ascii"), hashlib.sha256).hexdigest()


class IdempotencyStore:
    """Reservations and stored responses in one table of a SQLite or PostgreSQL database."""

    def __init__(self, url: str, *, retention_seconds: float, lock_seconds: float) -> None:
        self._url = url
        self._retention_ms = int(retention_seconds * 1000)
        self._lock_ms = int(lock_seconds * 1000)
        self._engine: AsyncEngine | None = None
        self._starting = asyncio.Lock()

    async def start(self) -> None:
        """Open the database and create the table if it is missing (once; later calls return)."""
        async with self._starting:
            if self._engine is None:
                await self._open()

    async def _open(self) -> None:
        url = make_url(self._url)
        connect_args: dict[str, Any] = {}
        if url.get_backend_name() == "sqlite":
            if url.database and url.database != ":memory:":
                Path(url.database).parent.mkdir(parents=True, exist_ok=True)
            connect_args["timeout"] = 30
        engine = create_async_engine(url, connect_args=connect_args)
        async with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # Router replicas share the store and start together: without a lock, two
                # concurrent CREATE TABLEs race on the table's row type and one fails.
                await conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _DDL_LOCK_ID})
            await conn.run_sync(metadata.create_all)
        self._engine = engine

    async def aclose(self) -> None:
        """Close the database's connections."""
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None

    @property
    def engine(self) -> AsyncEngine:
        if self._engine is None:
            raise RuntimeError("the idempotency store was not started")
        return self._engine

    def _insert(self, values: dict[str, Any]) -> Any:
        if self.engine.dialect.name == "postgresql":
            return postgresql.insert(idempotency_keys).values(values).on_conflict_do_nothing()
        return sqlite.insert(idempotency_keys).values(values).on_conflict_do_nothing()

    async def reserve(self, scope: str, key: str, fingerprint: str) -> Reserved | StoredResponse:
        """Own ``key`` for this request, or return the response to replay; raise a 409 problem."""
        await self.start()
        now = _now_ms()
        fingerprint = _keyed_fingerprint(scope, key, fingerprint)
        where = (idempotency_keys.c.scope == scope) & (idempotency_keys.c.key == _row_key(key))
        async with self.engine.begin() as conn:
            await conn.execute(
                delete(idempotency_keys).where(idempotency_keys.c.expires_at_ms < now)
            )
            inserted = await conn.execute(
                self._insert(
                    {
                        "scope": scope,
                        "key": _row_key(key),
                        "fingerprint": fingerprint,
                        "state": _IN_PROGRESS,
                        "locked_until_ms": now + self._lock_ms,
                        "expires_at_ms": now + self._retention_ms,
                    }
                )
            )
            if inserted.rowcount == 1:
                return Reserved(scope, key)
            row = (await conn.execute(select(idempotency_keys).where(where))).one()
            if row.fingerprint != fingerprint:
                raise Problem(
                    "IDEMPOTENCY_KEY_REUSED",
                    "This Idempotency-Key was already used with a different request body.",
                )
            if row.state == _DONE:
                try:
                    body = _open(scope, key, row.body)
                except InvalidTag:  # a row this code did not write (or altered): do not replay it
                    raise Problem(
                        "IDEMPOTENCY_KEY_REUSED",
                        "This Idempotency-Key was already used with a different request body.",
                    ) from None
                return StoredResponse(row.status_code, row.location, body)
            if row.locked_until_ms <= now:
                # The request that reserved the key died without finishing: take it over.
                taken = await conn.execute(
                    update(idempotency_keys)
                    .where(where & (idempotency_keys.c.locked_until_ms == row.locked_until_ms))
                    .values(locked_until_ms=now + self._lock_ms)
                )
                if taken.rowcount == 1:
                    return Reserved(scope, key)
        raise Problem(
            "IDEMPOTENCY_REQUEST_IN_PROGRESS",
            "A request with this Idempotency-Key is still being processed. Retry later.",
        )

    async def complete(self, reserved: Reserved, response: StoredResponse) -> None:
        """Store the response of a finished request, to replay it for the same key and body."""
        async with self.engine.begin() as conn:
            await conn.execute(
                update(idempotency_keys)
                .where(
                    (idempotency_keys.c.scope == reserved.scope)
                    & (idempotency_keys.c.key == _row_key(reserved.key))
                )
                .values(
                    state=_DONE,
                    status_code=response.status_code,
                    location=response.location,
                    body=_seal(reserved.scope, reserved.key, response.body),
                    expires_at_ms=_now_ms() + self._retention_ms,
                )
            )

    async def release(self, reserved: Reserved) -> None:
        """Forget a reservation whose request failed, so that a retry runs again."""
        async with self.engine.begin() as conn:
            await conn.execute(
                delete(idempotency_keys).where(
                    (idempotency_keys.c.scope == reserved.scope)
                    & (idempotency_keys.c.key == _row_key(reserved.key))
                    & (idempotency_keys.c.state == _IN_PROGRESS)
                )
            )
