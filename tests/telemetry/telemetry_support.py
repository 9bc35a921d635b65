"""What the telemetry tests share: a traced cross-subgraph request and its sensitive values."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import httpx

from tests.integration.integration_support import Api

PROFILE = """
query Profile($id: ID!) {
  user(id: $id) {
    id
    emailAddress
    dateOfBirth
    telephoneNumber
    annualIncome { amount currency }
    investmentAccounts { nodes { id clientReference } }
  }
}
"""


def secrets() -> dict[str, str]:
    """Sensitive values no other request uses, to look for afterwards."""
    tag = os.urandom(4).hex()
    return {
        "emailAddress": f"grace.hopper.{tag}@example.com",
        "dateOfBirth": "1906-12-09",
        "telephoneNumber": "+447700900777",
        "annualIncome": "91234.56",
        "clientReference": f"HOPPER-SECRET-{tag.upper()}",
    }


@dataclass(frozen=True)
class TracedRequest:
    trace_id: str
    parent_span_id: str
    request_id: str
    user_id: str
    body: dict[str, Any]
    token: str
    secrets: dict[str, str]


def traceparent() -> tuple[str, str, str]:
    trace_id, span_id = os.urandom(16).hex(), os.urandom(8).hex()
    return f"00-{trace_id}-{span_id}-01", trace_id, span_id


async def traced_profile(router_url: str, bearer: dict[str, str]) -> TracedRequest:
    """Create a user with an account, then read it back under a caller-chosen trace."""
    async with httpx.AsyncClient(base_url=router_url, timeout=30, headers=bearer) as client:
        api = Api(client)
        values = secrets()
        user = await api.create_user(
            firstName="Grace",
            lastName="Hopper",
            emailAddress=values["emailAddress"],
            dateOfBirth=values["dateOfBirth"],
            telephoneNumber=values["telephoneNumber"],
            annualIncome={"amount": values["annualIncome"], "currency": "GBP"},
        )
        await api.open_account(user["id"], reference=values["clientReference"])
        header, trace_id, span_id = traceparent()
        response = await api.call(
            PROFILE,
            {"id": user["id"]},
            operation_name="Profile",
            headers={"traceparent": header},
        )
        body = response.ok()
        return TracedRequest(
            trace_id=trace_id,
            parent_span_id=span_id,
            request_id=response.headers["x-request-id"],
            user_id=user["id"],
            body=body,
            token=bearer["authorization"].removeprefix("Bearer "),
            secrets=values,
        )
