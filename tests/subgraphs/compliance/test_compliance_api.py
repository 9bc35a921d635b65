"""Compliance logs through the API: create, read, amend (revisions), lists, KYC status."""

from __future__ import annotations

import httpx

from subgraphs.kit.testing import execute
from tests.subgraphs.compliance.compliance_support import (
    GET_LOG,
    LIST_LOGS,
    Owners,
    amend_log,
    create_log,
    log_input,
)

KYC_STATUS = (
    'query($id: ID!) { _entities(representations: [{__typename: "User", id: $id}]) '
    "{ ... on User { kycStatus } } }"
)


async def test_create_and_read_a_log(client: httpx.AsyncClient, owners: Owners) -> None:
    user_id = await owners.new_user()
    account_id = owners.new_account(user_id)
    transaction_id = owners.new_transaction(account_id)
    created = await create_log(
        client,
        userId=user_id,
        accountId=account_id,
        transactionId=transaction_id,
        provider="  ComplyAdvantage ",
    )
    assert created["id"].startswith("cpl_")
    assert created["user"] == {"id": user_id}
    assert created["account"] == {"id": account_id}
    assert created["transaction"] == {"id": transaction_id}
    assert created["provider"] == "ComplyAdvantage"
    assert created["logDetails"] == log_input()["logDetails"]
    assert created["responseId"] == "resp-7f3a9c21"
    assert created["version"] == 1
    assert created["createdAt"] == created["updatedAt"]
    assert len(created["hash"]) == 64

    read = (await execute(client, GET_LOG, {"id": created["id"]})).ok()["complianceLog"]
    assert {k: v for k, v in read.items() if k != "revisions"} == created
    [revision] = read["revisions"]
    assert revision["revision"] == 1
    assert revision["chainIndex"] == 1
    assert revision["previousHash"] == "0" * 64
    assert revision["hash"] == created["hash"]
    assert revision["logId"] == created["id"]


async def test_optional_subjects_are_null(client: httpx.AsyncClient, owners: Owners) -> None:
    created = await create_log(client, accountId=owners.new_account(), provider=None)
    assert created["user"] is None and created["transaction"] is None
    assert created["provider"] is None


async def test_amending_appends_a_revision_and_keeps_the_earlier_one(
    client: httpx.AsyncClient, owners: Owners
) -> None:
    created = await create_log(client, userId=await owners.new_user(), outcome="CONSIDER")
    amended = await amend_log(
        client,
        id=created["id"],
        version=1,
        outcome="CLEAR",
        logDetails={"matches": 1, "falsePositive": True},
        performedBy="analyst-42",
    )
    log = amended.ok()["amendComplianceLog"]
    assert log["id"] == created["id"]
    assert log["version"] == 2
    assert log["outcome"] == "CLEAR"
    assert log["logDetails"] == {"matches": 1, "falsePositive": True}
    assert log["responseId"] == created["responseId"]  # unchanged fields carry over
    assert log["provider"] == created["provider"]
    assert log["performedBy"] == "analyst-42"
    assert log["createdAt"] == created["createdAt"]
    assert log["updatedAt"] > created["updatedAt"]
    assert log["hash"] != created["hash"]

    read = (await execute(client, GET_LOG, {"id": created["id"]})).ok()["complianceLog"]
    first, second = read["revisions"]
    assert (first["revision"], first["outcome"], first["performedBy"]) == (
        1,
        "CONSIDER",
        "screening-service",
    )
    assert first["logDetails"] == created["logDetails"]
    assert second["revision"] == 2 and second["previousHash"] == first["hash"]
    assert second["chainIndex"] == first["chainIndex"] + 1

    query = """query($id: ID!, $n: Int!) { complianceLogRevision(id: $id, revision: $n) {
        revision outcome logDetails responseId } }"""
    old = (await execute(client, query, {"id": created["id"], "n": 1})).ok()
    assert old["complianceLogRevision"] == {
        "revision": 1,
        "outcome": "CONSIDER",
        "logDetails": created["logDetails"],
        "responseId": created["responseId"],
    }
    missing = (await execute(client, query, {"id": created["id"], "n": 3})).ok()
    assert missing["complianceLogRevision"] is None

    # A nullable field can be cleared; the others carry over again.
    third = (await amend_log(client, id=created["id"], version=2, provider=None)).ok()
    assert third["amendComplianceLog"]["provider"] is None
    assert third["amendComplianceLog"]["outcome"] == "CLEAR"
    assert third["amendComplianceLog"]["version"] == 3


async def test_stale_version_is_a_conflict_and_appends_nothing(
    client: httpx.AsyncClient, owners: Owners
) -> None:
    created = await create_log(client, userId=await owners.new_user())
    assert (await amend_log(client, id=created["id"], version=1, outcome="CONSIDER")).ok()
    stale = await amend_log(client, id=created["id"], version=1, outcome="FAIL")
    error = stale.error()
    assert error["extensions"]["code"] == "CONFLICT"
    assert error["extensions"]["reason"] == "STALE_VERSION"
    assert error["extensions"]["field"] == "version"
    read = (await execute(client, GET_LOG, {"id": created["id"]})).ok()["complianceLog"]
    assert [r["outcome"] for r in read["revisions"]] == ["CLEAR", "CONSIDER"]


async def test_an_unknown_log_reads_as_null_and_cannot_be_amended(
    client: httpx.AsyncClient,
) -> None:
    unknown = "cpl_00000000000070008000000000000000"
    assert (await execute(client, GET_LOG, {"id": unknown})).ok()["complianceLog"] is None
    result = await amend_log(client, id=unknown, version=1, outcome="FAIL")
    assert result.error()["extensions"]["code"] == "NOT_FOUND"


async def test_lists_filter_by_user_account_and_event_type_and_page(
    client: httpx.AsyncClient, owners: Owners
) -> None:
    alice, bob = await owners.new_user(), await owners.new_user()
    account = owners.new_account(alice)
    made = [
        await create_log(client, userId=alice, eventType="AML_SCREENING"),
        await create_log(client, userId=bob, eventType="PEP_SCREENING"),
        await create_log(client, userId=alice, accountId=account, eventType="PEP_SCREENING"),
        await create_log(client, accountId=account, eventType="DATA_ACCESS", outcome="PENDING"),
        await create_log(client, userId=alice, eventType="SANCTIONS_SCREENING"),
    ]
    ids = [log["id"] for log in made]

    async def listed(**variables: object) -> list[str]:
        data = (await execute(client, LIST_LOGS, dict(variables))).ok()["complianceLogs"]
        return [node["id"] for node in data["nodes"]]

    assert await listed() == ids
    assert await listed(filter={"userId": alice}) == [ids[0], ids[2], ids[4]]
    assert await listed(filter={"accountId": account}) == [ids[2], ids[3]]
    assert await listed(filter={"eventType": "PEP_SCREENING"}) == [ids[1], ids[2]]
    assert await listed(filter={"userId": alice, "eventType": "PEP_SCREENING"}) == [ids[2]]

    seen: list[str] = []
    after = None
    while True:
        page = (
            await execute(
                client, LIST_LOGS, {"first": 2, "after": after, "filter": {"userId": alice}}
            )
        ).ok()["complianceLogs"]
        seen += [edge["node"]["id"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [ids[0], ids[2], ids[4]]

    # Lists show each log's current revision.
    await amend_log(client, id=ids[1], version=1, outcome="FAIL")
    nodes = (await execute(client, "{ complianceLogs { nodes { id outcome version } } }")).ok()
    assert nodes["complianceLogs"]["nodes"][1] == {"id": ids[1], "outcome": "FAIL", "version": 2}


async def test_kyc_status_follows_the_latest_kyc_event(
    client: httpx.AsyncClient, owners: Owners
) -> None:
    user_id = await owners.new_user()

    async def status() -> str:
        data = (await execute(client, KYC_STATUS, {"id": user_id})).ok()
        return str(data["_entities"][0]["kycStatus"])

    assert await status() == "NOT_STARTED"
    steps = [
        ("KYC_CHECK_REQUESTED", "PENDING", "PENDING"),
        ("KYC_CHECK_REFERRED", "CONSIDER", "REFERRED"),
        ("AML_SCREENING", "FAIL", "REFERRED"),  # not a KYC event: no change
        ("KYC_CHECK_FAILED", "FAIL", "FAILED"),
        ("KYC_CHECK_REQUESTED", "PENDING", "PENDING"),
        ("KYC_CHECK_PASSED", "CLEAR", "PASSED"),
    ]
    for event_type, outcome, expected in steps:
        await create_log(client, userId=user_id, eventType=event_type, outcome=outcome)
        assert await status() == expected, event_type
    # Another user's events do not count.
    other = await owners.new_user()
    await create_log(client, userId=other, eventType="KYC_CHECK_FAILED", outcome="FAIL")
    assert await status() == "PASSED"
