"""Small, fast stand-in subgraphs for the router's serving tests, differential tests and benchmark.

Four Strawberry federation-2 subgraphs with the shape of the real platform, over deterministic
in-memory data: ``users`` (User) -> ``accounts`` (User.accounts, Account) -> ``transactions``
(Account.transactions, Transaction) -> ``compliance`` (Transaction.complianceLogs). A few fields
fail on purpose so that error re-pathing and null propagation can be compared between gateways.

They are served together by one ASGI app (``/users/graphql``, ``/accounts/graphql``, ...) on a real
loopback port (``serve_in_thread`` for tests, ``python -m tests.router.standins --port N`` for the
benchmark). ``SUPERGRAPH_PATH`` is their supergraph, composed by @theguild/federation-composition
with the placeholder base URL ``PLACEHOLDER_BASE``; ``supergraph_sdl(base)`` points it at a server.
"""

from __future__ import annotations

import argparse
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import strawberry
import uvicorn
from starlette.applications import Starlette
from starlette.routing import Route
from strawberry.asgi import GraphQL

SUBGRAPHS = ("users", "accounts", "transactions", "compliance")
PLACEHOLDER_BASE = "http://standins.invalid"
SUPERGRAPH_PATH = Path(__file__).resolve().parent / "fixtures" / "standins.supergraph.graphql"
USER_COUNT = 60
ACCOUNTS_PER_USER = 2
TRANSACTIONS_PER_ACCOUNT = 3


def supergraph_sdl(base_url: str) -> str:
    """Return the stand-ins' supergraph with every subgraph URL under ``base_url``."""
    return SUPERGRAPH_PATH.read_text(encoding="utf-8").replace(PLACEHOLDER_BASE, base_url)


def subgraph_url(base_url: str, name: str) -> str:
    return f"{base_url}/{name}/graphql"


# ---------------------------------------------------------------------------------------------
# Deterministic data: everything derives from the numeric part of the id.


def _number(identifier: str) -> int:
    return int(identifier.rsplit("_", 1)[1])


def _user_name(n: int) -> str:
    return f"User {n:03d}"


def _account_ids(user_n: int) -> list[str]:
    return [f"acc_{user_n * ACCOUNTS_PER_USER + i:05d}" for i in range(ACCOUNTS_PER_USER)]


def _transaction_ids(account_n: int) -> list[str]:
    return [
        f"txn_{account_n * TRANSACTIONS_PER_ACCOUNT + i:06d}"
        for i in range(TRANSACTIONS_PER_ACCOUNT)
    ]


# ---------------------------------------------------------------------------------------------
# users


@strawberry.federation.type(keys=["id"])
class User:
    id: strawberry.ID
    name: str
    email: str

    @strawberry.field
    def risk_note(self) -> str | None:
        # Fails for every fifth user: a nullable field error, re-pathed by the gateway.
        if _number(self.id) % 5 == 0:
            raise ValueError(f"risk note unavailable for {self.id}")
        return "low"

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> User:
        return _user(str(id))


def _user(identifier: str) -> User:
    n = _number(identifier)
    return User(id=strawberry.ID(identifier), name=_user_name(n), email=f"user{n}@example.test")


@strawberry.type
class UsersQuery:
    @strawberry.field
    def users(self, first: int = 50) -> list[User]:
        return [_user(f"usr_{n:04d}") for n in range(1, min(first, USER_COUNT) + 1)]

    @strawberry.field
    def user(self, id: strawberry.ID) -> User | None:
        n = _number(str(id)) if "_" in str(id) else -1
        return _user(str(id)) if 1 <= n <= USER_COUNT else None

    @strawberry.field
    def broken(self) -> str:
        # A non-null root field that always fails: the whole data becomes null.
        raise ValueError("broken on purpose")


@strawberry.type(name="Mutation")
class UsersMutation:
    @strawberry.mutation
    def echo(self, message: str) -> str:
        return message


# ---------------------------------------------------------------------------------------------
# accounts


@strawberry.federation.type(keys=["id"])
class Account:
    id: strawberry.ID
    name: str
    balance: str  # Decimal as a string: money is never a float
    currency: str

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Account:
        return _account(str(id))


def _account(identifier: str) -> Account:
    n = _number(identifier)
    return Account(
        id=strawberry.ID(identifier),
        name=f"Account {n}",
        balance=str(Decimal(n * 1000 + 37) / 100),
        currency="EUR" if n % 2 else "GBP",
    )


@strawberry.federation.type(keys=["id"], name="User")
class AccountsUser:
    id: strawberry.ID

    @strawberry.field
    def accounts(self) -> list[Account]:
        return [_account(a) for a in _account_ids(_number(self.id))]

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> AccountsUser:
        return AccountsUser(id=id)


@strawberry.type
class AccountsQuery:
    @strawberry.field
    def account(self, id: strawberry.ID) -> Account | None:
        return _account(str(id)) if str(id).startswith("acc_") else None


# ---------------------------------------------------------------------------------------------
# transactions


@strawberry.federation.type(keys=["id"])
class Transaction:
    id: strawberry.ID
    amount: str
    currency: str
    kind: str

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Transaction:
        return _transaction(str(id))


def _transaction(identifier: str) -> Transaction:
    n = _number(identifier)
    return Transaction(
        id=strawberry.ID(identifier),
        amount=str(Decimal((n * 7919) % 100000) / 100),
        currency="EUR" if (n // TRANSACTIONS_PER_ACCOUNT) % 2 else "GBP",
        kind="DEPOSIT" if n % 3 else "WITHDRAWAL",
    )


@strawberry.federation.type(keys=["id"], name="Account")
class TransactionsAccount:
    id: strawberry.ID

    @strawberry.field
    def transactions(self) -> list[Transaction]:
        return [_transaction(t) for t in _transaction_ids(_number(self.id))]

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> TransactionsAccount:
        return TransactionsAccount(id=id)


@strawberry.type
class TransactionsQuery:
    @strawberry.field
    def transaction(self, id: strawberry.ID) -> Transaction | None:
        return _transaction(str(id)) if str(id).startswith("txn_") else None


# ---------------------------------------------------------------------------------------------
# compliance


@strawberry.type
class ComplianceLog:
    id: strawberry.ID
    outcome: str
    reviewer: str


@strawberry.federation.type(keys=["id"], name="Transaction")
class ComplianceTransaction:
    id: strawberry.ID

    @strawberry.field
    def compliance_logs(self) -> list[ComplianceLog]:
        n = _number(self.id)
        return [
            ComplianceLog(
                id=strawberry.ID(f"cpl_{n:06d}_{i}"),
                outcome="FLAGGED" if (n + i) % 7 == 0 else "CLEARED",
                reviewer=f"reviewer-{(n + i) % 4}",
            )
            for i in range(1 + n % 2)
        ]

    @strawberry.field
    def audit_code(self) -> str:
        # Non-null and failing for every 11th transaction: null propagates to the nullable parent.
        n = _number(self.id)
        if n % 11 == 0:
            raise ValueError(f"audit code missing for {self.id}")
        return f"AUD-{n:06d}"

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> ComplianceTransaction:
        return ComplianceTransaction(id=id)


@strawberry.type
class ComplianceQuery:
    @strawberry.field
    def compliance_status(self) -> str:
        return "OPERATIONAL"


# ---------------------------------------------------------------------------------------------
# Schemas and serving


def _schema(query: type, types: list[type], mutation: type | None = None) -> strawberry.Schema:
    return strawberry.federation.Schema(
        query=query, mutation=mutation, types=types, federation_version="2.9"
    )


def schemas() -> dict[str, strawberry.Schema]:
    """Return the four stand-in subgraph schemas by subgraph name."""
    return {
        "users": _schema(UsersQuery, [User], UsersMutation),
        "accounts": _schema(AccountsQuery, [AccountsUser, Account]),
        "transactions": _schema(TransactionsQuery, [TransactionsAccount, Transaction]),
        "compliance": _schema(ComplianceQuery, [ComplianceTransaction]),
    }


def create_app() -> Starlette:
    """One ASGI app serving every stand-in subgraph under ``/<name>/graphql``."""
    routes = [
        Route(f"/{name}/graphql", GraphQL(schema, graphql_ide=None), methods=["GET", "POST"])
        for name, schema in schemas().items()
    ]
    return Starlette(routes=routes)


@dataclass
class RunningFleet:
    base_url: str

    def url(self, name: str) -> str:
        return subgraph_url(self.base_url, name)

    def supergraph_sdl(self) -> str:
        return supergraph_sdl(self.base_url)


def free_port() -> int:
    """Return a loopback port that nothing listens on (for 'subgraph down' cases)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve_in_thread(app: Starlette | None = None) -> Iterator[RunningFleet]:
    """Serve the stand-ins (or ``app``) with uvicorn on a loopback port in a background thread."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app or create_app(), log_level="warning", lifespan="off", ws="none", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the stand-in subgraph server did not start")
            threading.Event().wait(0.01)
        yield RunningFleet(f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the stand-in subgraphs on loopback.")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(
        create_app(), host="127.0.0.1", port=args.port, log_level="warning", access_log=False
    )


if __name__ == "__main__":
    main()
