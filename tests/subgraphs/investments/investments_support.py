"""GraphQL documents and helpers of the investments subgraph tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from crypto import EncryptionServices
from subgraphs.investments.app import create_app
from subgraphs.investments.settings import InvestmentsSettings
from subgraphs.kit.testing import GraphQLResult, HostRouterTransport, execute

USERS_URL = "http://users/graphql"
UNKNOWN_ACCOUNT = "acc_00000000000070008000000000000000"
UNKNOWN_USER = "usr_00000000000070008000000000000000"

ACCOUNT_FIELDS = """
    id userId user { id } clientReference accountType name currency status
    openedAt closedAt createdAt updatedAt version
"""
CREATE_ACCOUNT = f"""mutation($input: CreateInvestmentAccountInput!) {{
    createInvestmentAccount(input: $input) {{ {ACCOUNT_FIELDS} }} }}"""
UPDATE_ACCOUNT = f"""mutation($input: UpdateInvestmentAccountInput!) {{
    updateInvestmentAccount(input: $input) {{ {ACCOUNT_FIELDS} }} }}"""
GET_ACCOUNT = f"query($id: ID!) {{ investmentAccount(id: $id) {{ {ACCOUNT_FIELDS} }} }}"
LIST_ACCOUNTS = """query($first: Int, $after: String, $filter: InvestmentAccountFilter) {
    investmentAccounts(first: $first, after: $after, filter: $filter) {
        edges { cursor node { id } } nodes { id } pageInfo { hasNextPage endCursor } } }"""


def make_investments_app(
    database_url: str,
    data_dir: Path,
    encryption_services: EncryptionServices,
    owners: dict[str, FastAPI],
) -> FastAPI:
    """An investments app whose calls to ``USERS_URL`` go to ``owners["users"]`` in-process.

    With no ``"users"`` in ``owners`` the users subgraph is unreachable (a refused connection).
    """
    settings = InvestmentsSettings(
        database_url=database_url, data_dir=data_dir, users_url=USERS_URL
    )
    return create_app(
        settings,
        encryption_services=encryption_services,
        owner_transport=HostRouterTransport(owners),
    )


_CREATE_USER = "mutation($input: CreateUserInput!) { createUser(input: $input) { id version } }"
_UPDATE_USER = "mutation($input: UpdateUserInput!) { updateUser(input: $input) { id version } }"


async def create_user(users: httpx.AsyncClient, n: int = 0) -> str:
    """Create an ACTIVE user in the users subgraph and return its id."""
    user_input = {
        "firstName": "Ada",
        "lastName": "Lovelace",
        "dateOfBirth": "1985-12-10",
        "nationality": "GB",
        "emailAddress": f"ada{n}@example.com",
        "telephoneNumber": "+447700900123",
        "employmentStatus": "EMPLOYED",
        "annualIncome": {"amount": "85000.00", "currency": "GBP"},
        "sourcesOfWealth": ["SAVINGS"],
    }
    result = await execute(users, _CREATE_USER, {"input": user_input})
    user_id: str = result.ok()["createUser"]["id"]
    return user_id


async def set_user_status(users: httpx.AsyncClient, user_id: str, *moves: str) -> None:
    """Move a user through ``moves`` (e.g. ``"CLOSED"``) in the users subgraph."""
    for version, status in enumerate(moves, start=1):
        result = await execute(
            users, _UPDATE_USER, {"input": {"id": user_id, "version": version, "status": status}}
        )
        result.ok()


def account_input(user_id: str, **overrides: Any) -> dict[str, Any]:
    """A valid createInvestmentAccount input; keyword arguments replace fields."""
    value: dict[str, Any] = {
        "userId": user_id,
        "clientReference": "ADA-GIA-0001",
        "accountType": "GIA",
        "name": "Long-term growth",
    }
    value.update(overrides)
    return value


async def create_account(
    client: httpx.AsyncClient, user_id: str, **overrides: Any
) -> dict[str, Any]:
    """Create an account through the API and return it (failing the test if refused)."""
    result = await execute(client, CREATE_ACCOUNT, {"input": account_input(user_id, **overrides)})
    account: dict[str, Any] = result.ok()["createInvestmentAccount"]
    return account


async def update_account(client: httpx.AsyncClient, **fields: Any) -> GraphQLResult:
    return await execute(client, UPDATE_ACCOUNT, {"input": fields})


async def move(client: httpx.AsyncClient, account: dict[str, Any], status: str) -> dict[str, Any]:
    """Move an account to ``status`` (must be allowed) and return the new state."""
    result = await update_account(
        client, id=account["id"], version=account["version"], status=status
    )
    updated: dict[str, Any] = result.ok()["updateInvestmentAccount"]
    return updated


async def account_count(client: httpx.AsyncClient) -> int:
    data = (await execute(client, "{ investmentAccounts(first: 100) { nodes { id } } }")).ok()
    return len(data["investmentAccounts"]["nodes"])
