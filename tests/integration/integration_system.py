"""The four real subgraphs and the real router over real loopback HTTP, for integration tests.

:func:`running_integration_system` builds each subgraph's own app (``subgraphs.<name>.app``) with a
fresh SQLite database in a temporary folder and fresh random keys, and serves it with uvicorn on a
free port of 127.0.0.1 in a thread of its own (its own event loop, as a separate process would
have). Owner checks (``INVESTMENTS_USERS_URL``, ``TRANSACTIONS_INVESTMENTS_URL``,
``COMPLIANCE_*_URL``) point at those ports. The router (``router.http.create_app``) runs the same
way, on a supergraph composed here by :mod:`router.composition` from the committed
``schema/*.graphql`` with the loopback URLs, so that the suite does not depend on the committed
supergraph file being fresh (a separate test checks that).

Every subgraph app is wrapped in :class:`RequestLog`, which records the GraphQL requests it
receives, so that tests can count what the router sent (``_entities`` batching). A subgraph can be
stopped and started again on the same port (:meth:`IntegrationSystem.stopped`) to test partial
failure. This is test plumbing only: the services talk over HTTP exactly as in production.
"""

from __future__ import annotations

import json
import secrets
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from pydantic import SecretStr

from crypto import mint_internal_token
from router.auth import SecuritySettings, mint_dev_token
from router.composition import compose, load_subgraphs_from_dir
from router.http import create_app as create_router_app
from router.settings import RouterSettings
from router.supergraph import Supergraph
from subgraphs.compliance.app import create_app as create_compliance_app
from subgraphs.compliance.settings import ComplianceSettings
from subgraphs.investments.app import create_app as create_investments_app
from subgraphs.investments.settings import InvestmentsSettings
from subgraphs.transactions.app import create_app as create_transactions_app
from subgraphs.transactions.settings import TransactionsSettings
from subgraphs.users.app import create_app as create_users_app
from subgraphs.users.settings import UsersSettings
from tests.conftest import ROOT
from tests.subgraphs.support import make_encryption_services

__all__ = [
    "SCHEMA_DIR",
    "SUBGRAPH_NAMES",
    "IntegrationSystem",
    "RecordedRequest",
    "RequestLog",
    "running_integration_system",
]

SCHEMA_DIR = ROOT / "schema"
BREAKER_OPEN = 0.2  # seconds: the router's breaker open period in this system
SUBGRAPH_NAMES = ("users", "investments", "transactions", "compliance")

Asgi = Callable[..., Any]


@dataclass(frozen=True)
class RecordedRequest:
    """One GraphQL request a subgraph received."""

    query: str
    variables: dict[str, Any]
    user_agent: str

    @property
    def is_entities(self) -> bool:
        return "_entities" in self.query

    def representations(self) -> list[dict[str, Any]]:
        value = self.variables.get("representations")
        return list(value) if isinstance(value, list) else []


class RequestLog:
    """ASGI wrapper that records every ``POST /graphql`` body before passing it on unchanged."""

    def __init__(self, app: Asgi) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []

    def clear(self) -> None:
        with self._lock:
            self._requests.clear()

    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    async def __call__(self, scope: dict[str, Any], receive: Asgi, send: Asgi) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != "/graphql":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if message["type"] != "http.request" or not message.get("more_body", False):
                break
        body = b"".join(chunks)
        self._record(scope, body)
        replayed = False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            result: dict[str, Any] = await receive()
            return result

        await self.app(scope, replay, send)

    def _record(self, scope: dict[str, Any], body: bytes) -> None:
        try:
            payload = json.loads(body)
        except ValueError:
            return
        if not isinstance(payload, dict):
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        entry = RecordedRequest(
            query=str(payload.get("query", "")),
            variables=dict(payload.get("variables") or {}),
            user_agent=headers.get("user-agent", ""),
        )
        with self._lock:
            self._requests.append(entry)


def free_port() -> int:
    """Return a loopback port nothing listens on right now."""
    with _bound_socket(0) as sock:
        port: int = sock.getsockname()[1]
        return port


def _bound_socket(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    return sock


class ServedApp:
    """An ASGI app served by uvicorn on a fixed loopback port, in a thread; can stop and restart."""

    def __init__(self, name: str, make_app: Callable[[], Asgi], port: int) -> None:
        self.name = name
        self._make_app = make_app
        self.port = port
        self._server: uvicorn.Server | None = None
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self, *, timeout: float = 30.0) -> None:
        sock = _bound_socket(self.port)
        config = uvicorn.Config(
            self._make_app(),
            log_level="warning",
            lifespan="on",
            ws="none",
            access_log=False,
            timeout_graceful_shutdown=5,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name=f"serve-{self.name}", daemon=True
        )
        thread.start()
        # Started means the lifespan ran (migrations applied) and the socket accepts requests.
        deadline = time.monotonic() + timeout
        while not server.started and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        if not server.started:
            server.should_exit = True
            thread.join(timeout=5)
            sock.close()
            raise RuntimeError(f"{self.name} did not start on port {self.port}")
        self._server, self._thread, self._sock = server, thread, sock

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.should_exit = True
        thread.join(timeout=15)
        if thread.is_alive():
            raise RuntimeError(f"{self.name} did not stop within 15 s")
        if self._sock is not None:
            self._sock.close()
        self._server = self._thread = None
        self._sock = None


@dataclass
class IntegrationSystem:
    """The running system: router URL, subgraph URLs, request logs, the supergraph it serves."""

    router: ServedApp
    subgraphs: dict[str, ServedApp]
    logs: dict[str, RequestLog]
    supergraph_sdl: str
    data_dir: Path
    subgraph_urls: dict[str, str] = field(default_factory=dict)
    caller_secret: bytes = field(default=b"", repr=False)
    internal_signing_key: Ed25519PrivateKey | None = field(default=None, repr=False)

    def bearer(
        self, *roles: str, scope: str = "pii:read", user_id: str | None = None
    ) -> dict[str, str]:
        """An ``Authorization`` header the router accepts (default: admin with ``pii:read``)."""
        token = mint_dev_token(
            self.caller_secret, roles=roles or ("admin",), scope=scope, user_id=user_id
        )
        return {"authorization": f"Bearer {token}"}

    def internal_token(self, *, ttl: int = 3600) -> str:
        """An ``X-Internal-Token`` the subgraphs accept, for another gateway in front of them.

        The same principal as :meth:`bearer`'s default (admin, ``pii:read``), minted the way
        ``wealthtech token --internal`` does for a standard gateway.
        """
        assert self.internal_signing_key is not None
        return mint_internal_token(
            self.internal_signing_key,
            sub="dev:admin",
            roles=["admin"],
            scope="pii:read",
            user_id=None,
            request_id=None,
            ttl=ttl,
        )

    @property
    def router_url(self) -> str:
        return self.router.base_url

    @property
    def graphql_url(self) -> str:
        return f"{self.router.base_url}/graphql"

    def clear_logs(self) -> None:
        for log in self.logs.values():
            log.clear()

    def delete_row(self, subgraph: str, table: str, row_id: str) -> None:
        """Delete one row behind a subgraph's back, as data drift between services would.

        Only for "the entity another subgraph points at is gone" cases; everything else goes
        through the router.
        """
        path = self.data_dir / f"{subgraph}.sqlite3"
        with closing(sqlite3.connect(path)) as connection, connection:
            deleted = connection.execute(f"DELETE FROM {table} WHERE id = ?", (row_id,)).rowcount
        assert deleted == 1, f"{subgraph}.{table} has no row {row_id}"

    @contextmanager
    def stopped(self, name: str) -> Iterator[None]:
        """Stop subgraph ``name`` (its port refuses connections) and start it again afterwards."""
        served = self.subgraphs[name]
        served.stop()
        try:
            yield
        finally:
            served.start()
            # The router's breaker for it may be open: once its open period is over, a
            # readiness probe (the half-open probe) closes it before the next test request.
            time.sleep(BREAKER_OPEN * 1.5)
            httpx.get(f"{self.router_url}/readyz", timeout=10)


def compose_project_supergraph(urls: dict[str, str]) -> str:
    """Compose ``schema/<subgraph>.graphql`` with the given routing URLs."""
    return compose(load_subgraphs_from_dir(SCHEMA_DIR, urls=urls))


@contextmanager
def running_integration_system(
    data_dir: Path, *, audit_relay: bool = False
) -> Iterator[IntegrationSystem]:
    """Serve the four subgraphs and the router on loopback until the ``with`` block ends.

    ``audit_relay`` runs each subgraph's PII access-audit relay (every 0.2 s), signing with the
    same key the router signs with (which the compliance subgraph therefore trusts). It is off by
    default, because it adds DATA_ACCESS logs to the lists tests read, at times of its choosing.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    logs: dict[str, RequestLog] = {}
    # Ports first: the owner URLs of one subgraph name the ports of the others.
    ports = {name: free_port() for name in SUBGRAPH_NAMES}
    urls = {name: f"http://127.0.0.1:{port}/graphql" for name, port in ports.items()}
    keys = {name: make_encryption_services(name) for name in SUBGRAPH_NAMES}
    # Router -> subgraph trust: a fresh Ed25519 pair; the router signs, every subgraph verifies.
    signing_key = Ed25519PrivateKey.generate()
    signing_pem = signing_key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    public_pem = (
        signing_key.public_key()
        .public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )
    caller_secret = secrets.token_urlsafe(48)
    common: dict[str, Any] = {
        "data_dir": data_dir,
        "internal_token_public_keys": public_pem,
        "audit_relay_enabled": audit_relay,
        "audit_signing_key": SecretStr(signing_pem.decode("ascii")),
        "audit_url": urls["compliance"],
        "audit_relay_interval_seconds": 0.2,
    }

    def database(name: str) -> str:
        return f"sqlite+aiosqlite:///{(data_dir / f'{name}.sqlite3').resolve()}"

    def logged(name: str, app: Asgi) -> Asgi:
        log = logs.setdefault(name, RequestLog(app))
        log.app = app  # a restart builds a new app; the log (and what it recorded) stays
        return log

    users = UsersSettings(**common, database_url=database("users"), port=ports["users"])
    investments = InvestmentsSettings(
        **common,
        database_url=database("investments"),
        port=ports["investments"],
        users_url=urls["users"],
    )
    transactions = TransactionsSettings(
        **common,
        database_url=database("transactions"),
        port=ports["transactions"],
        investments_url=urls["investments"],
    )
    compliance = ComplianceSettings(
        **common,
        database_url=database("compliance"),
        port=ports["compliance"],
        users_url=urls["users"],
        investments_url=urls["investments"],
        transactions_url=urls["transactions"],
    )
    factories: dict[str, Callable[[], Asgi]] = {
        "users": lambda: logged(
            "users", create_users_app(users, encryption_services=keys["users"])
        ),
        "investments": lambda: logged(
            "investments",
            create_investments_app(investments, encryption_services=keys["investments"]),
        ),
        "transactions": lambda: logged(
            "transactions",
            create_transactions_app(transactions, encryption_services=keys["transactions"]),
        ),
        "compliance": lambda: logged(
            "compliance",
            create_compliance_app(compliance, encryption_services=keys["compliance"]),
        ),
    }
    served = {name: ServedApp(name, factories[name], ports[name]) for name in SUBGRAPH_NAMES}

    supergraph_sdl = compose_project_supergraph(urls)
    supergraph = Supergraph.from_sdl(supergraph_sdl)
    # A short open period: the tests stop and restart subgraphs (stopped()) and go on at once.
    settings = RouterSettings(
        subgraph_urls=urls, expose_query_plan=True, subgraph_breaker_open_seconds=BREAKER_OPEN
    )
    security = SecuritySettings(
        data_dir=data_dir,
        jwt_hs256_secret=SecretStr(caller_secret),
        internal_signing_key=SecretStr(signing_pem.decode("ascii")),
    )
    router = ServedApp(
        "router",
        lambda: create_router_app(supergraph, settings, security=security),
        free_port(),
    )
    started: list[ServedApp] = []
    try:
        for app in served.values():
            app.start()
            started.append(app)
        router.start()
        started.append(router)
        yield IntegrationSystem(
            router=router,
            subgraphs=served,
            logs=logs,
            supergraph_sdl=supergraph_sdl,
            data_dir=data_dir,
            subgraph_urls=urls,
            caller_secret=caller_secret.encode("utf-8"),
            internal_signing_key=signing_key,
        )
    finally:
        for app in reversed(started):
            app.stop()
