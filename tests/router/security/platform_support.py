"""The real four subgraphs behind the real, secured router, in-process, for the role matrix.

The subgraphs run their real apps (tests/router/rest/platform.py builds them on SQLite files in a
folder, owner checks wired in-process); the router reaches them through its own ``SubgraphClient``
over in-process httpx transports and sends them the internal tokens it mints, nothing else. Both
sides use the development keys of the same data folder, as ``wealthtech up`` does.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from router.auth import SecuritySettings, load_or_create_dev_secret, mint_dev_token
from router.http import create_app
from router.settings import RouterSettings
from router.subgraph_client import SubgraphClient
from router.supergraph import Supergraph
from tests.router.rest.platform import NAMES, SUPERGRAPH, subgraph_apps

ROLES = ("client", "advisor", "compliance", "admin")
_counter = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}{next(_counter):04d}"


@dataclass
class Ids:
    """What the matrix reads and changes: the client's own entities and another user's."""

    own_user: str = ""
    own_email: str = ""
    own_account: str = ""
    own_reference: str = ""
    own_transaction: str = ""
    other_user: str = ""
    other_email: str = ""
    other_account: str = ""
    other_transaction: str = ""
    log: str = ""


@dataclass
class SecuredPlatform:
    router: httpx.AsyncClient
    secret: bytes
    subgraphs: dict[str, FastAPI]
    keys_dir: Path
    router_app: FastAPI
    ids: Ids = field(default_factory=Ids)

    def headers(
        self, role: str, *, user_id: str | None = None, scope: tuple[str, ...] = ("pii:read",)
    ) -> dict[str, str]:
        if role == "client" and user_id is None:
            user_id = self.ids.own_user
        token = mint_dev_token(self.secret, roles=[role], user_id=user_id, scope=scope)
        return {"authorization": f"Bearer {token}"}

    async def graphql(
        self,
        role: str,
        query: str,
        variables: Mapping[str, Any] | None = None,
        *,
        scope: tuple[str, ...] = ("pii:read",),
    ) -> dict[str, Any]:
        response = await self.router.post(
            "/graphql",
            json={"query": query, "variables": dict(variables or {})},
            headers={**self.headers(role, scope=scope), "accept": "application/json"},
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def admin(self, query: str, variables: Mapping[str, Any] | None = None) -> Any:
        """Run an operation as admin that must succeed; return its data."""
        body = await self.graphql("admin", query, variables)
        assert not body.get("errors"), body
        return body["data"]

    # -- seeding, as admin ----------------------------------------------------------------

    async def new_user(self) -> tuple[str, str]:
        email = f"{unique('person')}@example.com"
        data = await self.admin(
            "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }",
            {
                "i": {
                    "firstName": "Ada",
                    "lastName": "Lovelace",
                    "dateOfBirth": "1985-12-10",
                    "nationality": "GB",
                    "emailAddress": email,
                    "telephoneNumber": "+44 7700 900123",
                    "employmentStatus": "EMPLOYED",
                    "annualIncome": {"amount": "85000.00", "currency": "GBP"},
                    "sourcesOfWealth": ["EMPLOYMENT_INCOME"],
                }
            },
        )
        return str(data["createUser"]["id"]), email.lower()

    async def new_account(self, user_id: str, *, active: bool = True) -> tuple[str, str]:
        reference = unique("REF-")
        data = await self.admin(
            "mutation($i: CreateInvestmentAccountInput!) "
            "{ createInvestmentAccount(input: $i) { id version } }",
            {
                "i": {
                    "userId": user_id,
                    "clientReference": reference,
                    "accountType": "GIA",
                    "name": "General account",
                    "currency": "GBP",
                }
            },
        )
        account = data["createInvestmentAccount"]
        if active:
            await self.admin(
                "mutation($i: UpdateInvestmentAccountInput!) "
                "{ updateInvestmentAccount(input: $i) { id } }",
                {"i": {"id": account["id"], "version": account["version"], "status": "ACTIVE"}},
            )
        return str(account["id"]), reference

    async def new_transaction(self, account_id: str) -> str:
        data = await self.admin(
            "mutation($i: CreateTransactionInput!, $k: String!) "
            "{ createTransaction(input: $i, idempotencyKey: $k) { id } }",
            {
                "i": {"accountId": account_id, "type": "DEPOSIT", "considerationAmount": "100.00"},
                "k": unique("key-"),
            },
        )
        return str(data["createTransaction"]["id"])

    async def new_log(self, user_id: str) -> str:
        data = await self.admin(
            "mutation($i: CreateComplianceLogInput!) { createComplianceLog(input: $i) { id } }",
            {
                "i": {
                    "userId": user_id,
                    "eventType": "AML_SCREENING",
                    "outcome": "PENDING",
                    "logDetails": {"score": 1},
                    "responseId": unique("resp-"),
                    "performedBy": "ops@example.com",
                }
            },
        )
        return str(data["createComplianceLog"]["id"])

    async def version(self, field_name: str, entity_id: str) -> int:
        data = await self.admin(f'{{ {field_name}(id: "{entity_id}") {{ version }} }}')
        return int(data[field_name]["version"])

    async def seed(self) -> None:
        ids = self.ids
        ids.own_user, ids.own_email = await self.new_user()
        ids.other_user, ids.other_email = await self.new_user()
        ids.own_account, ids.own_reference = await self.new_account(ids.own_user)
        ids.other_account, _ = await self.new_account(ids.other_user)
        ids.own_transaction = await self.new_transaction(ids.own_account)
        ids.other_transaction = await self.new_transaction(ids.other_account)
        ids.log = await self.new_log(ids.own_user)


@asynccontextmanager
async def secured_platform(folder: Path) -> AsyncIterator[SecuredPlatform]:
    """Run the four subgraphs and the secured router until the block ends (data seeded)."""
    apps = subgraph_apps(folder, set())
    async with AsyncExitStack() as stack:
        for app in apps.values():
            await stack.enter_async_context(app.router.lifespan_context(app))
        client = SubgraphClient(
            {name: f"http://{name}/graphql" for name in NAMES},
            transports={name: httpx.ASGITransport(app=app) for name, app in apps.items()},
            lean_http=False,
        )
        stack.push_async_callback(client.aclose)
        security = SecuritySettings(data_dir=folder)
        supergraph = Supergraph.from_sdl(SUPERGRAPH.read_text(encoding="utf-8"))
        router_app = create_app(supergraph, RouterSettings(), transport=client, security=security)
        await stack.enter_async_context(router_app.router.lifespan_context(router_app))
        router = await stack.enter_async_context(
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=router_app), base_url="http://router.test"
            )
        )
        platform = SecuredPlatform(
            router,
            load_or_create_dev_secret(security.keys_dir),
            apps,
            security.keys_dir,
            router_app,
        )
        await platform.seed()
        yield platform
