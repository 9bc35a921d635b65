"""Owners, transports and GraphQL documents of the compliance subgraph tests.

The compliance app checks a log's subjects with their owners over HTTP. In these tests:

* users: the real users subgraph app (its own SQLite database), served in-process;
* investments and transactions: a tiny stand-in federation app each, answering ``_entities``
  for ``InvestmentAccount`` / ``Transaction`` ids the test registered (the same query the kit's
  OwnerClient sends), until those subgraphs' own apps are available to tests;
* an owner can be taken down: its requests then fail with a real ``httpx.ConnectError``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import strawberry
from fastapi import FastAPI
from sqlalchemy import text
from strawberry.asgi import GraphQL

from subgraphs.kit import new_id
from subgraphs.kit.testing import GraphQLResult, execute, state_of
from tests.subgraphs.users.users_support import create_user

USERS_URL = "http://users/graphql"
INVESTMENTS_URL = "http://investments/graphql"
TRANSACTIONS_URL = "http://transactions/graphql"

LOG_FIELDS = """
    id eventType outcome provider performedBy logDetails responseId createdAt updatedAt
    version hash user { id } account { id } transaction { id }
"""
CREATE_LOG = (
    "mutation($input: CreateComplianceLogInput!) "
    f"{{ createComplianceLog(input: $input) {{ {LOG_FIELDS} }} }}"
)
AMEND_LOG = (
    "mutation($input: AmendComplianceLogInput!) "
    f"{{ amendComplianceLog(input: $input) {{ {LOG_FIELDS} }} }}"
)
GET_LOG = f"""query($id: ID!) {{ complianceLog(id: $id) {{ {LOG_FIELDS}
    revisions {{ revision outcome provider performedBy logDetails responseId chainIndex hash
                 previousHash createdAt logId eventType }} }} }}"""
LIST_LOGS = """query($first: Int, $after: String, $filter: ComplianceLogFilter) {
    complianceLogs(first: $first, after: $after, filter: $filter) {
        edges { cursor node { id eventType } } nodes { id }
        pageInfo { hasNextPage endCursor } } }"""


def stand_in_owner(typename: str, known: dict[str, dict[str, str]]) -> GraphQL[Any, Any]:
    """A minimal federation subgraph owning ``typename``: ids in ``known`` exist (ACTIVE).

    ``known`` maps an id to its links (``{"userId": ...}`` for an account, ``{"accountId": ...,
    "userId": ...}`` for a transaction), the fields the real owners expose under these names.
    """

    @strawberry.federation.type(keys=["id"], name=typename)
    class Entity:
        id: strawberry.ID
        status: str
        user_id: strawberry.ID
        account_id: strawberry.ID | None

        @classmethod
        def resolve_reference(cls, id: strawberry.ID) -> Entity | None:
            links = known.get(str(id))
            if links is None:
                return None
            return cls(
                id=id,
                status="ACTIVE",
                user_id=strawberry.ID(links["userId"]),
                account_id=strawberry.ID(links["accountId"]) if "accountId" in links else None,
            )

    @strawberry.type
    class Query:
        @strawberry.field
        def known_count(self) -> int:
            return len(known)

    schema = strawberry.federation.Schema(query=Query, types=[Entity], federation_version="2.9")
    return GraphQL(schema)


class OwnerRouter(httpx.AsyncBaseTransport):
    """Sends each owner check to the app serving that host; a host marked down refuses."""

    def __init__(self, routes: dict[str, httpx.AsyncBaseTransport]) -> None:
        self.routes = routes
        self.down: set[str] = set()
        self.requests: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        self.requests.append(host)
        if host in self.down or host not in self.routes:
            raise httpx.ConnectError("connection refused", request=request)
        return await self.routes[host].handle_async_request(request)


@dataclass
class Owners:
    """The owning subgraphs as the compliance app sees them."""

    users: httpx.AsyncClient
    router: OwnerRouter
    accounts: dict[str, dict[str, str]] = field(default_factory=dict)
    transactions: dict[str, dict[str, str]] = field(default_factory=dict)
    _emails: int = 0

    async def new_user(self) -> str:
        self._emails += 1
        user = await create_user(self.users, emailAddress=f"person{self._emails}@example.com")
        return str(user["id"])

    def new_account(self, user_id: str | None = None) -> str:
        """Register an account (of ``user_id``, or of a user nobody else uses)."""
        account_id = new_id("acc")
        self.accounts[account_id] = {"userId": user_id or new_id("usr")}
        return account_id

    def new_transaction(self, account_id: str | None = None) -> str:
        """Register a transaction (on ``account_id``, or on a new account)."""
        account_id = account_id or self.new_account()
        transaction_id = new_id("txn")
        self.transactions[transaction_id] = {
            "accountId": account_id,
            "userId": self.accounts[account_id]["userId"],
        }
        return transaction_id


def log_input(**overrides: Any) -> dict[str, Any]:
    """A valid createComplianceLog input (without a subject); keyword arguments replace fields."""
    value: dict[str, Any] = {
        "eventType": "AML_SCREENING",
        "outcome": "CLEAR",
        "provider": "ComplyAdvantage",
        "logDetails": {"matches": 0, "lists": ["UK-HMT", "OFAC"], "score": 0.02},
        "responseId": "resp-7f3a9c21",
        "performedBy": "screening-service",
    }
    value.update(overrides)
    return value


async def create_log(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    """Create a log through the API and return it (failing the test if refused)."""
    result = await execute(client, CREATE_LOG, {"input": log_input(**overrides)})
    log: dict[str, Any] = result.ok()["createComplianceLog"]
    return log


async def amend_log(client: httpx.AsyncClient, **fields: Any) -> GraphQLResult:
    fields.setdefault("performedBy", "compliance-analyst")
    return await execute(client, AMEND_LOG, {"input": fields})


async def stored_counts(app: FastAPI) -> tuple[int, int, int]:
    """Rows in (compliance_logs, compliance_log_revisions) and the chain tip's length."""
    async with state_of(app).database.engine.connect() as connection:
        logs = await connection.scalar(text("SELECT count(*) FROM compliance_logs"))
        revisions = await connection.scalar(text("SELECT count(*) FROM compliance_log_revisions"))
        tip = await connection.scalar(text("SELECT length FROM compliance_chain"))
    return int(logs or 0), int(revisions or 0), int(tip or 0)


GUARDED_TABLES = ("compliance_log_revisions", "compliance_logs", "compliance_chain")


@asynccontextmanager
async def guards_lifted(app: FastAPI) -> AsyncIterator[None]:
    """Lift the append-only triggers (migration 0002) for a test that plays the forger.

    A forger with full rights over the database can do this too; the hash chain must still
    tell. The triggers are restored on the way out (PostgreSQL databases are reused by later
    tests).
    """
    engine = state_of(app).database.engine
    if engine.dialect.name == "postgresql":
        async with engine.begin() as connection:
            for table in GUARDED_TABLES:
                await connection.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
        try:
            yield
        finally:
            async with engine.begin() as connection:
                for table in GUARDED_TABLES:
                    await connection.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))
        return
    async with engine.begin() as connection:
        result = await connection.execute(
            text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
        )
        triggers = [(str(name), str(sql)) for name, sql in result]
        for name, _sql in triggers:
            await connection.execute(text(f'DROP TRIGGER "{name}"'))
    try:
        yield
    finally:
        async with engine.begin() as connection:
            for _name, sql in triggers:
                await connection.execute(text(sql))
