"""Fault suite: the PostgreSQL server restarted under a mixed read/write load (issue 15.4, 15.5).

The real system (``tests/running_system.py``) with every subgraph's database on a PostgreSQL
cluster of this test's own (so that restarting it disturbs no other test), the audit relays on,
serves reads and idempotent writes through the router while the server is stopped (fast
shutdown: every connection of every pool is cut), left down for a moment and started again.
Asserted, with no service restarted:

- while the server is down, requests fail with the retryable ``DATABASE_UNAVAILABLE`` (a few
  still as ``INTERNAL_SERVER_ERROR``: a known gap, see docs/reliability.md), and no write is
  acknowledged that is not stored;
- once it is back, the pools reconnect by themselves: reads succeed again within seconds, the
  subgraph processes are the same ones (the supervisor restarted nothing);
- every acknowledged write is present once per idempotency key (retries made no second record);
- every DATA_ACCESS event was relayed exactly once, and ``wealthtech chain verify`` passes.

Marked ``fault``; ``FAULT_PG_DOWN_SECONDS`` sets the outage (default 2 s).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest

from subgraphs.compliance.service import audit_key
from tests.conftest import _required
from tests.fault.fault_support import READS, Load, assert_chain_verifies, reader, writer
from tests.integration.integration_support import Api
from tests.running_system import ROOT, RunningSystem, free_port, running_system
from wealthtech_cli.services import SUBGRAPHS

pytestmark = pytest.mark.fault

DOWN_SECONDS = float(os.environ.get("FAULT_PG_DOWN_SECONDS", "2"))
SCRIPT = ROOT / "scripts" / "pg-throwaway.sh"
# What a caller may see while the database is away: the subgraph's "try again" or the router's.
RETRYABLE = {"DATABASE_UNAVAILABLE", "SUBREQUEST_HTTP_ERROR", "DEPENDENCY_UNAVAILABLE"}


@dataclass(frozen=True)
class Cluster:
    """A throwaway PostgreSQL cluster (scripts/pg-throwaway.sh): its server URL and directory."""

    url: str
    directory: Path

    def pg_ctl(self, *args: str) -> None:
        bindir = subprocess.run(
            ["pg_config", "--bindir"], capture_output=True, text=True, check=True
        ).stdout.strip()
        command = [f"{bindir}/pg_ctl", "-D", str(self.directory / "data"), *args]
        if os.getuid() == 0:  # the cluster belongs to the unprivileged 'postgres' user
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def start(self) -> None:
        """Start the stopped server again, on its port and socket directory as before."""
        port = self.url.rsplit(":", 1)[1].split("/", 1)[0]
        options = f"-p {port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.pg_ctl("start", "-w", "-l", str(self.directory / "log"), "-o", options)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    if shutil.which("pg_config") is None:
        if _required("REQUIRE_POSTGRES"):
            pytest.fail("REQUIRE_POSTGRES is set but the PostgreSQL server binaries are missing")
        pytest.skip("no PostgreSQL server binaries (pg_config): the restart test needs its own")
    started = subprocess.run(
        ["bash", str(SCRIPT), "start"],
        env={**os.environ, "PG_THROWAWAY_PORT": str(free_port())},
        capture_output=True,
        text=True,
        check=True,
    )
    exports = dict(
        line.removeprefix("export ").split("=", 1)
        for line in started.stdout.splitlines()
        if line.startswith("export ")
    )
    running = Cluster(exports["TEST_POSTGRES_URL"], Path(exports["PG_THROWAWAY_DIR"]))
    try:
        yield running
    finally:
        subprocess.run(["bash", str(SCRIPT), "stop", str(running.directory)], check=False)


async def _create_databases(server: str) -> dict[str, str]:
    connection = await asyncpg.connect(server)
    try:
        for service in SUBGRAPHS:
            await connection.execute(f'CREATE DATABASE "fault_{service.name}"')
    finally:
        await connection.close()
    base = server.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return {service.name: f"{base}/fault_{service.name}" for service in SUBGRAPHS}


@pytest.fixture(scope="module")
def databases(cluster: Cluster) -> dict[str, str]:
    return asyncio.run(_create_databases(cluster.url))


@pytest.fixture(scope="module")
def system(
    tmp_path_factory: pytest.TempPathFactory, databases: dict[str, str]
) -> Iterator[RunningSystem]:
    environ = {"ROUTER_SUBGRAPH_BREAKER_OPEN_SECONDS": "0.5"}
    for service in SUBGRAPHS:
        environ[f"{service.env_prefix}DATABASE_URL"] = databases[service.name]
        environ[f"{service.env_prefix}LOG_LEVEL"] = "warning"
    with running_system(
        tmp_path_factory.mktemp("fault-pg"), environ=environ, audit_relay=True
    ) as running:
        yield running


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def _outbox(databases: dict[str, str]) -> tuple[int, set[str]]:
    """Return (rows not yet sent, audit keys of every row) over the three relaying subgraphs."""
    pending, keys = 0, set()
    for name in ("users", "investments", "transactions"):
        connection = await asyncpg.connect(_dsn(databases[name]))
        try:
            for row in await connection.fetch("SELECT payload, sent_at FROM audit_outbox"):
                pending += row["sent_at"] is None
                event = json.loads(row["payload"])
                for item in event["accessed"]:
                    keys.add(audit_key(event["eventId"], item["entity"], item["id"]))
        finally:
            await connection.close()
    return pending, keys


async def _scalar(url: str, sql: str) -> object:
    connection = await asyncpg.connect(_dsn(url))
    try:
        return await connection.fetchval(sql)
    finally:
        await connection.close()


async def test_a_postgres_restart_under_load_loses_nothing_and_needs_no_service_restart(
    system: RunningSystem, cluster: Cluster, databases: dict[str, str]
) -> None:
    assert system.supervisor is not None
    pids = {s.name: system.supervisor.child(s.name).process.pid for s in SUBGRAPHS}
    async with httpx.AsyncClient(
        base_url=system.router_url, headers=system.headers, timeout=30
    ) as client:
        api = Api(client)
        users = [await api.create_user(firstName=f"Restart{i}") for i in range(3)]
        accounts = [await api.open_account(u["id"]) for u in users]
        seed = {"users": [u["id"] for u in users], "accounts": [a["id"] for a in accounts]}

        load = Load()
        tasks = [asyncio.create_task(reader(client, load, seed, n)) for n in range(3)]
        tasks += [asyncio.create_task(writer(client, load, seed, n)) for n in range(2)]
        try:
            await asyncio.sleep(1.0)
            down_at = time.monotonic()
            await asyncio.to_thread(cluster.pg_ctl, "stop", "-m", "fast", "-w")
            await asyncio.sleep(DOWN_SECONDS)
            await asyncio.to_thread(cluster.start)
            up_at = time.monotonic()
            # The pools reconnect by themselves: within seconds every read succeeds again.
            deadline = up_at + 30
            while True:
                await asyncio.sleep(0.5)
                recent = [x for x in load.outcomes if x.started > time.monotonic() - 0.5]
                reads = [x for x in recent if x.operation in {r.name for r in READS}]
                if reads and all(x.ok for x in reads):
                    break
                assert time.monotonic() < deadline, [x for x in reads if not x.ok][:3]
            recovered_at = time.monotonic()
            await asyncio.sleep(1.0)
        finally:
            load.stop = True
            results = await asyncio.gather(*tasks, return_exceptions=True)
        assert not [r for r in results if isinstance(r, BaseException)], results

        during = [x for x in load.outcomes if x.ended >= down_at and x.started <= recovered_at]
        failed = [x for x in load.outcomes if not x.ok]
        assert failed, "the outage failed nothing: the server was not really down"
        assert all(x.ended >= down_at and x.started <= recovered_at for x in failed), [
            x for x in failed if not (x.ended >= down_at and x.started <= recovered_at)
        ][:3]
        codes = Counter(code for x in failed for code in x.codes)
        # Known gap (docs/reliability.md): a few errors raised outside the subgraphs' resolvers
        # while the server goes down are still masked as INTERNAL_SERVER_ERROR, not retryable.
        assert set(codes) <= RETRYABLE | {"INTERNAL_SERVER_ERROR"}, codes
        assert codes["INTERNAL_SERVER_ERROR"] * 10 <= sum(codes.values()), codes

        # Every acknowledged write is there, once per key.
        assert load.acknowledged.keys() == load.attempted
        for operation, entity_id in load.acknowledged.values():
            field_name = "transaction" if operation == "createTransaction" else "complianceLog"
            data = await api.ok(f'{{ {field_name}(id: "{entity_id}") {{ id }} }}')
            assert data[field_name] == {"id": entity_id}
    by_operation = Counter(op for op, _ in load.acknowledged.values())
    assert (
        await _scalar(databases["transactions"], "SELECT count(*) FROM transactions")
        == (by_operation["createTransaction"])
    )
    assert (
        await _scalar(
            databases["compliance"],
            "SELECT count(*) FROM compliance_logs WHERE idempotency_key LIKE 'fault-%'",
        )
        == (by_operation["createComplianceLog"])
    )

    # No service was restarted: the same processes served before, during and after.
    assert {s.name: system.supervisor.child(s.name).process.pid for s in SUBGRAPHS} == pids

    # The audit: every outbox row relayed, each event recorded exactly once.
    deadline = time.monotonic() + 90
    while (outbox := await _outbox(databases))[0]:
        assert time.monotonic() < deadline, f"{outbox[0]} audit events never relayed"
        await asyncio.sleep(0.5)
    assert outbox[1], "the load decrypted nothing: the audit check would prove nothing"
    connection = await asyncpg.connect(_dsn(databases["compliance"]))
    try:
        recorded = [
            row["audit_key"]
            for row in await connection.fetch(
                "SELECT audit_key FROM compliance_logs WHERE audit_key IS NOT NULL"
            )
        ]
    finally:
        await connection.close()
    assert len(recorded) == len(set(recorded))
    assert set(recorded) == outbox[1]

    await assert_chain_verifies(system)

    print(
        f"\nPostgreSQL restart: down {up_at - down_at:.1f} s, reads whole again "
        f"{recovered_at - up_at:.1f} s after; requests {len(load.outcomes)}, during the outage "
        f"{len(during)} ({len(failed)} failed: {dict(codes)}); writes acknowledged "
        f"{len(load.acknowledged)}, found {len(load.acknowledged)}",
        file=sys.__stdout__,
        flush=True,
    )
