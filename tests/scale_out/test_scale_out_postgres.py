"""Scale-out, for real: several processes of every subgraph, two router replicas, PostgreSQL.

One system of real processes (``running_system``): the subgraphs (but investments) served by
two uvicorn worker processes on one socket (``<PREFIX>_WORKERS=2``), two router processes on
ports of their own (the replicas a load balancer would spread clients over), every database on
the test PostgreSQL server, the audit relays on. What must hold when requests race across processes:

- an Idempotency-Key replayed at both replicas at once creates one transaction;
- every write a replica acknowledged is stored;
- the compliance hash chain stays one valid chain while several compliance processes append at
  once (logs created through both replicas, DATA_ACCESS events relayed by the users subgraph's
  two processes), and ``wealthtech chain verify`` passes with the sealed contents checked.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator

import asyncpg
import httpx
import pytest

from tests.conftest import postgres_url
from tests.router.rest.rest_support import account_body, user_body
from tests.running_system import ROOT, RunningSystem, running_system
from tests.subgraphs.support import create_postgres_database, drop_postgres_database
from wealthtech_cli.services import SUBGRAPHS

pytestmark = pytest.mark.skipif(
    postgres_url() is None, reason="no PostgreSQL server: set TEST_POSTGRES_URL (CI does)"
)

WORKERS = 2


@pytest.fixture(scope="module")
def databases() -> Iterator[dict[str, str]]:
    """One empty PostgreSQL database per subgraph and one for the routers' idempotency store."""
    names = [service.name for service in SUBGRAPHS] + ["router"]
    urls = {name: asyncio.run(create_postgres_database(f"wt_scale_{name}")) for name in names}
    yield urls
    for url in urls.values():
        asyncio.run(drop_postgres_database(url))


@pytest.fixture(scope="module")
def system(
    tmp_path_factory: pytest.TempPathFactory, databases: dict[str, str]
) -> Iterator[RunningSystem]:
    environ = {"ROUTER_IDEMPOTENCY_DATABASE_URL": databases["router"]}
    for service in SUBGRAPHS:
        environ[f"{service.env_prefix}DATABASE_URL"] = databases[service.name]
        # Investments takes part in no race below: one process of it saves start-up time.
        workers = 1 if service.name == "investments" else WORKERS
        environ[f"{service.env_prefix}WORKERS"] = str(workers)
        environ[f"{service.env_prefix}LOG_LEVEL"] = "warning"
    with running_system(
        tmp_path_factory.mktemp("scale") / "data", environ=environ, routers=2, audit_relay=True
    ) as running:
        yield running


@pytest.fixture
async def replicas(system: RunningSystem) -> AsyncIterator[list[httpx.AsyncClient]]:
    clients = [
        httpx.AsyncClient(base_url=url, headers=system.headers, timeout=30)
        for url in system.router_urls
    ]
    yield clients
    for client in clients:
        await client.aclose()


async def _active_account(client: httpx.AsyncClient, email: str) -> tuple[str, str]:
    user = await client.post("/api/user", json=user_body(email_address=email))
    assert user.status_code == 201, user.text
    account = await client.post(
        "/api/investment",
        json=account_body(user.json()["id"], account_type="GIA", client_reference=email[:8]),
    )
    assert account.status_code == 201, account.text
    activated = await client.patch(
        f"/api/investment/{account.json()['id']}",
        json={"version": account.json()["version"], "status": "ACTIVE"},
    )
    assert activated.status_code == 200, activated.text
    return user.json()["id"], account.json()["id"]


async def _transaction_ids(client: httpx.AsyncClient, account_id: str) -> list[str]:
    query = (
        "query ($id: ID!) { investmentAccount(id: $id) "
        "{ transactions(first: 100) { nodes { id } } } }"
    )
    answer = (
        await client.post("/graphql", json={"query": query, "variables": {"id": account_id}})
    ).json()
    assert not answer.get("errors"), answer
    return [node["id"] for node in answer["data"]["investmentAccount"]["transactions"]["nodes"]]


def test_the_system_runs_as_several_processes_of_each_service(system: RunningSystem) -> None:
    assert len(system.router_urls) == 2 and len(set(system.router_urls)) == 2
    for url in system.router_urls:
        assert httpx.get(f"{url}/readyz", timeout=10).status_code == 200


async def test_a_key_replayed_at_two_replicas_creates_one_transaction(
    replicas: list[httpx.AsyncClient],
) -> None:
    _, account_id = await _active_account(replicas[0], "replay@example.com")
    body = {"account_id": account_id, "type": "DEPOSIT", "consideration_amount": "125.00"}
    for key in ("replayed-1", "replayed-2", "replayed-3"):
        # Three tries of the same request at each replica, all in flight together.
        answers = await asyncio.gather(
            *(
                client.post("/api/transaction", json=body, headers={"Idempotency-Key": key})
                for client in replicas * 3
            )
        )
        created = [answer for answer in answers if answer.status_code in (200, 201)]
        # A try that found the first still in progress may be told so (409); none is lost.
        others = [answer for answer in answers if answer.status_code not in (200, 201)]
        assert all(answer.status_code == 409 for answer in others), [a.text for a in others]
        assert created, [a.text for a in answers]
        assert len({answer.json()["id"] for answer in created}) == 1
        # The key's answer afterwards, at either replica: the same transaction.
        again = await replicas[1].post(
            "/api/transaction", json=body, headers={"Idempotency-Key": key}
        )
        assert again.status_code in (200, 201) and again.json()["id"] == created[0].json()["id"]
    assert len(await _transaction_ids(replicas[0], account_id)) == 3


async def test_every_write_a_replica_acknowledged_is_stored(
    replicas: list[httpx.AsyncClient],
) -> None:
    _, account_id = await _active_account(replicas[1], "acked@example.com")

    async def deposit(n: int) -> httpx.Response:
        return await replicas[n % 2].post(
            "/api/transaction",
            json={
                "account_id": account_id,
                "type": "DEPOSIT",
                "consideration_amount": f"{n + 1}.50",
            },
            headers={"Idempotency-Key": f"acked-{n}"},
        )

    answers = await asyncio.gather(*(deposit(n) for n in range(24)))
    assert [answer.status_code for answer in answers] == [201] * 24, [a.text for a in answers]
    acknowledged = {answer.json()["id"] for answer in answers}
    assert len(acknowledged) == 24
    assert set(await _transaction_ids(replicas[0], account_id)) == acknowledged
    for n, answer in enumerate(answers):
        stored = await replicas[(n + 1) % 2].get(f"/api/transaction/{answer.json()['id']}")
        assert stored.status_code == 200
        assert stored.json()["consideration_amount"] == f"{n + 1}.50"


async def _pending_audit_events(databases: dict[str, str]) -> int:
    pending = 0
    for name in ("users", "investments", "transactions"):
        dsn = databases[name].replace("postgresql+asyncpg", "postgresql")
        connection = await asyncpg.connect(dsn)
        try:
            pending += await connection.fetchval(
                "SELECT count(*) FROM audit_outbox WHERE sent_at IS NULL"
            )
        finally:
            await connection.close()
    return pending


async def test_the_chain_stays_valid_under_appends_from_several_compliance_processes(
    system: RunningSystem, replicas: list[httpx.AsyncClient], databases: dict[str, str]
) -> None:
    user_id, _ = await _active_account(replicas[0], "chain@example.com")

    async def log(n: int) -> httpx.Response:
        return await replicas[n % 2].post(
            "/api/compliance",
            json={
                "user_id": user_id,
                "event_type": "AML_SCREENING",
                "outcome": "CLEAR",
                "provider": "scale",
                "log_details": {"n": n},
                "response_id": f"scale-{n}",
                "performed_by": "test",
            },
            headers={"Idempotency-Key": f"chain-{n}"},
        )

    async def read(n: int) -> httpx.Response:
        # A PII read: a DATA_ACCESS event, relayed by one of the users subgraph's processes.
        return await replicas[n % 2].get(f"/api/user/{user_id}")

    answers = await asyncio.gather(*(log(n) for n in range(16)), *(read(n) for n in range(16)))
    assert [a.status_code for a in answers] == [201] * 16 + [200] * 16, [a.text for a in answers]

    deadline = time.monotonic() + 60
    pending = await _pending_audit_events(databases)
    while pending and time.monotonic() < deadline:  # the relays run in other processes
        await asyncio.sleep(0.5)
        pending = await _pending_audit_events(databases)
    assert pending == 0

    verify = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "wealthtech_cli", "chain", "verify", "--json"],
        env=system.environ,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
    report = json.loads(verify.stdout)
    assert report["ok"] is True and report["contentsChecked"] is True
    connection = await asyncpg.connect(
        databases["compliance"].replace("postgresql+asyncpg", "postgresql")
    )
    try:
        revisions = await connection.fetchval("SELECT count(*) FROM compliance_log_revisions")
        parents = await connection.fetchval(
            "SELECT count(DISTINCT previous_hash) FROM compliance_log_revisions"
        )
        access_logs = await connection.fetchval(
            "SELECT count(*) FROM compliance_logs WHERE event_type = 'DATA_ACCESS' "
            "AND user_id = $1",
            user_id,
        )
    finally:
        await connection.close()
    assert report["checked"] == revisions
    assert parents == revisions  # no two links share a parent: the chain never forked
    assert access_logs >= 16  # each answered PII read of the user left its record
