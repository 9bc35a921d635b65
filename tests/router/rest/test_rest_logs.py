"""No plaintext of a sensitive field in what the router (and the platform behind it) logs.

Everything logged at DEBUG in the process (the router, httpx carrying its subgraph calls, the
in-process subgraphs and their database driver) is captured while a caller creates, reads and
wrongly updates a user through REST and GraphQL, including requests that are refused.
"""

from __future__ import annotations

import logging

import pytest

from tests.router.rest.platform import Platform
from tests.router.rest.rest_support import user_body

SENSITIVE = {
    "date_of_birth": "1971-03-14",
    "email_address": "grace.hopper.private@example.com",
    "telephone_number": "+44 7700 900777",
    "annual_income": {"amount": "123457.89", "currency": "GBP"},
}
PLAINTEXTS = ("1971-03-14", "grace.hopper.private", "7700900777", "7700 900777", "123457.89")


async def test_router_logs_hold_no_sensitive_plaintext(
    platform: Platform, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = platform.router
    created = await client.post("/api/user", json=user_body(**SENSITIVE))
    assert created.status_code == 201, created.text
    user = created.json()
    assert user["email_address"] == SENSITIVE["email_address"]  # the caller does see them
    read = await client.get(f"/api/user/{user['id']}")
    assert read.status_code == 200
    # Refused requests: a duplicate (409), a bad patch (422), a wrongly typed GraphQL variable.
    assert (await client.post("/api/user", json=user_body(**SENSITIVE))).status_code == 409
    bad = await client.patch(
        f"/api/user/{user['id']}", json={"version": 1, "date_of_birth": "1971-03-14x"}
    )
    assert bad.status_code in (400, 422)
    body = await platform.graphql(
        "query ($id: ID!) { user(id: $id) { emailAddress } }",
        {"id": {"email": SENSITIVE["email_address"]}},
    )
    assert body["errors"]
    assert "grace.hopper.private" not in str(body["errors"])

    # Every logger of the process: the router's, httpx's, and those of the in-process subgraphs
    # and their database driver (which logs its statements and parameters at DEBUG).
    assert {record.name.split(".")[0] for record in caplog.records} >= {"httpx"}
    logged = "\n".join(
        f"{record.getMessage()} {record.exc_text or ''}" for record in caplog.records
    )
    for plaintext in PLAINTEXTS:
        assert plaintext not in logged, plaintext
