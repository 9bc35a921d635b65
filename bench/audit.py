"""What the PII access audit costs a request: microseconds per request with and without it.

Run: ``python bench/audit.py [requests]``. One users subgraph runs in-process (SQLite in a
temporary folder, real lifespan, real internal tokens); the same query reading two sensitive
fields is sent with the audit on (one outbox row written in the request's transaction) and off
(the same app with a sink that records nothing), plus a query of non-sensitive fields only
(which never writes an event). Figures are this process's CPU time per request, best of several
rounds (on a shared machine, waiting for a core is not the code's cost); the database's own
fsync time is outside the process and shows in the wall-clock column.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from crypto import EncryptionServices
from subgraphs.kit import DataAccessEvent
from subgraphs.kit.testing import execute, running_app
from subgraphs.users.app import create_app
from subgraphs.users.settings import UsersSettings

CREATE = """mutation($input: CreateUserInput!) { createUser(input: $input) { id } }"""
SENSITIVE = "query($id: ID!) { user(id: $id) { id firstName emailAddress dateOfBirth } }"
BASELINE = "2 sensitive fields, audit off (baseline)"
AUDITED = "2 sensitive fields, audit on (outbox row)"
PLAIN_LABEL = "non-sensitive fields only (no event)"
PLAIN = "query($id: ID!) { user(id: $id) { id firstName lastName status } }"
USER = {
    "firstName": "Ada",
    "lastName": "Lovelace",
    "dateOfBirth": "1985-12-10",
    "nationality": "GB",
    "emailAddress": "ada@example.com",
    "telephoneNumber": "+447700900123",
    "employmentStatus": "EMPLOYED",
    "annualIncome": {"amount": "85000.00", "currency": "GBP"},
    "sourcesOfWealth": ["SAVINGS"],
}


class NoAudit:
    """A sink that records nothing: the baseline (never use it in a service)."""

    relays = False

    async def record(
        self, session: AsyncSession, event: DataAccessEvent, encryption: EncryptionServices
    ) -> None:
        return None


async def _round(
    client: httpx.AsyncClient, query: str, user_id: str, n: int
) -> tuple[float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(n):
        (await execute(client, query, {"id": user_id})).ok()
    return (time.process_time() - cpu) / n * 1e6, (time.perf_counter() - wall) / n * 1e6


async def measure(requests: int, rounds: int = 7) -> dict[str, tuple[float, float]]:
    """Return (CPU us, wall us) per request and case, best of ``rounds`` interleaved rounds.

    The cases take turns within each round, so a neighbour's burst of load hits them alike.
    """
    best: dict[str, tuple[float, float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        on_settings = UsersSettings(data_dir=Path(folder) / "on", audit_relay_enabled=False)
        off_settings = UsersSettings(data_dir=Path(folder) / "off", audit_relay_enabled=False)
        async with (
            running_app(create_app(on_settings)) as on,
            running_app(_app_without_audit(off_settings)) as off,
        ):
            cases = []
            for label, client, query in (
                (BASELINE, off, SENSITIVE),
                (AUDITED, on, SENSITIVE),
                (PLAIN_LABEL, on, PLAIN),
            ):
                user = {**USER, "emailAddress": f"{len(cases)}@example.com"}
                user_id = (await execute(client, CREATE, {"input": user})).ok()["createUser"]["id"]
                await _round(client, query, user_id, 20)  # warm up
                cases.append((label, client, query, user_id))
            for _ in range(rounds):
                for label, client, query, user_id in cases:
                    cpu, wall = await _round(client, query, user_id, requests)
                    old = best.get(label, (float("inf"), float("inf")))
                    best[label] = (min(old[0], cpu), min(old[1], wall))
    return best


def _app_without_audit(settings: UsersSettings):  # type: ignore[no-untyped-def]
    from subgraphs.kit import create_app as create_subgraph_app
    from subgraphs.users.app import MIGRATIONS_DIR
    from subgraphs.users.schema import schema

    return create_subgraph_app(
        settings, schema, migrations_dir=MIGRATIONS_DIR, audit_sink=NoAudit()
    )


async def main(requests: int) -> None:
    print(f"users subgraph in-process, {requests} requests per round, best of 7 (us/request)")
    results = await measure(requests)
    print(f"{'case':44} {'CPU':>8} {'wall':>8}")
    for label, (cpu, wall) in results.items():
        print(f"{label:44} {cpu:8.0f} {wall:8.0f}")
    base, audited = results[BASELINE], results[AUDITED]
    print(
        f"audit cost per sensitive read: {audited[0] - base[0]:+.0f} us CPU, "
        f"{audited[1] - base[1]:+.0f} us wall"
    )


if __name__ == "__main__":
    logging.basicConfig(level=logging.ERROR)
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 100))
