"""The audit outbox: written with the request, kept across restarts, retried with backoff."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from crypto import verify_internal_token
from subgraphs.kit import utcnow
from subgraphs.kit.testing import (
    HostRouterTransport,
    execute,
    principal,
    running_app,
    signing_key_for_tests,
    state_of,
)
from subgraphs.users.app import create_app as create_users_app
from subgraphs.users.settings import UsersSettings
from tests.subgraphs.support import make_encryption_services
from tests.subgraphs.users.users_support import create_user

READ_EMAIL = "query($id: ID!) { user(id: $id) { id emailAddress } }"


def users_app(
    database_url: str,
    data_dir: Path,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    **settings: object,
) -> FastAPI:
    """A users app whose audit relay reaches compliance through ``transport``.

    By default nothing answers there (compliance is unreachable: a refused connection).
    """
    return create_users_app(
        UsersSettings(
            database_url=database_url,
            data_dir=data_dir,
            audit_url="http://compliance/graphql",
            **settings,  # type: ignore[arg-type]
        ),
        encryption_services=make_encryption_services("users"),
        owner_transport=transport or HostRouterTransport({}),
    )


async def _rows(app: FastAPI) -> list[dict[str, object]]:
    async with state_of(app).database.engine.connect() as connection:
        result = await connection.execute(
            text("SELECT id, payload, attempts, next_attempt_at, sent_at FROM audit_outbox")
        )
        return [dict(row._mapping) for row in result]


async def test_an_event_survives_a_failed_operation(database_url: str, tmp_path: Path) -> None:
    app = users_app(database_url, tmp_path)
    async with running_app(app) as client:
        user = await create_user(client)
        before = len(await _rows(app))
        # The client may read itself (decrypting its e-mail) but not look users up by e-mail:
        # the operation fails and rolls back, yet the e-mail went out, so the event stays.
        as_client = principal("client", user_id=user["id"], sub="client-7")
        result = await execute(
            client,
            "query($id: ID!) { me: user(id: $id) { emailAddress } "
            'other: userByEmail(emailAddress: "grace@example.com") { id } }',
            {"id": user["id"]},
            principal=as_client,
        )
        assert result.data == {"me": {"emailAddress": "ada.lovelace@example.com"}, "other": None}
        assert result.codes == ["FORBIDDEN"]
        rows = await _rows(app)
        assert len(rows) == before + 1
        event = json.loads(str(rows[-1]["payload"]))
        assert event["principalSub"] == "client-7"
        assert event["accessed"] == [
            {"entity": "User", "id": user["id"], "fields": ["email_address"]}
        ]


async def test_unreachable_compliance_is_retried_with_backoff(
    database_url: str, tmp_path: Path
) -> None:
    app = users_app(database_url, tmp_path)
    async with running_app(app) as client:
        user = await create_user(client, emailAddress="x@example.com")
        relay = state_of(app).audit_relay
        assert relay is not None
        pending = await relay.pending_count()
        assert pending >= 1  # the creation's response carried sensitive fields

        now = utcnow()
        assert await relay.relay_once(now=now) == 0
        rows = sorted(await _rows(app), key=lambda row: str(row["id"]))
        failed = [row for row in rows if row["attempts"] == 1]
        assert len(failed) == 1 and all(row["sent_at"] is None for row in rows)
        # Not due again before its backoff (4 s, then 8 s, ...): nothing is attempted.
        assert await relay.relay_once(now=now + dt.timedelta(seconds=1)) == 0
        assert [
            row["attempts"] for row in sorted(await _rows(app), key=lambda r: str(r["id"]))
        ] == [row["attempts"] for row in rows]
        assert await relay.relay_once(now=now + dt.timedelta(seconds=5)) == 0
        assert max(int(str(row["attempts"])) for row in await _rows(app)) == 2
        assert await relay.pending_count() == pending
        (await execute(client, READ_EMAIL, {"id": user["id"]})).ok()
        assert await relay.pending_count() == pending + 1


async def test_pending_events_survive_a_restart(database_url: str, tmp_path: Path) -> None:
    first = users_app(database_url, tmp_path)
    async with running_app(first) as client:
        user = await create_user(client)
        (await execute(client, READ_EMAIL, {"id": user["id"]})).ok()
        relay = state_of(first).audit_relay
        assert relay is not None
        pending = await relay.pending_count()
    second = users_app(database_url, tmp_path)
    async with running_app(second):
        relay = state_of(second).audit_relay
        assert relay is not None
        assert await relay.pending_count() == pending >= 2


async def test_the_relay_task_runs_in_the_background(database_url: str, tmp_path: Path) -> None:
    attempts: list[httpx.Request] = []

    class Down(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            attempts.append(request)
            raise httpx.ConnectError("compliance is down", request=request)

    app = users_app(
        database_url,
        tmp_path,
        transport=Down(),
        audit_relay_enabled=True,
        audit_relay_interval_seconds=0.05,
    )
    async with running_app(app) as client:
        await create_user(client)  # its response decrypts: the request wakes the relay
        for _ in range(200):  # bounded: at most ~2 s
            if attempts:
                break
            await asyncio.sleep(0.01)
    assert attempts, "the relay never tried to reach compliance"
    sent = json.loads(attempts[0].content)
    assert sent["query"].startswith("mutation RecordDataAccess")
    assert sent["variables"]["input"]["subgraph"] == "users"
    # A service token signed with the audit key, never the caller's token.
    token = attempts[0].headers["x-internal-token"]
    claims = verify_internal_token(token, [signing_key_for_tests().public_key()])
    assert (claims.sub, claims.roles) == ("service:users", frozenset({"service"}))
