"""Who may do what with compliance logs: the role matrix, pii:read, compliance's own audit."""

from __future__ import annotations

import json
from typing import Any

import httpx
from fastapi import FastAPI

from crypto import Principal
from subgraphs.kit.testing import GraphQLResult, execute, principal, state_of
from tests.subgraphs.compliance.compliance_support import (
    AMEND_LOG,
    CREATE_LOG,
    Owners,
    create_log,
    log_input,
)
from tests.subgraphs.security_support import (
    STAFF,
    Matrix,
    assert_indistinguishable,
    role_principals,
)

OFFICERS = {"compliance", "admin"}
DATA_ACCESS = """{ complianceLogs(first: 100, filter: {eventType: DATA_ACCESS})
    { nodes { id performedBy provider logDetails } } }"""


def _entities(typename: str, entity_id: str, selection: str) -> tuple[str, dict[str, Any]]:
    document = (
        "query($r: [_Any!]!) { _entities(representations: $r) "
        f"{{ ... on {typename} {{ {selection} }} }} }}"
    )
    return document, {"r": [{"__typename": typename, "id": entity_id}]}


async def test_role_matrix(client: httpx.AsyncClient, owners: Owners) -> None:
    own_user = await owners.new_user()
    other_user = await owners.new_user()
    log = await create_log(client, userId=own_user)
    matrix = Matrix(role_principals(own_user))

    def query(document: str, variables: dict[str, Any]):  # type: ignore[no-untyped-def]
        return lambda who: execute(client, document, variables, principal=who)

    await matrix.check(
        "complianceLog",
        OFFICERS,
        query("query($id: ID!) { complianceLog(id: $id) { id } }", {"id": log["id"]}),
    )
    await matrix.check(
        "complianceLogRevision",
        OFFICERS,
        query(
            "query($id: ID!) { complianceLogRevision(id: $id, revision: 1) { revision } }",
            {"id": log["id"]},
        ),
    )
    await matrix.check("complianceLogs", OFFICERS, query("{ complianceLogs { nodes { id } } }", {}))
    await matrix.check(
        "_entities(ComplianceLog)",
        OFFICERS,
        query(*_entities("ComplianceLog", log["id"], "id outcome")),
    )
    await matrix.check(
        "User.complianceLogs(own)",
        OFFICERS,
        query(*_entities("User", own_user, "complianceLogs { nodes { id } }")),
    )
    await matrix.check(
        "InvestmentAccount.complianceLogs",
        OFFICERS,
        query(
            *_entities("InvestmentAccount", owners.new_account(), "complianceLogs { nodes { id } }")
        ),
    )
    await matrix.check(
        "User.kycStatus(own)", {"client", *STAFF}, query(*_entities("User", own_user, "kycStatus"))
    )
    await matrix.check(
        "User.kycStatus(other)", STAFF, query(*_entities("User", other_user, "kycStatus"))
    )

    async def create(who: Principal) -> GraphQLResult:
        return await execute(
            client, CREATE_LOG, {"input": log_input(userId=own_user)}, principal=who
        )

    await matrix.check("createComplianceLog", OFFICERS, create)

    async def amend(who: Principal) -> GraphQLResult:
        current = (
            await execute(
                client, "query($id: ID!) { complianceLog(id: $id) { version } }", {"id": log["id"]}
            )
        ).ok()
        variables = {
            "input": {
                "id": log["id"],
                "version": current["complianceLog"]["version"],
                "performedBy": "analyst",
                "outcome": "CONSIDER",
            }
        }
        return await execute(client, AMEND_LOG, variables, principal=who)

    await matrix.check("amendComplianceLog", OFFICERS, amend)

    events = 0

    async def record(who: Principal) -> GraphQLResult:
        nonlocal events
        events += 1
        event = {
            "eventId": f"aud_matrix_{events}",
            "subgraph": "users",
            "occurredAt": "2026-11-28T08:00:00+00:00",
            "requestId": "req-1",
            "principalSub": "someone",
            "principalRoles": ["advisor"],
            "accessed": [{"entity": "User", "id": own_user, "fields": ["email_address"]}],
        }
        return await execute(
            client,
            "mutation($input: RecordDataAccessInput!) { recordDataAccess(input: $input) { id } }",
            {"input": event},
            principal=who,
        )

    await matrix.check("recordDataAccess", {"service", "admin"}, record)

    assert matrix.mismatches == []
    assert matrix.cells == 11 * 6


MISSING_USER = "usr_00000000000070008000000000000000"
MISSING_LOG = "cpl_00000000000070008000000000000000"


async def test_a_client_learns_nothing_about_which_ids_exist(
    client: httpx.AsyncClient, owners: Owners
) -> None:
    # Logs are refused to a client by its role, and another user's KYC status by the id alone
    # (nothing is looked up), so an existing id and a missing one get the very same answer.
    own_user = await owners.new_user()
    other_user = await owners.new_user()
    log = await create_log(client, userId=other_user)
    as_client = principal("client", user_id=own_user)
    probes = [
        (
            "query($id: ID!) { complianceLog(id: $id) { id } }",
            {"id": log["id"]},
            {"id": MISSING_LOG},
            "ROLE",
        ),
        (
            _entities("ComplianceLog", "", "id")[0],
            _entities("ComplianceLog", log["id"], "id")[1],
            _entities("ComplianceLog", MISSING_LOG, "id")[1],
            "ROLE",
        ),
        (
            _entities("User", "", "kycStatus")[0],
            _entities("User", other_user, "kycStatus")[1],
            _entities("User", MISSING_USER, "kycStatus")[1],
            "NOT_OWN",
        ),
    ]
    for document, theirs, missing, reason in probes:
        body = await assert_indistinguishable(client, document, theirs, missing, who=as_client)
        [error] = json.loads(body)["errors"]
        assert error["extensions"] == {"code": "FORBIDDEN", "reason": reason}, document
    own = await execute(client, *_entities("User", own_user, "kycStatus"), principal=as_client)
    assert own.ok()["_entities"][0]["kycStatus"]


async def test_log_details_need_pii_read(client: httpx.AsyncClient, owners: Owners) -> None:
    log = await create_log(client, userId=await owners.new_user())
    result = await execute(
        client,
        "query($id: ID!) { complianceLog(id: $id) { id outcome logDetails responseId } }",
        {"id": log["id"]},
        principal=principal("compliance", scopes=()),
    )
    assert result.data == {
        "complianceLog": {
            "id": log["id"],
            "outcome": "CLEAR",
            "logDetails": None,
            "responseId": None,
        }
    }
    assert sorted(tuple(error["path"]) for error in result.errors) == [
        ("complianceLog", "logDetails"),
        ("complianceLog", "responseId"),
    ]
    assert set(result.codes) == {"FORBIDDEN"}
    assert "resp-7f3a9c21" not in str(result.body)


async def test_compliance_audits_its_own_reads_in_process(
    client: httpx.AsyncClient, compliance_app: FastAPI, owners: Owners
) -> None:
    log = await create_log(client, userId=await owners.new_user())
    relay = state_of(compliance_app).audit_relay
    assert relay is not None
    await relay.relay_once()  # the creation's own event (its response showed the details)
    before = (await execute(client, DATA_ACCESS)).ok()["complianceLogs"]["nodes"]
    await relay.relay_once()  # and the event of that listing itself

    officer = principal("compliance", sub="officer-1")
    plain = await execute(
        client,
        "query($id: ID!) { complianceLog(id: $id) { id outcome } }",
        {"id": log["id"]},
        principal=officer,
    )
    plain.ok()
    assert await relay.relay_once() == 0  # no sensitive field: nothing to record

    read = await execute(
        client,
        "query($id: ID!) { complianceLog(id: $id) { id logDetails } }",
        {"id": log["id"]},
        principal=officer,
    )
    read.ok()
    assert await relay.pending_count() == 1
    assert await relay.relay_once() == 1
    assert await relay.pending_count() == 0

    after = (await execute(client, DATA_ACCESS, principal=principal("compliance", sub="x"))).ok()
    mine = [node for node in after["complianceLogs"]["nodes"] if node["performedBy"] == "officer-1"]
    assert len(mine) == 1
    assert mine[0]["provider"] == "compliance"
    details = mine[0]["logDetails"]
    assert (details["entity"], details["fields"]) == ("ComplianceLog", ["log_details"])
    assert len(after["complianceLogs"]["nodes"]) >= len(before) + 1
