"""Request bodies and small helpers of the REST shim tests."""

from __future__ import annotations

from typing import Any

import httpx

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance", "code"}


def user_body(**overrides: Any) -> dict[str, Any]:
    """A valid POST /api/user body; keyword arguments replace fields."""
    body: dict[str, Any] = {
        "title": "Dr",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "date_of_birth": "1985-12-10",
        "nationality": "GB",
        "email_address": "Ada.Lovelace@Example.com",
        "telephone_number": "+44 7700 900123",
        "employment_status": "EMPLOYED",
        "annual_income": {"amount": "85000.00", "currency": "GBP"},
        "sources_of_wealth": ["EMPLOYMENT_INCOME", "SAVINGS"],
    }
    body.update(overrides)
    return body


def account_body(user_id: str, **overrides: Any) -> dict[str, Any]:
    """A valid POST /api/investment body."""
    body: dict[str, Any] = {
        "user_id": user_id,
        "client_reference": "ISA-001",
        "account_type": "ISA",
        "name": "Stocks and shares ISA",
    }
    body.update(overrides)
    return body


def problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """Check that ``response`` is an RFC 9457 problem with this status and code; return it."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body.keys() >= PROBLEM_KEYS, body
    assert body["status"] == status
    assert body["code"] == code, body
    assert body["instance"] == response.request.url.path
    assert body["type"].startswith("urn:wealthtech:problem:")
    return body


def bad_fields(body: dict[str, Any]) -> set[str]:
    """The field names a problem's ``errors`` list."""
    return {error["field"] for error in body.get("errors", [])}


async def create(client: httpx.AsyncClient, path: str, body: dict[str, Any], **kw: Any) -> Any:
    """POST a body that must be accepted; return the created entity."""
    response = await client.post(path, json=body, **kw)
    assert response.status_code == 201, response.text
    return response.json()


async def active_account(
    client: httpx.AsyncClient, email: str = "ada@example.com"
) -> tuple[str, str]:
    """Create a user and an ACTIVE GIA account for them; return (user id, account id)."""
    user = await create(client, "/api/user", user_body(email_address=email))
    account = await create(
        client,
        "/api/investment",
        account_body(user["id"], account_type="GIA", client_reference="G1"),
    )
    response = await client.patch(
        f"/api/investment/{account['id']}", json={"version": account["version"], "status": "ACTIVE"}
    )
    assert response.status_code == 200, response.text
    return user["id"], account["id"]


async def settled_deposit(client: httpx.AsyncClient, account_id: str, amount: str, key: str) -> Any:
    """Deposit ``amount`` and settle it; return the settled transaction."""
    created = await create(
        client,
        "/api/transaction",
        {"account_id": account_id, "type": "DEPOSIT", "consideration_amount": amount},
        headers={"Idempotency-Key": key},
    )
    response = await client.patch(
        f"/api/transaction/{created['id']}",
        json={"version": created["version"], "status": "SETTLED"},
    )
    assert response.status_code == 200, response.text
    return response.json()
