"""Fault suite: kill -9 each subgraph in turn under a mixed read/write load (issue 15.5).

The real system (``tests/running_system.py``: ``python -m`` processes, SQLite files, the audit
relays on) serves a load of reads and idempotent writes through the router while each subgraph in
turn is killed with SIGKILL, left dead for a moment and restarted by the supervisor. Asserted:

- a request that touches no dead subgraph never fails (reads of the others keep succeeding);
- a request that touches a dead one fails only at the paths that subgraph serves, with
  ``SUBREQUEST_HTTP_ERROR`` (or, for a write whose owner check needs it, a retryable error);
- every acknowledged write is present afterwards, and retries with the same idempotency key
  made no second record (one transaction / compliance log per key);
- ``wealthtech chain verify`` passes, and every DATA_ACCESS event in the subgraphs' outboxes was
  relayed to compliance exactly once (none pending, none missing, none extra).

It prints a table (requests, failures by path, writes acknowledged and found) that goes into
docs/reliability.md. Marked ``fault``: ``pytest -m fault -s`` runs it alone; the default sizes fit
the normal run; ``FAULT_OUTAGE_SECONDS=10 FAULT_STEADY_SECONDS=10 FAULT_WORKERS=8`` is the long
variant, run on demand.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest

from subgraphs.compliance.service import audit_key
from tests.fault.fault_support import (
    CREATE_LOG,
    CREATE_TRANSACTION,
    READS,
    RETRYABLE,
    Load,
    Path_,
    assert_chain_verifies,
    read_operation,
    reader,
    writer,
)
from tests.integration.integration_support import Api
from tests.running_system import RunningSystem, running_system
from wealthtech_cli.services import SUBGRAPHS

pytestmark = pytest.mark.fault

OUTAGE_SECONDS = float(os.environ.get("FAULT_OUTAGE_SECONDS", "1.5"))
STEADY_SECONDS = float(os.environ.get("FAULT_STEADY_SECONDS", "1.0"))
WORKERS = int(os.environ.get("FAULT_WORKERS", "3"))
# In the normal run: compliance (the audit backlog, the chain) then transactions (acknowledged
# writes of a killed subgraph); FAULT_SUBGRAPHS=all kills each of the four in turn.
_CHOSEN = os.environ.get("FAULT_SUBGRAPHS", "compliance,transactions")
KILLED = (
    [s.name for s in SUBGRAPHS]
    if _CHOSEN == "all"
    else [name.strip() for name in _CHOSEN.split(",") if name.strip()]
)
# Where a dead subgraph may put errors, per subgraph: the fields it serves.
AFFECTED: dict[str, Callable[[Path_], bool]] = {
    "users": lambda p: p[:1] in (("users",), ("user",)),
    "compliance": lambda p: p[:2] == ("user", "kycStatus"),
    "investments": lambda p: (
        p[:1] == ("investmentAccount",) or p[:2] == ("user", "investmentAccounts")
    ),
    "transactions": lambda p: p[:1] == ("transactions",) or p[-1:] == ("cashBalance",),
}


@dataclass
class Outage:
    subgraph: str
    killed_at: float
    back_at: float = float("inf")  # when the router's /readyz said ok again


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSystem]:
    # A short open period, so that the router notices a restarted subgraph quickly.
    previous = os.environ.get("ROUTER_SUBGRAPH_BREAKER_OPEN_SECONDS")
    os.environ["ROUTER_SUBGRAPH_BREAKER_OPEN_SECONDS"] = "0.5"
    try:
        with running_system(tmp_path_factory.mktemp("fault"), audit_relay=True) as running:
            yield running
    finally:
        if previous is None:
            os.environ.pop("ROUTER_SUBGRAPH_BREAKER_OPEN_SECONDS", None)
        else:  # pragma: no cover
            os.environ["ROUTER_SUBGRAPH_BREAKER_OPEN_SECONDS"] = previous


def _kill(system: RunningSystem, name: str) -> None:
    assert system.supervisor is not None
    child = system.supervisor.child(name)
    os.kill(child.process.pid, signal.SIGKILL)
    child.process.wait(timeout=10)


def _restart(system: RunningSystem, name: str) -> None:
    supervisor = system.supervisor
    assert supervisor is not None
    child = supervisor.child(name)
    restarts = child.restarts
    while child.restarts == restarts:
        supervisor.supervise_once()
        time.sleep(0.05)
    service = next(s for s in SUBGRAPHS if s.name == name)
    supervisor.wait_ready(service, "/healthz")


async def _router_ready(client: httpx.AsyncClient) -> None:
    deadline = time.monotonic() + 60
    while (await client.get("/readyz")).json().get("status") != "ok":
        assert time.monotonic() < deadline, "the router never saw every subgraph again"
        await asyncio.sleep(0.1)


def _sqlite(system: RunningSystem, name: str) -> sqlite3.Connection:
    return sqlite3.connect(system.data_dir / f"{name}.sqlite3", timeout=10)


def _outbox(system: RunningSystem) -> tuple[int, set[str]]:
    """Return (rows not yet sent, audit keys of every row) over the three relaying subgraphs."""
    pending, keys = 0, set()
    for name in ("users", "investments", "transactions"):
        with _sqlite(system, name) as connection:
            for payload, sent_at in connection.execute("SELECT payload, sent_at FROM audit_outbox"):
                pending += sent_at is None
                event = json.loads(payload)
                for item in event["accessed"]:
                    keys.add(audit_key(event["eventId"], item["entity"], item["id"]))
    return pending, keys


def _table(load: Load, outages: list[Outage], found: dict[str, bool]) -> str:
    lines = [
        "| dead subgraph | down (s) | requests | succeeded | failed: operation:path (count) "
        "| writes acked | found |",
        "|---|---|---|---|---|---|---|",
    ]
    spans = [("(none: before and between)", None, None)] + [
        (o.subgraph, o.killed_at, o.back_at) for o in outages
    ]
    for label, start, end in spans:
        if start is None:
            selected = [
                x
                for x in load.outcomes
                if not any(o.killed_at <= x.ended and x.started <= o.back_at for o in outages)
            ]
        else:
            assert end is not None
            selected = [x for x in load.outcomes if start <= x.ended and x.started <= end]
        failures: Counter[str] = Counter()
        for x in selected:
            if not x.ok:
                for path in x.error_paths or [("<no path>",)]:
                    shown = ".".join("[]" if isinstance(p, int) else str(p) for p in path)
                    failures[f"{x.operation}:{shown}"] += 1
        shown_failures = ", ".join(f"{k} ({v})" for k, v in failures.most_common(4)) or "-"
        down = f"{end - start:.1f}" if start is not None and end is not None else "-"
        lines.append(
            f"| {label} | {down} | {len(selected)} | {sum(x.ok for x in selected)} "
            f"| {shown_failures} | | |"
        )
    acked = len(load.acknowledged)
    lines.append(
        f"| total | | {len(load.outcomes)} | {sum(x.ok for x in load.outcomes)} | "
        f"| {acked} | {sum(found.values())} |"
    )
    return "\n".join(lines)


async def test_kill_each_subgraph_under_load_loses_nothing_and_degrades_only_its_paths(
    system: RunningSystem,
) -> None:
    async with httpx.AsyncClient(
        base_url=system.router_url, headers=system.headers, timeout=30
    ) as client:
        api = Api(client)
        users = [await api.create_user(firstName=f"Fault{i}") for i in range(3)]
        accounts = [await api.open_account(u["id"]) for u in users]
        seed = {"users": [u["id"] for u in users], "accounts": [a["id"] for a in accounts]}

        load = Load()
        tasks = [asyncio.create_task(reader(client, load, seed, n)) for n in range(WORKERS)]
        tasks += [asyncio.create_task(writer(client, load, seed, n)) for n in range(2)]
        outages: list[Outage] = []
        try:
            await asyncio.sleep(STEADY_SECONDS)
            for name in KILLED:
                outage = Outage(name, time.monotonic())
                outages.append(outage)
                _kill(system, name)
                await asyncio.sleep(OUTAGE_SECONDS)
                await asyncio.to_thread(_restart, system, name)
                await _router_ready(client)
                outage.back_at = time.monotonic()
                await asyncio.sleep(STEADY_SECONDS)
        finally:
            load.stop = True
            results = await asyncio.gather(*tasks, return_exceptions=True)
        assert not [r for r in results if isinstance(r, BaseException)], results

        # Every acknowledged write is there, once per key (a retry made no second record).
        assert load.acknowledged.keys() == load.attempted
        found: dict[str, bool] = {}
        for key, (operation, entity_id) in load.acknowledged.items():
            field_name = "transaction" if operation == "createTransaction" else "complianceLog"
            data = await api.ok(f'{{ {field_name}(id: "{entity_id}") {{ id }} }}')
            found[key] = data[field_name] == {"id": entity_id}
        assert all(found.values())
        with _sqlite(system, "transactions") as connection:
            [(transactions,)] = connection.execute("SELECT count(*) FROM transactions")
        with _sqlite(system, "compliance") as connection:
            [(logs,)] = connection.execute(
                "SELECT count(*) FROM compliance_logs WHERE idempotency_key LIKE 'fault-%'"
            )
        by_operation = Counter(op for op, _ in load.acknowledged.values())
        assert transactions == by_operation["createTransaction"]
        assert logs == by_operation["createComplianceLog"]

    # Reads and writes that touch no dead subgraph never failed; the others failed only at the
    # dead subgraph's paths, with its code.
    for outcome in load.outcomes:
        if outcome.ok:
            continue
        down = {
            o.subgraph
            for o in outages
            if o.killed_at <= outcome.ended and outcome.started <= o.back_at
        }
        operation = next(
            op for op in (*READS, CREATE_TRANSACTION, CREATE_LOG) if op.name == outcome.operation
        )
        assert operation.touches & down, f"{outcome} failed with no subgraph of it down"
        if operation in READS:
            for path in outcome.error_paths:
                assert any(AFFECTED[name](path) for name in down), (outcome, down)
            assert set(outcome.codes) <= {"SUBREQUEST_HTTP_ERROR"}, outcome
        else:
            assert set(outcome.codes) <= RETRYABLE, outcome
    for name in ("users", "transactions", "account"):
        if not any(o.subgraph not in read_operation(name).touches for o in outages):
            continue
        # The single-subgraph reads kept succeeding while the other three were down in turn.
        others = [
            x
            for x in load.outcomes
            if x.operation == name
            and any(
                o.killed_at <= x.started
                and x.ended <= o.back_at
                and o.subgraph not in read_operation(name).touches
                for o in outages
            )
        ]
        assert others and all(x.ok for x in others), name

    # The audit: every outbox row relayed, each event recorded exactly once in compliance.
    deadline = time.monotonic() + 90
    while (pending_keys := _outbox(system))[0]:
        assert time.monotonic() < deadline, f"{pending_keys[0]} audit events never relayed"
        await asyncio.sleep(0.5)
    _, expected = pending_keys
    assert expected, "the load decrypted nothing: the audit check would prove nothing"
    with _sqlite(system, "compliance") as connection:
        recorded = [
            k
            for (k,) in connection.execute(
                "SELECT audit_key FROM compliance_logs WHERE audit_key IS NOT NULL"
            )
        ]
    assert len(recorded) == len(set(recorded))
    assert set(recorded) == expected

    # The compliance hash chain is whole.
    await assert_chain_verifies(system)

    table = _table(load, outages, found)
    print("\n" + table, file=sys.__stdout__, flush=True)  # shown even when output is captured
