"""The account of a new transaction is checked against its owner, the investments subgraph.

Here the owner is the real investments app (itself checking users against the real users app),
each on its own database; an unreachable owner refuses the write with a retryable error.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from subgraphs.investments.app import create_app as create_investments_app
from subgraphs.investments.settings import InvestmentsSettings
from subgraphs.kit.testing import HostRouterTransport, execute, running_app
from subgraphs.transactions.app import create_app
from subgraphs.transactions.settings import TransactionsSettings
from subgraphs.users.app import create_app as create_users_app
from subgraphs.users.settings import UsersSettings
from tests.subgraphs.conftest import DatabaseFactory
from tests.subgraphs.support import make_encryption_services
from tests.subgraphs.transactions.transactions_support import (
    create,
    transaction_count,
    transaction_input,
)

CREATE_USER = "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }"
CREATE_ACCOUNT = """mutation($input: CreateInvestmentAccountInput!) {
    createInvestmentAccount(input: $input) { id status version } }"""
UPDATE_ACCOUNT = """mutation($input: UpdateInvestmentAccountInput!) {
    updateInvestmentAccount(input: $input) { id status version } }"""


@pytest.fixture
async def owners(
    make_database_url: DatabaseFactory, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient, FastAPI]]:
    """The real users and investments apps, running; yields their clients and the owner app."""
    users_app = create_users_app(
        UsersSettings(database_url=await make_database_url("users"), data_dir=tmp_path / "u"),
        encryption_services=make_encryption_services("users"),
    )
    investments_app = create_investments_app(
        InvestmentsSettings(
            database_url=await make_database_url("investments"),
            data_dir=tmp_path / "i",
            users_url="http://users/graphql",
        ),
        encryption_services=make_encryption_services("investments"),
        owner_transport=HostRouterTransport({"users": users_app}),
    )
    async with running_app(users_app) as users, running_app(investments_app) as investments:
        yield users, investments, investments_app


@pytest.fixture
async def client(
    owners: tuple[httpx.AsyncClient, httpx.AsyncClient, FastAPI],
    database_url: str,
    tmp_path: Path,
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        TransactionsSettings(
            database_url=database_url,
            data_dir=tmp_path / "t",
            investments_url="http://investments/graphql",
        ),
        encryption_services=make_encryption_services("transactions"),
        owner_transport=HostRouterTransport({"investments": owners[2]}),
    )
    async with running_app(app) as client:
        yield client


async def _account(
    users: httpx.AsyncClient, investments: httpx.AsyncClient, currency: str
) -> dict[str, object]:
    user = {
        "firstName": "Ada",
        "lastName": "Lovelace",
        "dateOfBirth": "1985-12-10",
        "nationality": "GB",
        "emailAddress": f"ada.{currency.lower()}@example.com",
        "telephoneNumber": "+447700900123",
        "employmentStatus": "EMPLOYED",
        "annualIncome": {"amount": "85000.00", "currency": "GBP"},
        "sourcesOfWealth": ["SAVINGS"],
    }
    user_id = (await execute(users, CREATE_USER, {"input": user})).ok()["createUser"]["id"]
    account_input = {
        "userId": user_id,
        "clientReference": f"ADA-{currency}",
        "accountType": "GIA",
        "name": "Growth",
        "currency": currency,
    }
    created = (await execute(investments, CREATE_ACCOUNT, {"input": account_input})).ok()
    account: dict[str, object] = created["createInvestmentAccount"]
    account["userId"] = user_id
    return account


async def _move(investments: httpx.AsyncClient, account: dict[str, object], status: str) -> None:
    moved = await execute(
        investments,
        UPDATE_ACCOUNT,
        {"input": {"id": account["id"], "version": account["version"], "status": status}},
    )
    account.update(moved.ok()["updateInvestmentAccount"])


async def test_transactions_follow_the_real_accounts_status(
    client: httpx.AsyncClient, owners: tuple[httpx.AsyncClient, httpx.AsyncClient, FastAPI]
) -> None:
    users, investments, _ = owners
    account = await _account(users, investments, "EUR")
    assert account["status"] == "PENDING"

    pending = (await create(client, transaction_input(str(account["id"])))).error()
    assert (pending["extensions"]["code"], pending["extensions"]["field"]) == (
        "RULE_VIOLATION",
        "accountId",
    )

    await _move(investments, account, "ACTIVE")
    created = (await create(client, transaction_input(str(account["id"])))).ok()
    transaction = created["createTransaction"]
    # The user and the currency come from the account.
    assert transaction["userId"] == account["userId"]
    assert transaction["currency"] == "EUR"
    assert transaction["considerationAmount"] == {"amount": "1500.00", "currency": "EUR"}

    await _move(investments, account, "SUSPENDED")
    suspended = (await create(client, transaction_input(str(account["id"])))).error()
    assert suspended["extensions"]["reason"] == "REFERENCE_NOT_USABLE"

    unknown = await create(client, transaction_input("acc_00000000000070008000000000000000"))
    assert (unknown.error()["extensions"]["code"], unknown.error()["extensions"]["field"]) == (
        "BAD_USER_INPUT",
        "accountId",
    )
    assert await transaction_count(client) == 1


async def test_unreachable_owner_refuses_the_write_with_a_retryable_error(
    database_url: str, tmp_path: Path
) -> None:
    app = create_app(
        TransactionsSettings(
            database_url=database_url,
            data_dir=tmp_path,
            investments_url="http://investments/graphql",
        ),
        encryption_services=make_encryption_services("transactions"),
        owner_transport=HostRouterTransport({}),  # every connection is refused
    )
    async with running_app(app) as client:
        result = await create(client, transaction_input("acc_00000000000070008000000000000001"))
        error = result.error()
        assert error["extensions"]["code"] == "DEPENDENCY_UNAVAILABLE"
        assert error["extensions"]["dependency"] == "investments"
        assert error["extensions"]["retryable"] is True
        assert await transaction_count(client) == 0
