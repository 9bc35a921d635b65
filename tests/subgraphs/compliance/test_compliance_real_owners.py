"""Owner checks against the real users, investments and transactions subgraphs.

The other compliance tests serve investments and transactions with small stand-ins (cheaper to
start); this one runs the real owning apps, chained as in production (transactions asks
investments, investments asks users), so the stand-ins cannot drift from what owners answer.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from crypto import EncryptionServices
from subgraphs.compliance.app import create_app
from subgraphs.compliance.settings import ComplianceSettings
from subgraphs.investments.app import create_app as create_investments_app
from subgraphs.investments.settings import InvestmentsSettings
from subgraphs.kit.testing import HostRouterTransport, execute, running_app
from subgraphs.transactions.app import create_app as create_transactions_app
from subgraphs.transactions.settings import TransactionsSettings
from subgraphs.users.app import create_app as create_users_app
from subgraphs.users.settings import UsersSettings
from tests.subgraphs.compliance.compliance_support import (
    CREATE_LOG,
    INVESTMENTS_URL,
    TRANSACTIONS_URL,
    USERS_URL,
    log_input,
    stored_counts,
)
from tests.subgraphs.support import make_encryption_services
from tests.subgraphs.users.users_support import create_user

CREATE_ACCOUNT = """mutation($input: CreateInvestmentAccountInput!) {
    createInvestmentAccount(input: $input) { id version } }"""
UPDATE_ACCOUNT = """mutation($input: UpdateInvestmentAccountInput!) {
    updateInvestmentAccount(input: $input) { id version status } }"""
CREATE_TRANSACTION = """mutation($input: CreateTransactionInput!, $key: String!) {
    createTransaction(input: $input, idempotencyKey: $key) { id } }"""


def _sqlite(tmp_path: Path, name: str) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / f'{name}.sqlite3'}"


async def test_subjects_are_checked_with_the_real_owners(
    database_url: str, tmp_path: Path, encryption_services: EncryptionServices
) -> None:
    users_app = create_users_app(
        UsersSettings(database_url=_sqlite(tmp_path, "users"), data_dir=tmp_path),
        encryption_services=make_encryption_services("users"),
    )
    investments_app = create_investments_app(
        InvestmentsSettings(
            database_url=_sqlite(tmp_path, "investments"), data_dir=tmp_path, users_url=USERS_URL
        ),
        encryption_services=make_encryption_services("investments"),
        owner_transport=HostRouterTransport({"users": users_app}),
    )
    transactions_app = create_transactions_app(
        TransactionsSettings(
            database_url=_sqlite(tmp_path, "transactions"),
            data_dir=tmp_path,
            investments_url=INVESTMENTS_URL,
        ),
        encryption_services=make_encryption_services("transactions"),
        owner_transport=HostRouterTransport({"investments": investments_app}),
    )
    owners: dict[str, FastAPI] = {
        "users": users_app,
        "investments": investments_app,
        "transactions": transactions_app,
    }
    compliance_app = create_app(
        ComplianceSettings(
            database_url=database_url,
            data_dir=tmp_path,
            users_url=USERS_URL,
            investments_url=INVESTMENTS_URL,
            transactions_url=TRANSACTIONS_URL,
        ),
        encryption_services=encryption_services,
        owner_transport=HostRouterTransport(owners),
    )
    async with (
        running_app(users_app) as users,
        running_app(investments_app) as investments,
        running_app(transactions_app) as transactions,
        running_app(compliance_app) as compliance,
    ):
        user_id = (await create_user(users))["id"]
        account = (
            await execute(
                investments,
                CREATE_ACCOUNT,
                {
                    "input": {
                        "userId": user_id,
                        "clientReference": "ADA-GIA-0001",
                        "accountType": "GIA",
                        "name": "Long-term growth",
                    }
                },
            )
        ).ok()["createInvestmentAccount"]
        activated = await execute(
            investments,
            UPDATE_ACCOUNT,
            {"input": {"id": account["id"], "version": account["version"], "status": "ACTIVE"}},
        )
        activated.ok()
        deposit = {
            "accountId": account["id"],
            "type": "DEPOSIT",
            "considerationAmount": "1500.00",
            "tradeDate": "2026-11-02",
            "settlementDate": "2026-11-04",
        }
        created = await execute(transactions, CREATE_TRANSACTION, {"input": deposit, "key": "k-1"})
        transaction_id = created.ok()["createTransaction"]["id"]

        result = await execute(
            compliance,
            CREATE_LOG,
            {
                "input": log_input(
                    userId=user_id, accountId=account["id"], transactionId=transaction_id
                )
            },
        )
        log = result.ok()["createComplianceLog"]
        assert (log["user"], log["account"], log["transaction"]) == (
            {"id": user_id},
            {"id": account["id"]},
            {"id": transaction_id},
        )

        # Well-formed ids that no owner knows are refused, each on its own field.
        for field, unknown in (
            ("userId", "usr_00000000000070008000000000000000"),
            ("accountId", "acc_00000000000070008000000000000000"),
            ("transactionId", "txn_00000000000070008000000000000000"),
        ):
            refused = await execute(
                compliance, CREATE_LOG, {"input": log_input(**{field: unknown})}
            )
            error = refused.error()
            assert error["extensions"]["code"] == "BAD_USER_INPUT", error
            assert error["extensions"]["field"] == field

        # A suspended account can still be the subject of a compliance event.
        suspended = await execute(
            investments,
            UPDATE_ACCOUNT,
            {"input": {"id": account["id"], "version": 2, "status": "SUSPENDED"}},
        )
        assert suspended.ok()["updateInvestmentAccount"]["status"] == "SUSPENDED"
        event = log_input(accountId=account["id"], eventType="ACCOUNT_SUSPENDED", outcome="FAIL")
        (await execute(compliance, CREATE_LOG, {"input": event})).ok()
        assert await stored_counts(compliance_app) == (2, 2, 2)
