"""Every REST route's happy path against the real platform: create, read, change each resource."""

from __future__ import annotations

from decimal import Decimal

from tests.router.rest.platform import Platform
from tests.router.rest.rest_support import account_body, active_account, create, user_body


async def test_user_create_read_and_patch(platform: Platform) -> None:
    client = platform.router
    response = await client.post("/api/user", json=user_body())
    assert response.status_code == 201, response.text
    user = response.json()
    assert response.headers["location"] == f"/api/user/{user['id']}"
    assert user["id"].startswith("usr_")
    assert user["email_address"] == "ada.lovelace@example.com"  # stored lower-cased
    assert user["telephone_number"] == "+447700900123"  # E.164
    assert user["annual_income"] == {"amount": "85000.00", "currency": "GBP"}
    assert user["sources_of_wealth"] == ["EMPLOYMENT_INCOME", "SAVINGS"]
    assert (user["status"], user["version"]) == ("ACTIVE", 1)

    read = await client.get(response.headers["location"])
    assert read.status_code == 200
    assert read.json() == user

    patched = await client.patch(
        f"/api/user/{user['id']}",
        json={"version": 1, "last_name": "King", "title": None, "status": "SUSPENDED"},
    )
    assert patched.status_code == 200, patched.text
    after = patched.json()
    assert (after["last_name"], after["title"], after["status"]) == ("King", None, "SUSPENDED")
    assert after["version"] == 2
    # Only the named fields changed.
    unchanged = {"first_name", "email_address", "annual_income", "date_of_birth", "created_at"}
    assert {k: after[k] for k in unchanged} == {k: user[k] for k in unchanged}
    assert (await client.get(f"/api/user/{user['id']}")).json() == after


async def test_investment_create_read_and_lifecycle(platform: Platform) -> None:
    client = platform.router
    user = await create(client, "/api/user", user_body())
    response = await client.post("/api/investment", json=account_body(user["id"]))
    assert response.status_code == 201, response.text
    account = response.json()
    assert response.headers["location"] == f"/api/investment/{account['id']}"
    assert account["user_id"] == user["id"]
    assert (account["status"], account["currency"], account["opened_at"]) == (
        "PENDING",
        "GBP",
        None,
    )
    assert account["client_reference"] == "ISA-001"

    assert (await client.get(f"/api/investment/{account['id']}")).json() == account

    opened = await client.patch(
        f"/api/investment/{account['id']}",
        json={"version": 1, "status": "ACTIVE", "name": "My ISA"},
    )
    assert opened.status_code == 200, opened.text
    assert (opened.json()["status"], opened.json()["name"]) == ("ACTIVE", "My ISA")
    assert opened.json()["opened_at"] is not None
    closing = await client.patch(
        f"/api/investment/{account['id']}", json={"version": 2, "status": "CLOSING"}
    )
    assert closing.json()["status"] == "CLOSING"


async def test_transaction_create_read_and_settle(platform: Platform) -> None:
    client = platform.router
    user_id, account_id = await active_account(client)
    response = await client.post(
        "/api/transaction",
        json={
            "account_id": account_id,
            "type": "DEPOSIT",
            "consideration_amount": "1500.00",
            "reference": "first deposit",
        },
        headers={"Idempotency-Key": "deposit-1"},
    )
    assert response.status_code == 201, response.text
    transaction = response.json()
    assert response.headers["location"] == f"/api/transaction/{transaction['id']}"
    assert (transaction["account_id"], transaction["user_id"]) == (account_id, user_id)
    assert (transaction["status"], transaction["currency"]) == ("PENDING", "GBP")
    assert transaction["consideration_amount"] == "1500.00"
    assert Decimal(transaction["charges_amount"]) == 0

    assert (await client.get(f"/api/transaction/{transaction['id']}")).json() == transaction

    settled = await client.patch(
        f"/api/transaction/{transaction['id']}", json={"version": 1, "status": "SETTLED"}
    )
    assert settled.status_code == 200, settled.text
    assert (settled.json()["status"], settled.json()["version"]) == ("SETTLED", 2)


async def test_compliance_log_amend_and_read_revisions(platform: Platform) -> None:
    client = platform.router
    user = await create(client, "/api/user", user_body())
    details = {"provider_score": 12, "matches": [], "note": "clear"}
    response = await client.post(
        "/api/compliance",
        json={
            "user_id": user["id"],
            "event_type": "AML_SCREENING",
            "outcome": "PENDING",
            "provider": "onfido",
            "log_details": details,
            "response_id": "resp-1",
            "performed_by": "ops@wealth.example",
        },
    )
    assert response.status_code == 201, response.text
    log = response.json()
    assert response.headers["location"] == f"/api/compliance/{log['id']}"
    assert (log["user_id"], log["account_id"], log["transaction_id"]) == (user["id"], None, None)
    assert log["log_details"] == details  # keys kept as sent, not renamed
    assert [r["revision"] for r in log["revisions"]] == [1]

    amended = await client.patch(
        f"/api/compliance/{log['id']}",
        json={"version": 1, "performed_by": "analyst", "outcome": "CLEAR"},
    )
    assert amended.status_code == 200, amended.text
    after = amended.json()
    assert (after["outcome"], after["performed_by"], after["version"]) == ("CLEAR", "analyst", 2)
    # An amendment appends: the first revision is still there, unchanged, and chained.
    first, second = after["revisions"]
    assert first == log["revisions"][0]
    assert second["previous_hash"] == first["hash"]
    assert (await client.get(f"/api/compliance/{log['id']}")).json() == after
