"""The fault suites' load: reads and idempotent writes sent through the router, and what they saw.

Shared by tests/fault (a subgraph killed under load; the PostgreSQL server restarted under load).
Each write is retried with the same idempotency key until acknowledged, so that the suites can
check that a retry never made a second record.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.running_system import ROOT, RunningSystem

RETRYABLE = {"SUBREQUEST_HTTP_ERROR", "DEPENDENCY_UNAVAILABLE"}
Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Operation:
    name: str
    query: str
    touches: frozenset[str]


READS = (
    Operation(
        "users",
        "{ users(first: 5) { nodes { id firstName emailAddress } } }",
        frozenset({"users"}),
    ),
    Operation(
        "transactions",
        "{ transactions(first: 5) { nodes { id status considerationAmount { amount } } } }",
        frozenset({"transactions"}),
    ),
    Operation(
        "account",
        "query($a: ID!) { investmentAccount(id: $a) { id name clientReference } }",
        frozenset({"investments"}),
    ),
    Operation(
        "cross",
        """query($u: ID!) { user(id: $u) { id firstName kycStatus
             investmentAccounts { nodes { id name cashBalance { amount } } } } }""",
        frozenset({"users", "compliance", "investments", "transactions"}),
    ),
)
CREATE_TRANSACTION = Operation(
    "createTransaction",
    """mutation($input: CreateTransactionInput!, $key: String!) {
         createTransaction(input: $input, idempotencyKey: $key) { id } }""",
    frozenset({"transactions", "investments"}),  # investments: the owner check of the account
)
CREATE_LOG = Operation(
    "createComplianceLog",
    """mutation($input: CreateComplianceLogInput!) { createComplianceLog(input: $input) { id } }""",
    frozenset({"compliance", "users"}),  # users: the owner check of the user
)


def read_operation(name: str) -> Operation:
    return next(r for r in READS if r.name == name)


@dataclass
class Outcome:
    operation: str
    started: float
    ended: float
    ok: bool
    error_paths: list[Path_] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)


@dataclass
class Load:
    """What the load saw: every request's outcome, every write's key and acknowledged id."""

    outcomes: list[Outcome] = field(default_factory=list)
    acknowledged: dict[str, tuple[str, str]] = field(default_factory=dict)  # key -> (op, id)
    attempted: set[str] = field(default_factory=set)
    stop: bool = False


async def send(
    client: httpx.AsyncClient, operation: Operation, variables: dict[str, Any]
) -> tuple[Outcome, Any]:
    started = time.monotonic()
    try:
        response = await client.post(
            "/graphql", json={"query": operation.query, "variables": variables}
        )
        body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        outcome = Outcome(operation.name, started, time.monotonic(), False, codes=[repr(exc)])
        return outcome, None
    errors = body.get("errors") or []
    outcome = Outcome(
        operation.name,
        started,
        time.monotonic(),
        response.status_code == 200 and not errors,
        [tuple(e.get("path") or ()) for e in errors],
        [str((e.get("extensions") or {}).get("code")) for e in errors],
    )
    return outcome, body.get("data")


async def reader(client: httpx.AsyncClient, load: Load, seed: dict[str, Any], n: int) -> None:
    i = n
    while not load.stop:
        operation = READS[i % len(READS)]
        user, account = seed["users"][i % 3], seed["accounts"][i % 3]
        outcome, _ = await send(client, operation, {"u": user, "a": account})
        load.outcomes.append(outcome)
        i += 1


async def write_once(client: httpx.AsyncClient, load: Load, seed: dict[str, Any], i: int) -> None:
    """One write, retried with the same idempotency key until acknowledged."""
    key = f"fault-{uuid.uuid4().hex}"
    load.attempted.add(key)
    if i % 2:
        operation = CREATE_TRANSACTION
        variables: dict[str, Any] = {
            "input": {
                "accountId": seed["accounts"][i % 3],
                "type": "DEPOSIT",
                "considerationAmount": "10.00",
            },
            "key": key,
        }
    else:
        operation = CREATE_LOG
        variables = {
            "input": {
                "userId": seed["users"][i % 3],
                "eventType": "AML_SCREENING",
                "outcome": "CLEAR",
                "provider": "fault-suite",
                "performedBy": "fault@wealthtech.test",
                "logDetails": {"source": "fault-suite"},
                "responseId": key,
                "idempotencyKey": key,
            }
        }
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        outcome, data = await send(client, operation, variables)
        load.outcomes.append(outcome)
        if outcome.ok:
            field_name = operation.name
            load.acknowledged[key] = (operation.name, data[field_name]["id"])
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"{operation.name} with key {key} was never acknowledged")


async def writer(client: httpx.AsyncClient, load: Load, seed: dict[str, Any], n: int) -> None:
    i = n
    while not load.stop:
        await write_once(client, load, seed, i)
        i += 1


async def assert_chain_verifies(system: RunningSystem) -> None:
    """Run ``wealthtech chain verify`` against the system's databases; it must pass."""
    verify = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "wealthtech_cli", "chain", "verify"],
        env=system.environ,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
