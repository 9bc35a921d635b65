"""Self-service reads (issue 13.10) and REST reads that withhold sensitive fields (issue 13.11).

Through the real router and the four real subgraphs: a client without the staff scope reads its
own user, accounts and transactions in full, over GraphQL and REST, audited as self-access; another
client's rows stay hidden. Staff without ``pii:read`` get a REST resource without its sensitive
fields, with ``withheld_fields`` naming them, instead of a 403.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import text

from subgraphs.kit.testing import state_of
from tests.router.security.platform_support import SecuredPlatform, secured_platform

pytestmark = pytest.mark.asyncio(loop_scope="module")

USER_PII = [
    "annual_income",
    "date_of_birth",
    "email_address",
    "sources_of_wealth",
    "telephone_number",
]
OWN_DATA = """query($id: ID!) { user(id: $id) {
  id firstName emailAddress dateOfBirth telephoneNumber annualIncome { amount currency }
  sourcesOfWealth
  investmentAccounts(first: 10) { nodes { id clientReference cashBalance { amount } } }
  transactions(first: 10) { nodes { id considerationAmount { amount } } }
} }"""


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def platform(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[SecuredPlatform]:
    folder: Path = tmp_path_factory.mktemp("self-access")
    async with secured_platform(folder) as running:
        yield running


async def _outbox(platform: SecuredPlatform, subgraph: str) -> list[dict[str, Any]]:
    async with state_of(platform.subgraphs[subgraph]).database.engine.connect() as connection:
        rows = (await connection.execute(text("SELECT payload FROM audit_outbox"))).scalars()
        return [json.loads(payload) for payload in rows]


def _client(platform: SecuredPlatform) -> dict[str, str]:
    # A client's token as an identity provider would issue it: its user id, no staff scope.
    return platform.headers("client", scope=())


async def test_a_client_reads_its_own_sensitive_data_over_graphql(
    platform: SecuredPlatform,
) -> None:
    ids = platform.ids
    body = await platform.graphql("client", OWN_DATA, {"id": ids.own_user}, scope=())
    assert "errors" not in body, body
    user = body["data"]["user"]
    assert user["emailAddress"] == ids.own_email
    assert user["dateOfBirth"] == "1985-12-10" and user["annualIncome"]["amount"] == "85000.00"
    (account,) = user["investmentAccounts"]["nodes"]
    assert account["clientReference"] == ids.own_reference
    assert user["transactions"]["nodes"][0]["id"] == ids.own_transaction
    # Another client's user is still answered as a missing one, without an error.
    theirs = await platform.graphql("client", OWN_DATA, {"id": ids.other_user}, scope=())
    assert theirs == {"data": {"user": None}}


async def test_a_client_reads_its_own_user_and_account_over_rest(
    platform: SecuredPlatform,
) -> None:
    ids = platform.ids
    before = len(await _outbox(platform, "users"))
    response = await platform.router.get(f"/api/user/{ids.own_user}", headers=_client(platform))
    assert response.status_code == 200, response.text
    user = response.json()
    assert user["email_address"] == ids.own_email and "withheld_fields" not in user
    assert user["annual_income"] == {"amount": "85000.00", "currency": "GBP"}
    response = await platform.router.get(
        f"/api/investment/{ids.own_account}", headers=_client(platform)
    )
    assert response.status_code == 200 and response.json()["client_reference"] == ids.own_reference
    response = await platform.router.get(
        f"/api/transaction/{ids.own_transaction}", headers=_client(platform)
    )
    assert response.status_code == 200 and response.json()["consideration_amount"] == "100.00"
    # Other clients' records stay refused (as missing ones).
    for path in (f"/api/user/{ids.other_user}", f"/api/investment/{ids.other_account}"):
        response = await platform.router.get(path, headers=_client(platform))
        assert response.status_code == 404 and response.json()["code"] == "NOT_FOUND", path
    # The read is in the DATA_ACCESS audit, marked as self-access by that client.
    (event,) = (await _outbox(platform, "users"))[before:]
    assert event["selfAccess"] is True and event["principalUserId"] == ids.own_user
    assert event["principalRoles"] == ["client"]
    assert event["accessed"] == [
        {"entity": "User", "id": ids.own_user, "fields": event["accessed"][0]["fields"]}
    ]
    assert sorted(event["accessed"][0]["fields"]) == USER_PII
    self_reads = [e for e in await _outbox(platform, "investments") if e.get("selfAccess")]
    assert {item["id"] for e in self_reads for item in e["accessed"]} == {ids.own_account}


async def test_staff_without_pii_read_get_the_resource_minus_its_sensitive_fields(
    platform: SecuredPlatform,
) -> None:
    ids = platform.ids
    before = len(await _outbox(platform, "users"))
    advisor = platform.headers("advisor", scope=())
    response = await platform.router.get(f"/api/user/{ids.own_user}", headers=advisor)
    assert response.status_code == 200, response.text
    user = response.json()
    assert user["withheld_fields"] == USER_PII
    assert user["first_name"] == "Ada" and user["id"] == ids.own_user
    assert not set(USER_PII) & set(user), user
    assert ids.own_email not in response.text
    # Nothing sensitive was decrypted for it, so nothing is audited.
    assert len(await _outbox(platform, "users")) == before
    response = await platform.router.get(f"/api/investment/{ids.own_account}", headers=advisor)
    account = response.json()
    assert response.status_code == 200 and account["withheld_fields"] == ["client_reference"]
    assert "client_reference" not in account and account["user_id"] == ids.own_user
    # Compliance logs: the details of the log and of each revision are withheld.
    officer = platform.headers("compliance", scope=())
    response = await platform.router.get(f"/api/compliance/{ids.log}", headers=officer)
    log = response.json()
    assert response.status_code == 200, response.text
    assert log["withheld_fields"] == [
        "log_details",
        "response_id",
        "revisions.log_details",
        "revisions.response_id",
    ]
    assert "log_details" not in log and "log_details" not in log["revisions"][0]
    assert log["revisions"][0]["hash"] and log["event_type"] == "AML_SCREENING"
    # With the scope, the whole resource and no withheld_fields member.
    response = await platform.router.get(
        f"/api/user/{ids.own_user}", headers=platform.headers("advisor")
    )
    assert response.status_code == 200 and "withheld_fields" not in response.json()
    assert response.json()["email_address"] == ids.own_email


async def test_a_role_that_reads_nothing_is_still_refused(platform: SecuredPlatform) -> None:
    # Withholding applies to fields only: a client reading a compliance log is refused outright.
    response = await platform.router.get(
        f"/api/compliance/{platform.ids.log}", headers=_client(platform)
    )
    assert response.status_code == 403 and response.json()["reason"] == "ROLE"
