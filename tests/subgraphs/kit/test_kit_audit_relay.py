"""The audit relay against the real compliance subgraph: delivered once, even across restarts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from subgraphs.compliance.app import create_app as create_compliance_app
from subgraphs.compliance.settings import ComplianceSettings
from subgraphs.kit import utcnow
from subgraphs.kit.testing import HostRouterTransport, execute, principal, running_app, state_of
from subgraphs.users.app import create_app as create_users_app
from subgraphs.users.settings import UsersSettings
from tests.subgraphs.support import make_encryption_services
from tests.subgraphs.users.users_support import create_user

DATA_ACCESS_LOGS = """{ complianceLogs(first: 100, filter: {eventType: DATA_ACCESS})
    { nodes { id eventType outcome performedBy logDetails responseId } } }"""


def _users_app(database_url: str, data_dir: Path, compliance: FastAPI | None) -> FastAPI:
    return create_users_app(
        UsersSettings(
            database_url=database_url, data_dir=data_dir, audit_url="http://compliance/graphql"
        ),
        encryption_services=make_encryption_services("users"),
        owner_transport=HostRouterTransport({"compliance": compliance} if compliance else {}),
    )


async def _data_access_logs(compliance: httpx.AsyncClient) -> list[dict[str, Any]]:
    logs: list[dict[str, Any]] = (await execute(compliance, DATA_ACCESS_LOGS)).ok()[
        "complianceLogs"
    ]["nodes"]
    return logs


async def test_events_are_relayed_once_even_across_a_restart(
    make_database_url: Callable[[str], Awaitable[str]], tmp_path: Path
) -> None:
    users_url = await make_database_url("users")
    compliance_app = create_compliance_app(
        ComplianceSettings(database_url=await make_database_url("compliance"), data_dir=tmp_path),
        encryption_services=make_encryption_services("compliance"),
    )
    async with running_app(compliance_app) as compliance:
        before = len(await _data_access_logs(compliance))

        # 1. Events are written while compliance is unreachable; the app stops before relaying.
        first = _users_app(users_url, tmp_path / "users", compliance=None)
        async with running_app(first) as users:
            user = await create_user(users)
            reader = principal("compliance", sub="auditor-9")
            read = await execute(
                users,
                "query($id: ID!) { user(id: $id) { firstName emailAddress } }",
                {"id": user["id"]},
                principal=reader,
            )
            read.ok()
            relay = state_of(first).audit_relay
            assert relay is not None
            assert await relay.relay_once() == 0  # compliance unreachable: nothing sent
            pending = await relay.pending_count()
            assert pending == 2  # the admin's creation (its response) and the auditor's read

        # 2. Restarted with compliance reachable: every pending event is delivered once.
        second = _users_app(users_url, tmp_path / "users", compliance=compliance_app)
        async with running_app(second):
            relay = state_of(second).audit_relay
            assert relay is not None
            # The row that failed before the restart waits out its backoff, then goes too.
            assert await relay.relay_once() == 1
            later = utcnow() + dt.timedelta(minutes=10)
            assert await relay.relay_once(now=later) == 1
            assert await relay.pending_count() == 0
            assert await relay.relay_once(now=later) == 0  # nothing left to send

        logs = await _data_access_logs(compliance)
        new = logs[before:]
        auditor = [log for log in new if log["performedBy"] == "auditor-9"]
        assert len(auditor) == 1
        details = auditor[0]["logDetails"]
        assert details["subgraph"] == "users"
        assert details["requestId"]
        assert details["principalRoles"] == ["compliance"]
        assert details["fields"] == ["email_address"]
        assert (details["entity"], details["entityId"]) == ("User", user["id"])
        assert "example.com" not in str(details)


async def test_a_resent_event_is_recorded_once(
    make_database_url: Callable[[str], Awaitable[str]], tmp_path: Path
) -> None:
    compliance_app = create_compliance_app(
        ComplianceSettings(database_url=await make_database_url("compliance"), data_dir=tmp_path),
        encryption_services=make_encryption_services("compliance"),
    )
    users_app = _users_app(await make_database_url("users"), tmp_path / "u", compliance_app)
    async with running_app(compliance_app) as compliance, running_app(users_app) as users:
        await create_user(users)
        relay = state_of(users_app).audit_relay
        assert relay is not None
        assert await relay.relay_once() == 1
        count = len(await _data_access_logs(compliance))
        # The acknowledgement was "lost": the row is sent again, compliance dedupes on its id.
        async with state_of(users_app).database.session() as session:
            from sqlalchemy import text

            await session.execute(text("UPDATE audit_outbox SET sent_at = NULL"))
            await session.commit()
        assert await relay.relay_once() == 1
        assert len(await _data_access_logs(compliance)) == count


async def test_due_events_go_in_one_request_and_a_refused_one_holds_back_no_other(
    make_database_url: Callable[[str], Awaitable[str]], tmp_path: Path
) -> None:
    compliance_app = create_compliance_app(
        ComplianceSettings(database_url=await make_database_url("compliance"), data_dir=tmp_path),
        encryption_services=make_encryption_services("compliance"),
    )
    requests: list[bytes] = []

    class Counting(HostRouterTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            requests.append(await request.aread())
            return await super().handle_async_request(request)

    users_app = create_users_app(
        UsersSettings(
            database_url=await make_database_url("users"),
            data_dir=tmp_path / "u",
            audit_url="http://compliance/graphql",
        ),
        encryption_services=make_encryption_services("users"),
        owner_transport=Counting({"compliance": compliance_app}),
    )
    async with running_app(compliance_app) as compliance, running_app(users_app) as users:
        before = len(await _data_access_logs(compliance))
        for n in range(3):
            await create_user(users, emailAddress=f"batch{n}@example.com")
        relay = state_of(users_app).audit_relay
        assert relay is not None
        assert await relay.pending_count() == 3
        assert await relay.relay_once() == 3
        assert len(requests) == 1 and b"recordDataAccessEvents(inputs:" in requests[0]
        assert len(await _data_access_logs(compliance)) == before + 3

        # A row compliance refuses (here: an empty event id) fails the batch; the rows are then
        # sent one by one, so the good one before it goes, and the bad one backs off alone.
        for n in range(2):
            await create_user(users, emailAddress=f"later{n}@example.com")
        async with state_of(users_app).database.session() as session:
            from sqlalchemy import text

            rows = (
                await session.execute(
                    text("SELECT id, payload FROM audit_outbox WHERE sent_at IS NULL ORDER BY id")
                )
            ).all()
            bad_id, payload = rows[-1]
            broken = payload.replace(f'"eventId":"{bad_id}"', '"eventId":" "')
            await session.execute(
                text("UPDATE audit_outbox SET payload = :p WHERE id = :id"),
                {"p": broken, "id": bad_id},
            )
            await session.commit()
        requests.clear()
        assert await relay.relay_once() == 1
        assert len(requests) == 3  # the batch, then the first row, then the refused one
        assert await relay.pending_count() == 1
        assert len(await _data_access_logs(compliance)) == before + 4
