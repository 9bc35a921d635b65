"""The PII access audit end to end: a read through the router becomes a DATA_ACCESS compliance log.

The path crosses three services over real HTTP: the router forwards the caller's identity and the
request id; the users subgraph decrypts the e-mail address and writes an outbox row in the same
transaction; its relay signs a service token and sends the event to the compliance subgraph, which
chains it as a DATA_ACCESS log about that user, readable through the router again.

This module runs a system of its own with the relays on (the shared one keeps them off so that
compliance log lists stay deterministic). The relay is asynchronous by design, so the test waits
for the log to appear (polling with a generous deadline; no timing is asserted).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from tests.integration.integration_support import Api
from tests.integration.integration_system import IntegrationSystem, running_integration_system

AUDIT_LOGS = """query Audit($id: ID!) {
  user(id: $id) {
    complianceLogs(eventType: DATA_ACCESS, first: 100) {
      nodes { eventType outcome provider performedBy logDetails user { id } }
    }
  }
}"""


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IntegrationSystem]:
    data_dir = tmp_path_factory.mktemp("integration-audit")
    with running_integration_system(data_dir, audit_relay=True) as running:
        yield running


@pytest.fixture
async def audited_api(audited: IntegrationSystem) -> AsyncIterator[Api]:
    async with httpx.AsyncClient(
        base_url=audited.router_url, timeout=30, headers=audited.bearer()
    ) as client:
        yield Api(client)


async def _audit_logs_of(api: Api, user_id: str, request_id: str) -> list[dict[str, Any]]:
    """Wait until the relay delivered the events of ``request_id``; return them."""
    deadline = time.monotonic() + 30
    while True:
        nodes = (await api.ok(AUDIT_LOGS, {"id": user_id}))["user"]["complianceLogs"]["nodes"]
        matching = [n for n in nodes if n["logDetails"].get("requestId") == request_id]
        if matching or time.monotonic() > deadline:
            return matching
        await asyncio.sleep(0.1)


async def test_reading_an_email_address_leaves_a_data_access_log(
    audited_api: Api,
) -> None:
    user = await audited_api.create_user(lastName="Audited")
    request_id = f"integration-{uuid.uuid4().hex}"
    read = await audited_api.call(
        "query Read($id: ID!) { user(id: $id) { lastName emailAddress telephoneNumber } }",
        {"id": user["id"]},
        headers={"x-request-id": request_id},
    )
    assert read.ok()["user"]["emailAddress"] == user["emailAddress"]
    assert read.headers["x-request-id"] == request_id

    [log] = await _audit_logs_of(audited_api, user["id"], request_id)
    assert (log["eventType"], log["outcome"], log["provider"]) == ("DATA_ACCESS", "CLEAR", "users")
    assert log["user"] == {"id": user["id"]}
    assert log["performedBy"] == "dev:admin"
    details = log["logDetails"]
    assert (details["entity"], details["entityId"]) == ("User", user["id"])
    assert sorted(details["fields"]) == ["email_address", "telephone_number"]
    assert details["principalRoles"] == ["admin"]
    # The audit names fields, never their values.
    assert user["emailAddress"] not in str(log) and "+447700900123" not in str(log)

    # A read of non-sensitive fields only, in a later request, adds no audit event of its own.
    quiet_id = f"integration-{uuid.uuid4().hex}"
    quiet = await audited_api.call(
        "query Quiet($id: ID!) { user(id: $id) { lastName kycStatus } }",
        {"id": user["id"]},
        headers={"x-request-id": quiet_id},
    )
    assert quiet.ok()["user"]["lastName"] == "Audited"
    # A later sensitive read (whose event the relay sends after any earlier one) proves the
    # relay has caught up; the quiet request still has nothing.
    marker_id = f"integration-{uuid.uuid4().hex}"
    await audited_api.call(
        "query Marker($id: ID!) { user(id: $id) { emailAddress } }",
        {"id": user["id"]},
        headers={"x-request-id": marker_id},
    )
    assert await _audit_logs_of(audited_api, user["id"], marker_id)
    nodes = (await audited_api.ok(AUDIT_LOGS, {"id": user["id"]}))["user"]["complianceLogs"][
        "nodes"
    ]
    assert not [n for n in nodes if n["logDetails"].get("requestId") == quiet_id]
