"""The router's idempotency store on both back-ends: reserve, replay, clash, release, take over."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select, update

from router.rest.idempotency import (
    IdempotencyStore,
    Reserved,
    StoredResponse,
    idempotency_keys,
    request_fingerprint,
)
from router.rest.problems import Problem
from tests.conftest import postgres_url
from tests.subgraphs.support import create_postgres_database, drop_postgres_database

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'nested' / 'idempotency.sqlite3'}"
        return
    if postgres_url() is None:
        pytest.skip("no PostgreSQL server: set TEST_POSTGRES_URL (CI does)")
    url = await create_postgres_database("wt_test_rest_idem")
    try:
        yield url
    finally:
        await drop_postgres_database(url)


async def _store(url: str, *, lock_seconds: float = 60.0) -> IdempotencyStore:
    store = IdempotencyStore(url, retention_seconds=3600, lock_seconds=lock_seconds)
    await store.start()
    return store


def _code(problem: BaseException) -> str:
    assert isinstance(problem, Problem)
    return problem.code


async def test_reserve_replay_clash_and_release(database_url: str) -> None:
    store = await _store(database_url)
    try:
        body = {"a": 1, "amount": "1500.10"}
        fingerprint = request_fingerprint(body)
        assert fingerprint == request_fingerprint({"amount": "1500.10", "a": 1})
        assert fingerprint != request_fingerprint({"a": 1, "amount": "1500.1"})

        first = await store.reserve("POST /api/user x", "k1", fingerprint)
        assert isinstance(first, Reserved)
        with pytest.raises(Problem) as busy:
            await store.reserve("POST /api/user x", "k1", fingerprint)
        assert _code(busy.value) == "IDEMPOTENCY_REQUEST_IN_PROGRESS"

        await store.complete(first, StoredResponse(201, "/api/user/usr_1", b'{"id":"usr_1"}'))
        replay = await store.reserve("POST /api/user x", "k1", fingerprint)
        assert replay == StoredResponse(201, "/api/user/usr_1", b'{"id":"usr_1"}')
        with pytest.raises(Problem) as clash:
            await store.reserve("POST /api/user x", "k1", request_fingerprint({"a": 2}))
        assert _code(clash.value) == "IDEMPOTENCY_KEY_REUSED"
        # Another scope (route or caller) does not share the key.
        assert isinstance(await store.reserve("POST /api/user y", "k1", fingerprint), Reserved)

        failed = await store.reserve("POST /api/user x", "k2", fingerprint)
        assert isinstance(failed, Reserved)
        await store.release(failed)
        assert isinstance(await store.reserve("POST /api/user x", "k2", fingerprint), Reserved)
    finally:
        await store.aclose()


async def test_concurrent_reservations_let_exactly_one_through(database_url: str) -> None:
    stores = [await _store(database_url) for _ in range(2)]  # e.g. two router replicas
    try:
        fingerprint = request_fingerprint({"x": 1})

        async def attempt(store: IdempotencyStore) -> str:
            try:
                result = await store.reserve("POST /api/user x", "race", fingerprint)
            except Problem as problem:
                return problem.code
            return type(result).__name__

        outcomes = await asyncio.gather(*(attempt(s) for s in stores * 3))
        assert sorted(outcomes) == ["IDEMPOTENCY_REQUEST_IN_PROGRESS"] * 5 + ["Reserved"]
    finally:
        for store in stores:
            await store.aclose()


async def test_a_dead_reservation_is_taken_over_after_its_lock(database_url: str) -> None:
    # lock_seconds=0: a reservation is "expired" as soon as it is made (as after a crash).
    store = await _store(database_url, lock_seconds=0)
    try:
        fingerprint = request_fingerprint({"x": 1})
        assert isinstance(await store.reserve("s", "k", fingerprint), Reserved)
        taken = await store.reserve("s", "k", fingerprint)
        assert isinstance(taken, Reserved)
        await store.complete(taken, StoredResponse(201, None, b"{}"))
        assert await store.reserve("s", "k", fingerprint) == StoredResponse(201, None, b"{}")
    finally:
        await store.aclose()


async def test_stored_responses_and_keys_are_not_kept_in_plaintext(database_url: str) -> None:
    store = await _store(database_url)
    try:
        body = b'{"id":"usr_1","tax_id":"AB123456C","email":"ada@example.com"}'
        fingerprint = request_fingerprint({"tax_id": "AB123456C"})
        reserved = await store.reserve("POST /api/user x", "client-key-42", fingerprint)
        assert isinstance(reserved, Reserved)
        await store.complete(reserved, StoredResponse(201, "/api/user/usr_1", body))
        async with store.engine.connect() as conn:
            rows = (await conn.execute(select(idempotency_keys))).all()
        assert len(rows) == 1
        stored = rows[0]
        assert b"AB123456C" not in stored.body and b"ada@example.com" not in stored.body
        assert "client-key-42" not in stored.key
        assert stored.fingerprint != fingerprint  # keyed by the client's key, not a bare hash
        # Only the client's own key opens it again.
        replay = await store.reserve("POST /api/user x", "client-key-42", fingerprint)
        assert replay == StoredResponse(201, "/api/user/usr_1", body)
        other = await store.reserve("POST /api/user x", "client-key-43", fingerprint)
        assert isinstance(other, Reserved)
        # A row altered in the database is not replayed.
        async with store.engine.begin() as conn:
            await conn.execute(
                update(idempotency_keys).values(
                    body=stored.body[:-1] + bytes([stored.body[-1] ^ 1])
                )
            )
        with pytest.raises(Problem):
            await store.reserve("POST /api/user x", "client-key-42", fingerprint)
    finally:
        await store.aclose()
