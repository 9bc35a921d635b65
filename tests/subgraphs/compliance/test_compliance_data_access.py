"""The PII access audit lands here: relayed DATA_ACCESS events become chained logs, once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from subgraphs.compliance.verification import verify_chain
from subgraphs.kit.testing import HostRouterTransport, execute, principal, running_app, state_of
from subgraphs.users.app import create_app as create_users_app
from subgraphs.users.settings import UsersSettings
from tests.subgraphs.compliance.compliance_support import stored_counts
from tests.subgraphs.support import make_encryption_services
from tests.subgraphs.users.users_support import create_user

RECORD = """mutation($input: RecordDataAccessInput!) { recordDataAccess(input: $input) {
    id logs { id eventType outcome provider performedBy responseId logDetails
              user { id } account { id } transaction { id } } } }"""
USER_ACCESS_LOGS = """query($id: ID!) { _entities(representations: [{__typename: "User", id: $id}])
    { ... on User { complianceLogs(eventType: DATA_ACCESS) { nodes {
        id performedBy provider responseId logDetails } } } } }"""
USER_A = "usr_01a2210e76b075d48b218a6c00b804c4"
USER_B = "usr_01a2210e76b075d48b218a6c00b804c5"
ACCOUNT = "acc_01a2210e76b075d48b218a6c00b804c4"


def _event(**overrides: Any) -> dict[str, Any]:
    value: dict[str, Any] = {
        "eventId": "aud_01a2210e77d774c6abed68866f0dd5c4",
        "subgraph": "investments",
        "occurredAt": "2026-11-28T08:30:00.123456+00:00",
        "requestId": "req-42",
        "principalSub": "advisor|jane",
        "principalRoles": ["advisor"],
        "accessed": [
            {"entity": "User", "id": USER_A, "fields": ["email_address"]},
            {"entity": "InvestmentAccount", "id": ACCOUNT, "fields": ["client_reference"]},
            {"entity": "User", "id": USER_B, "fields": ["annual_income", "date_of_birth"]},
            {"entity": "Widget", "id": "w-1", "fields": ["secret"]},
        ],
    }
    value.update(overrides)
    return value


async def _verified(app: FastAPI) -> bool:
    state = state_of(app)
    async with state.database.session() as session:
        report = await verify_chain(session, encryption=state.encryption_services)
    return report.ok


async def test_an_event_becomes_one_log_per_accessed_entity_once(
    client: httpx.AsyncClient, compliance_app: FastAPI
) -> None:
    service = principal("service", sub="service|investments")
    result = await execute(client, RECORD, {"input": _event()}, principal=service)
    recorded = result.ok()["recordDataAccess"]
    assert recorded["id"] == "aud_01a2210e77d774c6abed68866f0dd5c4"
    logs = recorded["logs"]
    assert [log["user"] for log in logs] == [{"id": USER_A}, None, {"id": USER_B}, None]
    assert logs[1]["account"] == {"id": ACCOUNT}
    assert all(log["transaction"] is None for log in logs)
    assert {log["eventType"] for log in logs} == {"DATA_ACCESS"}
    assert {log["outcome"] for log in logs} == {"CLEAR"}
    assert {log["provider"] for log in logs} == {"investments"}
    assert {log["performedBy"] for log in logs} == {"advisor|jane"}
    assert {log["responseId"] for log in logs} == {"aud_01a2210e77d774c6abed68866f0dd5c4"}
    assert logs[2]["logDetails"] == {
        "source": "access-audit",
        "subgraph": "investments",
        "entity": "User",
        "entityId": USER_B,
        "fields": ["annual_income", "date_of_birth"],
        "occurredAt": "2026-11-28T08:30:00.123456+00:00",
        "requestId": "req-42",
        "principalSub": "advisor|jane",
        "principalRoles": ["advisor"],
        "selfAccess": False,
        "principalUserId": None,
    }
    assert await stored_counts(compliance_app) == (4, 4, 4)

    # The relay re-sends (a lost acknowledgement): the same logs come back, nothing is added.
    again = (await execute(client, RECORD, {"input": _event()}, principal=service)).ok()
    assert [log["id"] for log in again["recordDataAccess"]["logs"]] == [log["id"] for log in logs]
    assert await stored_counts(compliance_app) == (4, 4, 4)
    assert await _verified(compliance_app)

    # "Who read this person's data" is a list query on the user.
    seen = (await execute(client, USER_ACCESS_LOGS, {"id": USER_B})).ok()
    [entry] = seen["_entities"][0]["complianceLogs"]["nodes"]
    assert entry["id"] == logs[2]["id"]


RECORD_EVENTS = """mutation($inputs: [RecordDataAccessInput!]!) {
    recordDataAccessEvents(inputs: $inputs) { id logs { id user { id } responseId } } }"""


async def test_a_delivery_of_several_events_is_one_append_and_idempotent(
    client: httpx.AsyncClient, compliance_app: FastAPI
) -> None:
    service = principal("service", sub="service|users")
    first = _event(eventId="aud_01a2210e77d774c6abed68866f0dd501")
    second = _event(
        eventId="aud_01a2210e77d774c6abed68866f0dd502",
        accessed=[{"entity": "User", "id": USER_A, "fields": ["email_address"]}],
    )
    # The first event was delivered alone before (a relay whose batch then lost its answer).
    alone = (await execute(client, RECORD, {"input": first}, principal=service)).ok()
    assert await stored_counts(compliance_app) == (4, 4, 4)

    result = await execute(client, RECORD_EVENTS, {"inputs": [first, second]}, principal=service)

    recorded = result.ok()["recordDataAccessEvents"]
    assert [event["id"] for event in recorded] == [first["eventId"], second["eventId"]]
    # The event seen before comes back with its logs; only the new one is appended.
    assert [log["id"] for log in recorded[0]["logs"]] == [
        log["id"] for log in alone["recordDataAccess"]["logs"]
    ]
    [log] = recorded[1]["logs"]
    assert (log["user"], log["responseId"]) == ({"id": USER_A}, second["eventId"])
    assert await stored_counts(compliance_app) == (5, 5, 5)
    again = await execute(client, RECORD_EVENTS, {"inputs": [second, first]}, principal=service)
    assert [event["id"] for event in again.ok()["recordDataAccessEvents"]] == [
        second["eventId"],
        first["eventId"],
    ]
    assert await stored_counts(compliance_app) == (5, 5, 5)
    assert await _verified(compliance_app)

    # One bad event refuses the whole delivery, and nothing of it is written.
    bad = _event(eventId="aud_01a2210e77d774c6abed68866f0dd503", principalSub="")
    third = _event(eventId="aud_01a2210e77d774c6abed68866f0dd504")
    refused = await execute(client, RECORD_EVENTS, {"inputs": [third, bad]}, principal=service)
    assert refused.error()["extensions"]["code"] == "BAD_USER_INPUT"
    assert await stored_counts(compliance_app) == (5, 5, 5)
    client_role = await execute(
        client, RECORD_EVENTS, {"inputs": [third]}, principal=principal("advisor")
    )
    assert client_role.error()["extensions"]["code"] == "FORBIDDEN"


async def test_only_services_and_admins_record_access_events(
    client: httpx.AsyncClient, compliance_app: FastAPI
) -> None:
    for roles in (("compliance",), ("advisor",), ("client",)):
        result = await execute(client, RECORD, {"input": _event()}, principal=principal(*roles))
        error = result.error()
        assert error["extensions"]["code"] == "FORBIDDEN", roles
    assert await stored_counts(compliance_app) == (0, 0, 0)
    admin = await execute(
        client, RECORD, {"input": _event(accessed=[])}, principal=principal("admin")
    )
    assert admin.ok()["recordDataAccess"]["logs"] == []


async def test_the_users_audit_relay_delivers_here(
    client: httpx.AsyncClient, compliance_app: FastAPI, tmp_path: Path
) -> None:
    users_app = create_users_app(
        UsersSettings(
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'audited-users.sqlite3'}",
            data_dir=tmp_path,
            audit_url="http://compliance/graphql",
        ),
        encryption_services=make_encryption_services("users"),
        owner_transport=HostRouterTransport({"compliance": compliance_app}),
    )
    async with running_app(users_app) as users:
        user = await create_user(users)  # its answer carried decrypted fields: one event
        relay = state_of(users_app).audit_relay
        assert relay is not None
        pending = await relay.pending_count()
        assert pending >= 1
        assert await relay.relay_once() == pending
        assert await relay.pending_count() == 0

    data = (await execute(client, USER_ACCESS_LOGS, {"id": user["id"]})).ok()
    nodes = data["_entities"][0]["complianceLogs"]["nodes"]
    assert len(nodes) == pending
    assert {node["provider"] for node in nodes} == {"users"}
    assert "email_address" in nodes[0]["logDetails"]["fields"]
    # Field names and ids only, never a value ("ada" alone can occur in a random hex id).
    assert "lovelace" not in str(nodes).lower() and "example.com" not in str(nodes).lower()
    assert await _verified(compliance_app)
