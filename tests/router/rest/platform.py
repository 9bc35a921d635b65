"""The real platform in-process: four subgraph apps behind the real router app, for REST tests.

Each subgraph runs its real app (lifespan, migrations, keys) on its own SQLite file; owner checks
between them go through :class:`HostRouterTransport`, and the router reaches them through its own
``SubgraphClient`` with in-process httpx transports. Nothing is stubbed: a REST request crosses the
router's REST layer, its gateway (planner and executor) and the subgraphs' GraphQL APIs.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from crypto import INTERNAL_TOKEN_HEADER, load_or_create_dev_keypair, mint_internal_token
from router.execution import RequestContext, SubgraphTransport, SubgraphUnavailable
from router.http import create_app
from router.settings import RouterSettings
from router.subgraph_client import SubgraphClient
from router.supergraph import Supergraph
from subgraphs.compliance.app import create_app as create_compliance_app
from subgraphs.compliance.settings import ComplianceSettings
from subgraphs.investments.app import create_app as create_investments_app
from subgraphs.investments.settings import InvestmentsSettings
from subgraphs.kit.testing import HostRouterTransport
from subgraphs.transactions.app import create_app as create_transactions_app
from subgraphs.transactions.settings import TransactionsSettings
from subgraphs.users.app import create_app as create_users_app
from subgraphs.users.settings import UsersSettings
from tests.subgraphs.support import make_encryption_services

# The router's caller authentication (router/auth + router/security) is being wired into
# create_app; until it is, callers need no token.
_SECURED = "security" in inspect.signature(create_app).parameters

ROOT = Path(__file__).resolve().parents[3]
SUPERGRAPH = ROOT / "schema" / "supergraph.graphql"
NAMES = ("users", "investments", "transactions", "compliance")


def _url(name: str) -> str:
    return f"http://{name}/graphql"


def _sqlite(folder: Path, name: str) -> str:
    return f"sqlite+aiosqlite:///{folder / f'{name}.sqlite3'}"


def subgraph_apps(folder: Path, owners_down: set[str]) -> dict[str, FastAPI]:
    """Build the four real subgraph apps on SQLite files in ``folder``, owners wired by host.

    The audit relays stay off: their DATA_ACCESS events would interleave with the compliance
    chain these tests inspect, and would otherwise be sent to whatever listens on port 4004.
    """
    users = create_users_app(
        UsersSettings(
            database_url=_sqlite(folder, "users"), data_dir=folder, audit_relay_enabled=False
        ),
        encryption_services=make_encryption_services("users"),
    )
    investments = create_investments_app(
        InvestmentsSettings(
            database_url=_sqlite(folder, "investments"),
            audit_relay_enabled=False,
            data_dir=folder,
            users_url=_url("users"),
        ),
        encryption_services=make_encryption_services("investments"),
        owner_transport=OwnerTransport({"users": users}, owners_down),
    )
    transactions = create_transactions_app(
        TransactionsSettings(
            database_url=_sqlite(folder, "transactions"),
            audit_relay_enabled=False,
            data_dir=folder,
            investments_url=_url("investments"),
        ),
        encryption_services=make_encryption_services("transactions"),
        owner_transport=OwnerTransport({"investments": investments}, owners_down),
    )
    compliance = create_compliance_app(
        ComplianceSettings(
            database_url=_sqlite(folder, "compliance"),
            audit_relay_enabled=False,
            data_dir=folder,
            users_url=_url("users"),
            investments_url=_url("investments"),
            transactions_url=_url("transactions"),
        ),
        encryption_services=make_encryption_services("compliance"),
        owner_transport=OwnerTransport(
            {"users": users, "investments": investments, "transactions": transactions},
            owners_down,
        ),
    )
    return {
        "users": users,
        "investments": investments,
        "transactions": transactions,
        "compliance": compliance,
    }


class SigningTransport(httpx.AsyncBaseTransport):
    """Adds an internal token (as the router would mint for an admin caller) to each request.

    The subgraphs accept tokens signed with the development pair in ``<data_dir>/keys``; the REST
    tests are about the REST layer, so every request acts for one admin with ``pii:read``.
    """

    def __init__(self, inner: httpx.AsyncBaseTransport, keys_dir: Path) -> None:
        self.inner = inner
        self.signing_key, _ = load_or_create_dev_keypair(keys_dir)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if INTERNAL_TOKEN_HEADER not in request.headers:
            request.headers[INTERNAL_TOKEN_HEADER] = mint_internal_token(
                self.signing_key, sub="test|rest", roles=["admin"], scope=["pii:read"]
            )
        return await self.inner.handle_async_request(request)


class OwnerTransport(HostRouterTransport):
    """The subgraphs' owner-check transport; hosts in ``down`` fail like an unreachable server."""

    def __init__(self, apps: dict[str, FastAPI], down: set[str]) -> None:
        super().__init__(apps)
        self.down = down

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host in self.down:
            raise httpx.ConnectError("connection refused (test)", request=request)
        return await super().handle_async_request(request)


class GatedTransport:
    """Wraps the router's transport; a test can hold requests to one subgraph, or cut it off.

    ``hold(subgraph)`` makes the next calls to ``subgraph`` wait until ``release()``: that is how a
    test keeps a first request in flight, deterministically, while a second one arrives.
    ``down`` names subgraphs that answer like an unreachable server. ``lose_answers`` names
    subgraphs whose answers are lost on the way back: the call reaches the subgraph, which does
    the work (and commits it), and the router sees a broken connection instead of the answer.
    """

    def __init__(self, inner: SubgraphTransport) -> None:
        self.inner = inner
        self.down: set[str] = set()
        self.lose_answers: set[str] = set()
        self._held: str | None = None
        self._gate = asyncio.Event()
        self.waiting = asyncio.Event()

    def hold(self, subgraph: str) -> None:
        self._held = subgraph
        self._gate.clear()
        self.waiting.clear()

    def release(self) -> None:
        self._held = None
        self._gate.set()

    async def send(
        self, subgraph: str, payload: dict[str, Any], context: RequestContext
    ) -> dict[str, Any]:
        if subgraph in self.down:
            raise SubgraphUnavailable(subgraph, "connection refused (test)")
        if subgraph == self._held:
            self.waiting.set()
            await self._gate.wait()
        answer = await self.inner.send(subgraph, payload, context)
        if subgraph in self.lose_answers:
            raise SubgraphUnavailable(subgraph, "connection reset after the request (test)")
        return answer


@dataclass
class Platform:
    """The running platform: a client of the router app, and the transport gate."""

    router: httpx.AsyncClient
    gate: GatedTransport
    router_app: FastAPI
    owners_down: set[str]
    caller_headers: Callable[[str], dict[str, str]]

    async def graphql(self, query: str, variables: Mapping[str, Any] | None = None) -> Any:
        """Run a GraphQL operation through the same router; return its body."""
        response = await self.router.post(
            "/graphql",
            json={"query": query, "variables": dict(variables or {})},
            headers={"accept": "application/json"},
        )
        return response.json()


@asynccontextmanager
async def running_platform(folder: Path) -> AsyncIterator[Platform]:
    """Run the four subgraphs and the router app until the block ends.

    The REST idempotency store goes wherever ``ROUTER_IDEMPOTENCY_DATABASE_URL`` says (tests set it
    to a file in their folder).
    """
    owners_down: set[str] = set()
    apps = subgraph_apps(folder, owners_down)
    async with AsyncExitStack() as stack:
        for app in apps.values():
            await stack.enter_async_context(app.router.lifespan_context(app))
        client = SubgraphClient(
            {name: _url(name) for name in NAMES},
            transports={
                name: SigningTransport(httpx.ASGITransport(app=app), folder / "keys")
                for name, app in apps.items()
            },
            lean_http=False,
        )
        stack.push_async_callback(client.aclose)
        gate = GatedTransport(client)
        supergraph = Supergraph.from_sdl(SUPERGRAPH.read_text(encoding="utf-8"))
        router_app, caller_headers = _router_app(supergraph, gate, folder)
        await stack.enter_async_context(router_app.router.lifespan_context(router_app))
        router = await stack.enter_async_context(
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=router_app),
                base_url="http://router.test",
                headers=caller_headers("test|rest-admin"),
            )
        )
        yield Platform(router, gate, router_app, owners_down, caller_headers)


def _router_app(
    supergraph: Supergraph, transport: SubgraphTransport, folder: Path
) -> tuple[FastAPI, Callable[[str], dict[str, str]]]:
    """The router app, and how a test caller (an admin who may read PII) authenticates to it."""
    if not _SECURED:  # pragma: no cover - a router without the security layer
        app = create_app(supergraph, RouterSettings(), transport=transport)
        return app, lambda sub: {"authorization": f"Bearer {sub}"}
    from router.auth import SecuritySettings, load_or_create_dev_secret, mint_dev_token

    security = SecuritySettings(data_dir=folder)
    app = create_app(supergraph, RouterSettings(), transport=transport, security=security)
    secret = load_or_create_dev_secret(security.keys_dir)

    def caller_headers(sub: str) -> dict[str, str]:
        token = mint_dev_token(secret, roles=["admin"], sub=sub, scope=["pii:read"])
        return {"authorization": f"Bearer {token}"}

    return app, caller_headers
