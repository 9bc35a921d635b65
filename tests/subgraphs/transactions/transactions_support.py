"""GraphQL documents, a stand-in investments subgraph, and helpers of the transactions tests.

The stand-in is a real (tiny) federation subgraph: it answers ``_entities`` for
``InvestmentAccount`` from an in-memory table the test fills, exactly the query the kit's
OwnerClient sends. It lets these tests set an account's status and currency directly; the
account checks against the real investments app are in test_transactions_owner_real.py.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import httpx
import strawberry
from strawberry.asgi import GraphQL
from strawberry.types import Info

from subgraphs.kit import new_id
from subgraphs.kit.testing import GraphQLResult, execute

TRANSACTION_FIELDS = """
    id accountId userId type status currency isin quantity price tradeDate settlementDate
    reference considerationAmount { amount currency } chargesAmount { amount currency }
    account { id } user { id } createdAt updatedAt version
"""
CREATE_TRANSACTION = f"""mutation($input: CreateTransactionInput!, $key: String!) {{
    createTransaction(input: $input, idempotencyKey: $key) {{ {TRANSACTION_FIELDS} }} }}"""
UPDATE_TRANSACTION = f"""mutation($input: UpdateTransactionInput!) {{
    updateTransaction(input: $input) {{ {TRANSACTION_FIELDS} }} }}"""
CANCEL_TRANSACTION = f"""mutation($id: ID!, $version: Int!) {{
    cancelTransaction(id: $id, version: $version) {{ {TRANSACTION_FIELDS} }} }}"""
GET_TRANSACTION = f"query($id: ID!) {{ transaction(id: $id) {{ {TRANSACTION_FIELDS} }} }}"
LIST_TRANSACTIONS = """query($first: Int, $after: String, $filter: TransactionFilter) {
    transactions(first: $first, after: $after, filter: $filter) {
        edges { cursor node { id } } nodes { id } pageInfo { hasNextPage endCursor } } }"""
ACCOUNT_CASH = """query($r: [_Any!]!) { _entities(representations: $r) {
    ... on InvestmentAccount {
        id cashBalance { amount currency } availableCash { amount currency } } } }"""
VALID_ISIN = "GB0002634946"  # BAE Systems: a real ISIN with a valid check digit

_keys = itertools.count(1)


@dataclass
class StandInInvestments:
    """The accounts the stand-in investments subgraph knows, and the requests it answered."""

    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: int = 0

    def add(
        self, *, status: str = "ACTIVE", currency: str = "GBP", user_id: str | None = None
    ) -> str:
        """Add an account and return its id."""
        account_id = new_id("acc")
        self.accounts[account_id] = {
            "id": account_id,
            "status": status,
            "currency": currency,
            "userId": user_id or new_id("usr"),
        }
        return account_id

    def user_of(self, account_id: str) -> str:
        return str(self.accounts[account_id]["userId"])

    def app(self) -> GraphQL[Any, Any]:
        """Return the ASGI app of a federation subgraph serving these accounts."""
        stand_in = self

        @strawberry.federation.type(keys=["id"])
        class InvestmentAccount:
            id: strawberry.ID
            status: str
            user_id: strawberry.ID
            currency: str

            @classmethod
            def resolve_reference(cls, info: Info, id: strawberry.ID) -> InvestmentAccount | None:
                data = stand_in.accounts.get(str(id))
                if data is None:
                    return None
                return cls(
                    id=id,
                    status=data["status"],
                    user_id=strawberry.ID(data["userId"]),
                    currency=data["currency"],
                )

        @strawberry.type
        class Query:
            @strawberry.field
            def ping(self) -> str:
                return "pong"

        class CountingGraphQL(GraphQL[Any, Any]):
            async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
                if scope["type"] == "http":
                    stand_in.requests += 1
                await super().__call__(scope, receive, send)

        schema = strawberry.federation.Schema(
            query=Query, types=[InvestmentAccount], federation_version="2.9"
        )
        return CountingGraphQL(schema, graphql_ide=None)


def next_key() -> str:
    """A fresh idempotency key."""
    return f"test-key-{next(_keys)}-{new_id('key')}"


def transaction_input(account_id: str, **overrides: Any) -> dict[str, Any]:
    """A valid createTransaction input (a deposit); keyword arguments replace fields."""
    value: dict[str, Any] = {
        "accountId": account_id,
        "type": "DEPOSIT",
        "considerationAmount": "1500.00",
        "tradeDate": "2026-11-02",
        "settlementDate": "2026-11-04",
        "reference": "Monthly top-up",
    }
    value.update(overrides)
    return {name: item for name, item in value.items() if item is not ...}


def trade_input(account_id: str, **overrides: Any) -> dict[str, Any]:
    """A valid BUY input; keyword arguments replace fields."""
    base: dict[str, Any] = {
        "type": "BUY",
        "considerationAmount": "250.00",
        "chargesAmount": "1.50",
        "isin": VALID_ISIN,
        "quantity": "40",
        "price": "6.25",
    }
    base.update(overrides)
    return transaction_input(account_id, **base)


async def create(
    client: httpx.AsyncClient, input: dict[str, Any], key: str | None = None
) -> GraphQLResult:
    return await execute(client, CREATE_TRANSACTION, {"input": input, "key": key or next_key()})


async def create_ok(client: httpx.AsyncClient, account_id: str, **overrides: Any) -> dict[str, Any]:
    """Create a transaction through the API and return it (failing the test if refused)."""
    result = await create(client, transaction_input(account_id, **overrides))
    transaction: dict[str, Any] = result.ok()["createTransaction"]
    return transaction


async def update(client: httpx.AsyncClient, **fields: Any) -> GraphQLResult:
    return await execute(client, UPDATE_TRANSACTION, {"input": fields})


async def settle(client: httpx.AsyncClient, transaction: dict[str, Any]) -> dict[str, Any]:
    result = await update(
        client, id=transaction["id"], version=transaction["version"], status="SETTLED"
    )
    settled: dict[str, Any] = result.ok()["updateTransaction"]
    return settled


async def deposit_settled(
    client: httpx.AsyncClient, account_id: str, amount: str, **overrides: Any
) -> dict[str, Any]:
    """Create a deposit of ``amount`` and settle it."""
    return await settle(client, await create_ok(client, account_id, considerationAmount=amount))


async def cash_of(
    client: httpx.AsyncClient, account_id: str, currency: str = "GBP"
) -> dict[str, Any]:
    """``cashBalance`` and ``availableCash`` of one account, as the router would ask them."""
    representation = {"__typename": "InvestmentAccount", "id": account_id, "currency": currency}
    result = await execute(client, ACCOUNT_CASH, {"r": [representation]})
    entity: dict[str, Any] = result.ok()["_entities"][0]
    return entity


async def transaction_count(client: httpx.AsyncClient) -> int:
    data = (await execute(client, "{ transactions(first: 100) { nodes { id } } }")).ok()
    return len(data["transactions"]["nodes"])
