"""Talking to the router in integration tests: GraphQL calls and the domain's building blocks.

Every helper goes through the router's ``/graphql``, as a front-end would; nothing touches a
subgraph or a database directly.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

__all__ = ["Api", "GraphQLResponse", "unique_email"]

_counter = itertools.count(1)
ACCEPT = "application/graphql-response+json"


def unique_email(prefix: str = "person") -> str:
    """An e-mail address no other test uses (the users subgraph keeps them unique)."""
    return f"{prefix}.{next(_counter)}.{uuid.uuid4().hex[:8]}@example.com"


@dataclass(frozen=True)
class GraphQLResponse:
    status: int
    body: dict[str, Any]
    headers: httpx.Headers

    @property
    def data(self) -> Any:
        return self.body.get("data")

    @property
    def errors(self) -> list[dict[str, Any]]:
        return list(self.body.get("errors") or [])

    @property
    def codes(self) -> list[str | None]:
        return [(e.get("extensions") or {}).get("code") for e in self.errors]

    def ok(self) -> Any:
        """Return ``data``, asserting a 200 without errors."""
        assert self.status == 200 and not self.errors, (self.status, self.body)
        return self.data


class Api:
    """A client of the router's ``/graphql`` plus the mutations most tests need."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def call(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        operation_name: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> GraphQLResponse:
        payload: dict[str, Any] = {"query": query}
        if variables is not None:
            payload["variables"] = variables
        if operation_name is not None:
            payload["operationName"] = operation_name
        response = await self.client.post(
            "/graphql", json=payload, headers={"accept": ACCEPT, **(headers or {})}
        )
        return GraphQLResponse(response.status_code, response.json(), response.headers)

    async def ok(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        return (await self.call(query, variables)).ok()

    # -- users ------------------------------------------------------------------------------

    async def create_user(self, **overrides: Any) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "title": "Ms",
            "firstName": "Ada",
            "lastName": "Lovelace",
            "dateOfBirth": "1985-12-10",
            "nationality": "GB",
            "emailAddress": unique_email(),
            "telephoneNumber": "+447700900123",
            "employmentStatus": "EMPLOYED",
            "annualIncome": {"amount": "72000.00", "currency": "GBP"},
            "sourcesOfWealth": ["EMPLOYMENT_INCOME", "SAVINGS"],
            **overrides,
        }
        data = await self.ok(
            """mutation CreateUser($input: CreateUserInput!) {
              createUser(input: $input) { id emailAddress status version }
            }""",
            {"input": fields},
        )
        user: dict[str, Any] = data["createUser"]
        return user

    # -- investments -------------------------------------------------------------------------

    async def open_account(
        self,
        user_id: str,
        *,
        account_type: str = "GIA",
        reference: str | None = None,
        activate: bool = True,
    ) -> dict[str, Any]:
        """Create an account for ``user_id`` and (by default) move it to ACTIVE."""
        data = await self.ok(
            """mutation Open($input: CreateInvestmentAccountInput!) {
              createInvestmentAccount(input: $input) { id status version currency }
            }""",
            {
                "input": {
                    "userId": user_id,
                    "clientReference": reference or f"REF-{uuid.uuid4().hex[:10]}",
                    "accountType": account_type,
                    "name": f"{account_type} account",
                }
            },
        )
        account: dict[str, Any] = data["createInvestmentAccount"]
        if activate:
            account = await self.set_account_status(account["id"], account["version"], "ACTIVE")
        return account

    async def set_account_status(
        self, account_id: str, version: int, status: str
    ) -> dict[str, Any]:
        data = await self.ok(
            """mutation Status($input: UpdateInvestmentAccountInput!) {
              updateInvestmentAccount(input: $input) { id status version currency }
            }""",
            {"input": {"id": account_id, "version": version, "status": status}},
        )
        account: dict[str, Any] = data["updateInvestmentAccount"]
        return account

    # -- transactions ------------------------------------------------------------------------

    async def create_transaction(
        self, account_id: str, type_: str, amount: str, *, key: str | None = None, **extra: Any
    ) -> GraphQLResponse:
        return await self.call(
            """mutation Txn($input: CreateTransactionInput!, $key: String!) {
              createTransaction(input: $input, idempotencyKey: $key) {
                id status version type considerationAmount { amount currency }
              }
            }""",
            {
                "input": {
                    "accountId": account_id,
                    "type": type_,
                    "considerationAmount": amount,
                    **extra,
                },
                "key": key or uuid.uuid4().hex,
            },
        )

    async def settle(self, transaction: dict[str, Any]) -> dict[str, Any]:
        data = await self.ok(
            """mutation Settle($input: UpdateTransactionInput!) {
              updateTransaction(input: $input) { id status version }
            }""",
            {
                "input": {
                    "id": transaction["id"],
                    "version": transaction["version"],
                    "status": "SETTLED",
                }
            },
        )
        settled: dict[str, Any] = data["updateTransaction"]
        return settled

    async def deposit(self, account_id: str, amount: str, *, settle: bool = True) -> dict[str, Any]:
        created: dict[str, Any] = (
            await self.create_transaction(account_id, "DEPOSIT", amount)
        ).ok()["createTransaction"]
        return await self.settle(created) if settle else created

    # -- compliance --------------------------------------------------------------------------

    async def log_event(self, event_type: str, outcome: str, **subjects: str) -> dict[str, Any]:
        """Record a compliance event about ``userId``/``accountId``/``transactionId``."""
        data = await self.ok(
            """mutation Log($input: CreateComplianceLogInput!) {
              createComplianceLog(input: $input) { id eventType outcome version }
            }""",
            {
                "input": {
                    **subjects,
                    "eventType": event_type,
                    "outcome": outcome,
                    "provider": "onfido",
                    "logDetails": {"source": "integration-test"},
                    "responseId": f"resp-{uuid.uuid4().hex[:12]}",
                    "performedBy": "integration@wealthtech.test",
                }
            },
        )
        log: dict[str, Any] = data["createComplianceLog"]
        return log
