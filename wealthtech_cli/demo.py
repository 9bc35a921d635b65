"""``wealthtech demo``: load a realistic demo data set through the router's GraphQL API.

Everything goes through the public API over HTTP (``--url``, default the router), exactly as a
front-end would write it, so the demo exercises owner checks, validation, encryption and the
cash rules: users, their KYC and AML screening, investment accounts (opened, then activated,
with a suitability assessment), settled deposits, a trade, a pending withdrawal, and a screened
transaction. Amounts are decimal strings. Running it again finds the first demo user by e-mail
and stops: the demo is loaded once per database.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from dataclasses import dataclass, field
from typing import Any

import httpx

from .api_client import add_token_argument, api_client

__all__ = ["DEMO_USERS", "DemoError", "DemoSummary", "load_demo", "register", "run"]


class DemoError(RuntimeError):
    """The API refused a demo write; the message names the operation and the error codes."""


@dataclass(frozen=True, slots=True)
class DemoAccount:
    reference: str
    account_type: str
    name: str
    deposits: tuple[str, ...]
    # (isin, quantity, price, consideration) of a settled purchase, if any.
    buy: tuple[str, str, str, str] | None = None
    pending_withdrawal: str | None = None


@dataclass(frozen=True, slots=True)
class DemoUser:
    title: str
    first_name: str
    last_name: str
    date_of_birth: str
    nationality: str
    email: str
    telephone: str
    employment_status: str
    income: str
    sources_of_wealth: tuple[str, ...]
    kyc_outcome: str
    accounts: tuple[DemoAccount, ...]


# Fictional people; e-mail addresses on example.com, telephone numbers from Ofcom's and NANP's
# ranges reserved for drama; real, valid ISINs of widely held funds and shares.
DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser(
        "Dr",
        "Amelia",
        "Hughes",
        "1984-03-12",
        "GB",
        "amelia.hughes@example.com",
        "+447700900101",
        "EMPLOYED",
        "86000.00",
        ("EMPLOYMENT_INCOME", "SAVINGS"),
        "PASSED",
        (
            DemoAccount(
                "AH-ISA-2026",
                "ISA",
                "Stocks and Shares ISA",
                ("20000.00",),
                buy=("IE00B4L5Y983", "120.5", "82.15", "9899.08"),
            ),
            DemoAccount(
                "AH-GIA-01",
                "GIA",
                "General investments",
                ("5000.00", "2500.00"),
                pending_withdrawal="1200.00",
            ),
        ),
    ),
    DemoUser(
        "Mr",
        "Rajesh",
        "Patel",
        "1971-11-02",
        "GB",
        "rajesh.patel@example.com",
        "+447700900202",
        "SELF_EMPLOYED",
        "142500.00",
        ("BUSINESS_INCOME", "PROPERTY"),
        "PASSED",
        (
            DemoAccount(
                "RP-SIPP",
                "SIPP",
                "Self-invested pension",
                ("40000.00",),
                buy=("US0378331005", "50", "189.40", "9470.00"),
            ),
        ),
    ),
    DemoUser(
        "Ms",
        "Sofia",
        "Rossi",
        "1996-07-25",
        "IT",
        "sofia.rossi@example.com",
        "+393123456789",
        "EMPLOYED",
        "48000.00",
        ("EMPLOYMENT_INCOME",),
        "REFERRED",
        (DemoAccount("SR-GIA", "GIA", "First portfolio", ("1500.00",)),),
    ),
    DemoUser(
        "Mrs",
        "Margaret",
        "O'Neill",
        "1949-01-30",
        "IE",
        "margaret.oneill@example.com",
        "+353851234567",
        "RETIRED",
        "31000.00",
        ("PENSION", "INHERITANCE"),
        "PASSED",
        (
            DemoAccount(
                "MO-GIA",
                "GIA",
                "Income portfolio",
                ("75000.00",),
                buy=("GB00B03MLX29", "1000", "27.35", "27350.00"),
            ),
        ),
    ),
)

_CREATE_USER = (
    """mutation DemoUser($input: CreateUserInput!) { createUser(input: $input) { id } }"""
)
_FIND_USER = """query DemoFind($email: String!) { userByEmail(emailAddress: $email) { id } }"""
_CREATE_ACCOUNT = """mutation DemoAccount($input: CreateInvestmentAccountInput!) {
  createInvestmentAccount(input: $input) { id version }
}"""
_UPDATE_ACCOUNT = """mutation DemoActivate($input: UpdateInvestmentAccountInput!) {
  updateInvestmentAccount(input: $input) { id status version }
}"""
_CREATE_TRANSACTION = """mutation DemoTransaction($input: CreateTransactionInput!, $key: String!) {
  createTransaction(input: $input, idempotencyKey: $key) { id version }
}"""
_SETTLE_TRANSACTION = """mutation DemoSettle($input: UpdateTransactionInput!) {
  updateTransaction(input: $input) { id status }
}"""
_LOG = """mutation DemoLog($input: CreateComplianceLogInput!) {
  createComplianceLog(input: $input) { id }
}"""


@dataclass
class DemoSummary:
    """Ids of what was created (empty when the demo was already loaded)."""

    already_loaded: bool = False
    users: list[str] = field(default_factory=list)
    accounts: list[str] = field(default_factory=list)
    transactions: list[str] = field(default_factory=list)
    compliance_logs: list[str] = field(default_factory=list)


class _Api:
    def __init__(self, client: httpx.AsyncClient, url: str) -> None:
        self.client = client
        self.url = url

    async def call(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        response = await self.client.post(self.url, json={"query": query, "variables": variables})
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise DemoError(f"HTTP {response.status_code} from {self.url} (not a GraphQL answer)")
        if body.get("errors") or body.get("data") is None:
            operation = query.split("(", 1)[0].split()[-1]
            codes = [(e.get("extensions") or {}).get("code") for e in body.get("errors") or []]
            messages = [e.get("message") for e in body.get("errors") or []]
            raise DemoError(f"{operation} refused: {codes} {messages}")
        data: dict[str, Any] = body["data"]
        return data

    async def log(
        self,
        summary: DemoSummary,
        event: str,
        outcome: str,
        details: dict[str, Any],
        **subjects: str,
    ) -> None:
        data = await self.call(
            _LOG,
            {
                "input": {
                    **subjects,
                    "eventType": event,
                    "outcome": outcome,
                    "provider": "demo-screening",
                    "logDetails": details,
                    "responseId": f"demo-{len(summary.compliance_logs) + 1:04d}",
                    "performedBy": "wealthtech demo",
                }
            },
        )
        summary.compliance_logs.append(data["createComplianceLog"]["id"])


async def _transaction(
    api: _Api, summary: DemoSummary, account_id: str, key: str, fields: dict[str, Any], settle: bool
) -> str:
    data = await api.call(
        _CREATE_TRANSACTION, {"input": {"accountId": account_id, **fields}, "key": key}
    )
    created = data["createTransaction"]
    if settle:
        await api.call(
            _SETTLE_TRANSACTION,
            {"input": {"id": created["id"], "version": created["version"], "status": "SETTLED"}},
        )
    summary.transactions.append(created["id"])
    return str(created["id"])


async def _load_account(
    api: _Api, summary: DemoSummary, user_id: str, account: DemoAccount, today: dt.date
) -> None:
    data = await api.call(
        _CREATE_ACCOUNT,
        {
            "input": {
                "userId": user_id,
                "clientReference": account.reference,
                "accountType": account.account_type,
                "name": account.name,
                "currency": "GBP",
            }
        },
    )
    created = data["createInvestmentAccount"]
    account_id = str(created["id"])
    await api.call(
        _UPDATE_ACCOUNT,
        {"input": {"id": account_id, "version": created["version"], "status": "ACTIVE"}},
    )
    summary.accounts.append(account_id)
    await api.log(
        summary,
        "SUITABILITY_ASSESSED",
        "CLEAR",
        {"riskProfile": "balanced"},
        userId=user_id,
        accountId=account_id,
    )
    for number, amount in enumerate(account.deposits, start=1):
        deposit = {"type": "DEPOSIT", "considerationAmount": amount, "reference": "Bank transfer"}
        await _transaction(
            api, summary, account_id, f"demo-{account.reference}-dep-{number}", deposit, True
        )
    if account.buy is not None:
        isin, quantity, price, consideration = account.buy
        trade = {
            "type": "BUY",
            "considerationAmount": consideration,
            "chargesAmount": "9.95",
            "isin": isin,
            "quantity": quantity,
            "price": price,
            "tradeDate": today.isoformat(),
            "settlementDate": (today + dt.timedelta(days=2)).isoformat(),
        }
        txn = await _transaction(
            api, summary, account_id, f"demo-{account.reference}-buy", trade, True
        )
        await api.log(
            summary,
            "AML_SCREENING",
            "CLEAR",
            {"rule": "trade-monitoring", "isin": isin},
            userId=user_id,
            accountId=account_id,
            transactionId=txn,
        )
    if account.pending_withdrawal is not None:
        withdrawal = {"type": "WITHDRAWAL", "considerationAmount": account.pending_withdrawal}
        await _transaction(
            api, summary, account_id, f"demo-{account.reference}-wd", withdrawal, False
        )


async def load_demo(
    client: httpx.AsyncClient, url: str, *, today: dt.date | None = None
) -> DemoSummary:
    """Load the demo data set through the GraphQL API at ``url``."""
    api = _Api(client, url)
    summary = DemoSummary()
    found = await api.call(_FIND_USER, {"email": DEMO_USERS[0].email})
    if found.get("userByEmail"):
        summary.already_loaded = True
        return summary
    day = today or dt.date.today()
    for person in DEMO_USERS:
        data = await api.call(
            _CREATE_USER,
            {
                "input": {
                    "title": person.title,
                    "firstName": person.first_name,
                    "lastName": person.last_name,
                    "dateOfBirth": person.date_of_birth,
                    "nationality": person.nationality,
                    "emailAddress": person.email,
                    "telephoneNumber": person.telephone,
                    "employmentStatus": person.employment_status,
                    "annualIncome": {"amount": person.income, "currency": "GBP"},
                    "sourcesOfWealth": list(person.sources_of_wealth),
                }
            },
        )
        user_id = str(data["createUser"]["id"])
        summary.users.append(user_id)
        await api.log(
            summary, "KYC_CHECK_REQUESTED", "PENDING", {"level": "standard"}, userId=user_id
        )
        outcome = "CLEAR" if person.kyc_outcome == "PASSED" else "CONSIDER"
        await api.log(
            summary,
            f"KYC_CHECK_{person.kyc_outcome}",
            outcome,
            {"documents": ["passport", "proof-of-address"]},
            userId=user_id,
        )
        await api.log(
            summary, "SANCTIONS_SCREENING", "CLEAR", {"lists": ["UK", "EU", "UN"]}, userId=user_id
        )
        for account in person.accounts:
            await _load_account(api, summary, user_id, account, day)
    return summary


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``demo`` to the top-level parser."""
    parser = commands.add_parser("demo", help="load a demo data set through the GraphQL API")
    parser.add_argument(
        "--url",
        default="http://127.0.0.1:4000/graphql",
        help="GraphQL endpoint of the router (default: http://127.0.0.1:4000/graphql)",
    )
    add_token_argument(parser)
    parser.set_defaults(handler=run)


async def _run(url: str, token: str | None) -> DemoSummary:
    async with api_client(token) as client:
        return await load_demo(client, url)


def run(options: argparse.Namespace) -> int:
    """Load the demo; exit 1 when the API refuses a write, 2 when it cannot be reached."""
    try:
        summary = asyncio.run(_run(options.url, options.token))
    except DemoError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except httpx.HTTPError as exc:
        print(f"error: cannot reach {options.url} ({type(exc).__name__})", file=sys.stderr)
        return 2
    if summary.already_loaded:
        print("the demo data set is already loaded (its first user exists); nothing written")
        return 0
    print(
        f"demo loaded: {len(summary.users)} users, {len(summary.accounts)} accounts, "
        f"{len(summary.transactions)} transactions, {len(summary.compliance_logs)} compliance "
        f"events; e.g. user {summary.users[0]}"
    )
    return 0
