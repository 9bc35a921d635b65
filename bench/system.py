"""The real system under load: the processes ``wealthtech up`` runs, a realistic data set, wrk.

    python bench/system.py                          # SQLite, 8 connections, 10 s per scenario
    python bench/system.py --postgres               # one PostgreSQL database per subgraph
    python bench/system.py --only pii,rest-user --duration 20
    python bench/system.py --processes 1,2,4 --only rest-user   # the scale-out curve
    python bench/system.py --profile out/           # py-spy flame graphs of every process

What it does, in order:

1. **Processes**: the four subgraphs and the router, started like ``wealthtech up`` starts them
   (``wealthtech_cli.services`` and ``wealthtech_cli.up.Supervisor``: ``python -m subgraphs.<name>
   serve`` and ``python -m router``), on free loopback ports, with the development keys and a
   data folder of their own. ``--processes N`` runs N processes of every subgraph (``serve
   --workers N``) and ``--routers N`` N router processes (``python -m router --workers N``), all
   on PostgreSQL or on the same SQLite files.
2. **Data set** (``--users``, default 1,000 users, 2 accounts each, 25 transactions per account,
   20 compliance logs per user: 2,000 accounts, 50,000 transactions, 20,000 logs), written
   through the router's GraphQL API (batched mutations, with a progress bar), so everything is
   validated, owner-checked and sealed as in production. The loaded data folder (and, with
   ``--postgres``, a ``pg_dump`` of each database) is kept under ``--cache`` (default
   ``data/bench-cache``), so a rerun starts from the snapshot in seconds (``--fresh`` rebuilds it).
3. **Load**: each scenario runs closed-loop, ``--connections`` connections for ``--duration``
   seconds after a short warm-up, with ``wrk`` (Debian's ``apt-get install wrk``; a Lua script sets
   the token, bodies and one Idempotency-Key per write) or, when wrk is missing or with
   ``--client asyncio``, a small asyncio + httpx client doing the same. Printed per scenario:
   requests per second, p50 and p99 latency, errors, and the CPU milliseconds per request of
   every process (user + system time from /proc, uvicorn workers included).
4. **Correctness after load**: every acknowledged ``POST /api/transaction`` is looked up in the
   transactions database; the DATA_ACCESS audit events (outbox rows, and the compliance logs they
   become once relayed) are counted against the PII reads that were answered, and both printed.

Scenarios (``--only`` takes a comma-separated list): ``pii`` (``users(first: 10)`` with every
PII field), ``profile`` (the same without PII), ``portfolio`` (one user, its accounts,
``transactions(first: 20)`` of each with amounts), ``rest-user`` (``GET /api/user/{id}``),
``write`` (``POST /api/transaction`` with an Idempotency-Key), ``mix`` (90% reads spread over
the read scenarios, 10% writes). Users and accounts are picked at random per request.

Everything listens on 127.0.0.1; every loop is bounded in time; every process started here is
stopped at the end (the PostgreSQL cluster too).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import platform
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from subgraphs.kit.keys import key_variable_names  # noqa: E402
from wealthtech_cli.progress import ProgressBar  # noqa: E402
from wealthtech_cli.schema_files import SUPERGRAPH_FILE, render_schema_files  # noqa: E402
from wealthtech_cli.services import ROUTER, SUBGRAPHS  # noqa: E402
from wealthtech_cli.up import Supervisor  # noqa: E402

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
DATASET_VERSION = 1  # bump when the loader writes something else: old snapshots are not reused
SCENARIOS = ("pii", "profile", "portfolio", "rest-user", "write", "mix")
PII_SCENARIOS = {"pii", "portfolio", "rest-user", "write", "mix"}  # they decrypt: audited
ALIASES_PER_REQUEST = 25  # under the router's ROUTER_MAX_ALIASES (30)

PII_QUERY = (
    "{ users(first: 10) { nodes { id title firstName lastName nationality employmentStatus "
    "status dateOfBirth emailAddress telephoneNumber annualIncome { amount currency } "
    "sourcesOfWealth } } }"
)
PROFILE_QUERY = (
    "{ users(first: 10) { nodes { id title firstName lastName nationality employmentStatus "
    "status createdAt version } } }"
)
PORTFOLIO_QUERY = (
    "query Portfolio($id: ID!) { user(id: $id) { id firstName lastName "
    "investmentAccounts { nodes { id name accountType status currency "
    "transactions(first: 20) { nodes { id type status tradeDate "
    "considerationAmount { amount currency } chargesAmount { amount currency } } } } } } }"
)


# ------------------------------------------------------------------------------------------------
# Processes


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _stat_fields(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _process_tree(pid: int) -> list[int]:
    """The process and its descendants (uvicorn's worker processes)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields is not None:
                parents.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(parents.get(current, []))
    return found


def cpu_seconds(pids: Sequence[int]) -> float:
    total = 0.0
    for pid in pids:
        fields = _stat_fields(pid)
        if fields is not None:
            total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return total


@dataclass
class System:
    """The running processes, where they listen, and what a caller needs."""

    supervisor: Supervisor
    env: dict[str, str]
    data_dir: Path
    router_url: str
    token: str = ""
    postgres_urls: dict[str, str] = field(default_factory=dict)

    def pids(self) -> dict[str, list[int]]:
        """Every service's processes (the supervisor's child and its workers)."""
        return {
            service.name: _process_tree(process.pid)
            for service, process in self.supervisor.processes
        }


def _mint(env: dict[str, str], *extra: str) -> str:
    command = [sys.executable, "-m", "wealthtech_cli", "token", "--role", "admin"]
    run = subprocess.run(
        [*command, "--scope", "pii:read", "--ttl", "6h", *extra],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return run.stdout.strip()


@contextlib.contextmanager
def running_system(
    data_dir: Path,
    *,
    processes: int,
    routers: int,
    postgres_urls: dict[str, str],
    audit_relay: bool = True,
    loading: bool = False,
) -> Iterator[System]:
    """Start the subgraphs and the router on free ports, the way ``wealthtech up`` does.

    ``loading``: for the data set load only, the router waits longer for a subgraph (a batch of
    25 writes with their owner checks can take more than the default 10 s on a busy machine,
    and a timed-out batch that committed anyway would come back as duplicates when retried).
    """
    env = dict(os.environ)
    if loading:
        env["ROUTER_SUBGRAPH_READ_TIMEOUT"] = "120"
        for service in SUBGRAPHS:
            env[f"{service.env_prefix}OWNER_TIMEOUT_SECONDS"] = "60"
    for service in SUBGRAPHS:
        for name in key_variable_names(service.env_prefix.rstrip("_")):
            env.pop(name, None)
        env.pop(f"{service.env_prefix}AUDIT_URL", None)
        for setting, _ in service.owners:
            env.pop(f"{service.env_prefix}{setting}", None)
        env[f"{service.env_prefix}PORT"] = str(free_port())
        env[f"{service.env_prefix}WORKERS"] = str(processes)
        env[f"{service.env_prefix}LOG_LEVEL"] = "warning"
        env[f"{service.env_prefix}AUDIT_RELAY_ENABLED"] = "true" if audit_relay else "false"
        if service.name in postgres_urls:
            env[f"{service.env_prefix}DATABASE_URL"] = postgres_urls[service.name]
        else:
            env.pop(f"{service.env_prefix}DATABASE_URL", None)
    for name in [k for k in env if k.startswith("ROUTER_SUBGRAPH_URL_")]:
        env.pop(name)
    if "router" in postgres_urls:
        env["ROUTER_IDEMPOTENCY_DATABASE_URL"] = postgres_urls["router"]
    env["ROUTER_PORT"] = str(free_port())
    env["WEALTHTECH_DATA_DIR"] = str(data_dir)
    env["PYTHONPATH"] = str(ROOT)
    data_dir.mkdir(parents=True, exist_ok=True)
    supergraph = data_dir / SUPERGRAPH_FILE
    supergraph.write_text(render_schema_files()[SUPERGRAPH_FILE], encoding="utf-8")
    supervisor = Supervisor(env, ready_timeout=120.0)
    try:
        for service in SUBGRAPHS:
            supervisor.start(service, ["serve"])
        for service in SUBGRAPHS:
            supervisor.wait_ready(service, "/healthz")
        router_args = ["--supergraph", str(supergraph), "--port", env["ROUTER_PORT"]]
        router_args += ["--log-level", "warning"]
        if routers > 1:
            router_args += ["--workers", str(routers)]
        supervisor.start(ROUTER, router_args)
        supervisor.wait_ready(ROUTER, "/readyz")
        system = System(supervisor, env, data_dir, ROUTER.base_url(env), _mint(env), postgres_urls)
        yield system
    finally:
        supervisor.stop()


# ------------------------------------------------------------------------------------------------
# PostgreSQL (a throwaway cluster, one database per subgraph)

DATABASES = ("users", "investments", "transactions", "compliance", "router")


@contextlib.contextmanager
def postgres_cluster() -> Iterator[str]:
    """Start scripts/pg-throwaway.sh on a free port; yield the server URL; stop it."""
    env = {**os.environ, "PG_THROWAWAY_PORT": str(free_port())}
    out = subprocess.run(
        ["bash", str(ROOT / "scripts/pg-throwaway.sh"), "start"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    values = dict(
        line.removeprefix("export ").split("=", 1) for line in out.splitlines() if "=" in line
    )
    if "TEST_POSTGRES_URL" not in values:
        raise SystemExit("PostgreSQL server binaries not found (pg_config --bindir)")
    try:
        yield values["TEST_POSTGRES_URL"]
    finally:
        subprocess.run(
            ["bash", str(ROOT / "scripts/pg-throwaway.sh"), "stop", values["PG_THROWAWAY_DIR"]],
            check=False,
        )


def _psql(server: str, sql: str) -> None:
    subprocess.run(["psql", server, "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True)


def database_urls(server: str) -> dict[str, str]:
    base = server.rsplit("/", 1)[0]
    return {name: f"{base}/bench_{name}" for name in DATABASES}


def create_databases(server: str) -> dict[str, str]:
    urls = database_urls(server)
    for name in DATABASES:
        _psql(server, f"DROP DATABASE IF EXISTS bench_{name}")
        _psql(server, f"CREATE DATABASE bench_{name}")
    return urls


def dump_databases(urls: dict[str, str], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, url in urls.items():
        subprocess.run(["pg_dump", "-Fc", "-f", str(folder / f"{name}.dump"), url], check=True)


def restore_databases(urls: dict[str, str], folder: Path) -> None:
    for name, url in urls.items():
        subprocess.run(
            ["pg_restore", "--no-owner", "-d", url, str(folder / f"{name}.dump")], check=True
        )
        subprocess.run(["psql", url, "-q", "-c", "ANALYZE"], check=True)


# ------------------------------------------------------------------------------------------------
# The data set, written through the router's GraphQL API


@dataclass
class Dataset:
    user_ids: list[str]
    account_ids: list[str]

    def save(self, path: Path) -> None:
        path.write_text(json.dumps({"users": self.user_ids, "accounts": self.account_ids}))

    @classmethod
    def read(cls, path: Path) -> Dataset:
        data = json.loads(path.read_text())
        return cls(data["users"], data["accounts"])


FIRST_NAMES = ("Amelia", "Oliver", "Isla", "George", "Ava", "Noah", "Mia", "Arthur", "Sofia", "Leo")
LAST_NAMES = ("Hughes", "Patel", "Rossi", "O'Neill", "Smith", "Jones", "Brown", "Khan", "Evans")
NATIONALITIES = ("GB", "IE", "FR", "DE", "IT", "ES", "NL", "US")
EMPLOYMENT = ("EMPLOYED", "SELF_EMPLOYED", "RETIRED", "STUDENT", "UNEMPLOYED")
WEALTH = ("EMPLOYMENT_INCOME", "SAVINGS", "INVESTMENTS", "PENSION", "INHERITANCE", "PROPERTY")
INFLOWS = ("DEPOSIT", "DEPOSIT", "DEPOSIT", "DIVIDEND", "INTEREST")
COMPLIANCE_EVENTS = (
    ("KYC_CHECK_PASSED", "CLEAR"),
    ("AML_SCREENING", "CLEAR"),
    ("PEP_SCREENING", "CLEAR"),
    ("SANCTIONS_SCREENING", "CLEAR"),
    ("SUITABILITY_ASSESSED", "CLEAR"),
)


Recover = Callable[[dict[int, dict[str, Any]]], Awaitable[dict[int, Any]]]


class Loader:
    """Batched GraphQL mutations through the router, a few requests in flight at once."""

    def __init__(self, client: httpx.AsyncClient, url: str, concurrency: int = 4) -> None:
        self.client = client
        self.url = url
        self.limit = asyncio.Semaphore(concurrency)
        self.bar = ProgressBar()

    async def _batch(
        self,
        field: str,
        args: str,
        kind: str,
        inputs: list[dict[str, Any]],
        recover: Recover | None = None,
    ) -> list:
        """Run one aliased mutation per input; retry only the ones that failed.

        ``recover`` finds the entities of inputs refused as DUPLICATE on a retry (created by an
        earlier attempt whose answer timed out), so that they count as done.
        """
        results: dict[int, Any] = {}
        for attempt in range(6):
            todo = [i for i in range(len(inputs)) if i not in results]
            if not todo:
                break
            signature = ", ".join(
                f"$v{i}: {kind}!" + (f", $k{i}: String!" if "_key" in inputs[i] else "")
                for i in todo
            )
            calls = " ".join(f"m{i}: {field}({args.format(i=i)}) {{ id version }}" for i in todo)
            variables: dict[str, Any] = {}
            for i in todo:
                variables[f"v{i}"] = {k: v for k, v in inputs[i].items() if k != "_key"}
                if "_key" in inputs[i]:
                    variables[f"k{i}"] = inputs[i]["_key"]
            body = {"query": f"mutation ({signature}) {{ {calls} }}", "variables": variables}
            try:
                async with self.limit:
                    response = await self.client.post(self.url, json=body)
                answer = response.json()
            except (httpx.TransportError, ValueError) as exc:
                # A connection the router closed while idle, or a lost answer: try again (the
                # creates that did commit come back as duplicates and are recovered below).
                answer = {"errors": [{"message": f"{type(exc).__name__}", "extensions": {}}]}
            data = answer.get("data") or {}
            for i in todo:
                if isinstance(data.get(f"m{i}"), dict):
                    results[i] = data[f"m{i}"]
            duplicate = False
            for error in answer.get("errors") or []:
                # A retried activation whose first attempt went through: done already.
                extensions = error.get("extensions") or {}
                path = error.get("path") or [""]
                if extensions.get("reason") == "STALE_VERSION" and attempt > 0:
                    index = int(str(path[0])[1:])
                    results[index] = {"id": inputs[index].get("id"), "version": None}
                duplicate |= extensions.get("reason") == "DUPLICATE" and attempt > 0
            if duplicate and recover is not None:
                # A retried create whose first attempt committed though its answer was lost.
                missing = [i for i in todo if i not in results]
                results.update(await recover({i: inputs[i] for i in missing}))
            if len(results) < len(inputs):
                if attempt == 5:
                    raise RuntimeError(f"{field}: {json.dumps(answer)[:800]}")
                await asyncio.sleep(0.5 * (attempt + 1))
        return [results[i] for i in range(len(inputs))]

    async def run(
        self,
        label: str,
        field: str,
        args: str,
        kind: str,
        inputs: list[dict[str, Any]],
        recover: Recover | None = None,
    ) -> list[dict[str, Any]]:
        done = 0
        results: list[Any] = [None] * len(inputs)

        async def one(start: int) -> None:
            nonlocal done
            chunk = inputs[start : start + ALIASES_PER_REQUEST]
            batch = await self._batch(field, args, kind, chunk, recover)
            for offset, result in enumerate(batch):
                results[start + offset] = result
            done += len(chunk)
            self.bar.update(done, len(inputs), label)

        await asyncio.gather(*(one(i) for i in range(0, len(inputs), ALIASES_PER_REQUEST)))
        self.bar.finish()
        return results


async def load_dataset(system: System, users: int) -> Dataset:
    rng = random.Random(12)
    headers = {"authorization": f"Bearer {system.token}"}
    async with httpx.AsyncClient(timeout=120, headers=headers) as client:
        loader = Loader(client, f"{system.router_url}/graphql")
        user_inputs = [
            {
                "title": rng.choice(("Mr", "Ms", "Dr", "Mrs")),
                "firstName": rng.choice(FIRST_NAMES),
                "lastName": rng.choice(LAST_NAMES),
                "dateOfBirth": f"{rng.randint(1940, 2004)}-{rng.randint(1, 12):02d}-"
                f"{rng.randint(1, 28):02d}",
                "nationality": rng.choice(NATIONALITIES),
                "emailAddress": f"bench.user{n}@example.com",
                "telephoneNumber": f"+4477009{n:05d}",
                "employmentStatus": rng.choice(EMPLOYMENT),
                "annualIncome": {"amount": f"{rng.randint(15, 400)}000.00", "currency": "GBP"},
                "sourcesOfWealth": rng.sample(WEALTH, rng.randint(1, 3)),
            }
            for n in range(users)
        ]
        created = await loader.run(
            "users", "createUser", "input: $v{i}", "CreateUserInput", user_inputs
        )
        user_ids = [user["id"] for user in created]
        account_inputs = [
            {
                "userId": user_id,
                "clientReference": f"BENCH-{n}-{kind}",
                "accountType": kind,
                "name": f"{kind} portfolio",
            }
            for n, user_id in enumerate(user_ids)
            for kind in ("ISA", "GIA")
        ]
        accounts = await loader.run(
            "accounts",
            "createInvestmentAccount",
            "input: $v{i}",
            "CreateInvestmentAccountInput",
            account_inputs,
            recover=lambda wanted: _existing_accounts(client, loader.url, wanted),
        )
        await loader.run(
            "account activations",
            "updateInvestmentAccount",
            "input: $v{i}",
            "UpdateInvestmentAccountInput",
            [
                {"id": account["id"], "version": account["version"], "status": "ACTIVE"}
                for account in accounts
            ],
        )
        account_ids = [account["id"] for account in accounts]
        transaction_inputs = [
            {
                "accountId": account_id,
                "type": rng.choice(INFLOWS),
                "considerationAmount": f"{rng.randint(10, 20000)}.{rng.randint(0, 99):02d}",
                "chargesAmount": f"{rng.randint(0, 9)}.{rng.randint(0, 99):02d}",
                "reference": f"bench {n}",
            }
            for account_id in account_ids
            for n in range(25)
        ]
        await _load_transactions(loader, transaction_inputs)
        log_inputs = [
            {
                "userId": user_id,
                "accountId": account_ids[2 * n + (k % 2)] if k % 4 == 3 else None,
                "eventType": COMPLIANCE_EVENTS[k % len(COMPLIANCE_EVENTS)][0],
                "outcome": COMPLIANCE_EVENTS[k % len(COMPLIANCE_EVENTS)][1],
                "provider": "bench",
                "logDetails": {"check": k, "score": rng.randint(0, 100)},
                "responseId": f"bench-{n}-{k}",
                "performedBy": "bench",
                "idempotencyKey": f"bench-log-{n}-{k}",
            }
            for n, user_id in enumerate(user_ids)
            for k in range(20)
        ]
        await loader.run(
            "compliance logs",
            "createComplianceLog",
            "input: $v{i}",
            "CreateComplianceLogInput",
            log_inputs,
        )
    return Dataset(user_ids, account_ids)


async def _existing_accounts(
    client: httpx.AsyncClient, url: str, wanted: dict[int, dict[str, Any]]
) -> dict[int, Any]:
    """The accounts already created for these inputs (matched by user and client reference)."""
    found: dict[int, Any] = {}
    query = (
        "query ($id: ID!) { user(id: $id) { investmentAccounts { nodes { id version "
        "clientReference } } } }"
    )
    for index, value in wanted.items():
        answer = (
            await client.post(url, json={"query": query, "variables": {"id": value["userId"]}})
        ).json()
        user = (answer.get("data") or {}).get("user") or {}
        for account in (user.get("investmentAccounts") or {}).get("nodes") or []:
            if account.get("clientReference") == value["clientReference"]:
                found[index] = {"id": account["id"], "version": account["version"]}
    return found


async def _load_transactions(loader: Loader, inputs: list[dict[str, Any]]) -> None:
    # Every transaction carries an idempotency key: a retried batch never creates one twice.
    keyed = [{**value, "_key": f"bench-load-{n}"} for n, value in enumerate(inputs)]
    done = 0

    async def one(start: int) -> None:
        nonlocal done
        chunk = keyed[start : start + ALIASES_PER_REQUEST]
        await loader._batch(
            "createTransaction",
            "input: $v{i}, idempotencyKey: $k{i}",
            "CreateTransactionInput",
            chunk,
        )
        done += len(chunk)
        loader.bar.update(done, len(keyed), "transactions")

    await asyncio.gather(*(one(i) for i in range(0, len(keyed), ALIASES_PER_REQUEST)))
    loader.bar.finish()


# ------------------------------------------------------------------------------------------------
# Snapshots


def snapshot_dir(cache: Path, users: int, postgres: bool) -> Path:
    backend = "postgres" if postgres else "sqlite"
    return cache / f"v{DATASET_VERSION}-{backend}-{users}users"


def _wal_checkpoint(data_dir: Path) -> None:
    for path in data_dir.glob("*.sqlite3"):
        with contextlib.closing(sqlite3.connect(path)) as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def save_snapshot(system_dir: Path, snapshot: Path, dataset: Dataset, pg: dict[str, str]) -> None:
    tmp = snapshot.with_name(snapshot.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    _wal_checkpoint(system_dir)
    shutil.copytree(system_dir, tmp / "data")
    if pg:
        dump_databases(pg, tmp / "pg")
    dataset.save(tmp / "dataset.json")
    shutil.rmtree(snapshot, ignore_errors=True)
    tmp.rename(snapshot)


def restore_snapshot(snapshot: Path, system_dir: Path, pg: dict[str, str]) -> Dataset:
    shutil.rmtree(system_dir, ignore_errors=True)
    shutil.copytree(snapshot / "data", system_dir)
    if pg:
        restore_databases(pg, snapshot / "pg")
    return Dataset.read(snapshot / "dataset.json")


# ------------------------------------------------------------------------------------------------
# Load generation


@dataclass
class LoadResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    statuses: dict[str, int]
    acknowledged: list[str]  # ids of the writes answered 201

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str


SCENARIO_INFO = {
    "pii": Scenario("pii", "users(first: 10), every PII field"),
    "profile": Scenario("profile", "users(first: 10), no PII field"),
    "portfolio": Scenario("portfolio", "user, accounts, transactions(first: 20) with amounts"),
    "rest-user": Scenario("rest-user", "REST GET /api/user/{id}"),
    "write": Scenario("write", "REST POST /api/transaction, Idempotency-Key"),
    "mix": Scenario("mix", "90% reads (pii, portfolio, rest-user) / 10% writes"),
}


def _lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string literal is a valid Lua string literal here


def wrk_script(scenario: str, token: str, dataset: Dataset, out_dir: Path, run_id: str) -> str:
    """The Lua script wrk runs: requests, Idempotency-Keys, acknowledged ids, percentiles."""
    users = dataset.user_ids[:1000]
    accounts = dataset.account_ids[:2000]
    pii = json.dumps({"query": PII_QUERY})
    profile = json.dumps({"query": PROFILE_QUERY})
    portfolio_head, portfolio_tail = json.dumps(
        {"query": PORTFOLIO_QUERY, "variables": {"id": "@ID@"}}
    ).split("@ID@")
    return f"""
local token = {_lua_string("Bearer " + token)}
local users = {{{",".join(_lua_string(u) for u in users)}}}
local accounts = {{{",".join(_lua_string(a) for a in accounts)}}}
local scenario = {_lua_string(scenario)}
local out_dir = {_lua_string(str(out_dir))}
local run_id = {_lua_string(run_id)}
local pii_body = {_lua_string(pii)}
local profile_body = {_lua_string(profile)}
local portfolio_head = {_lua_string(portfolio_head)}
local portfolio_tail = {_lua_string(portfolio_tail)}
local threads = {{}}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

function init(args)
  seq = 0
  math.randomseed(tid * 7919 + os.time())
  acked = io.open(out_dir .. "/acked-" .. tid .. ".txt", "w")
  gql_errors = 0
end

local function graphql(body)
  return wrk.format("POST", "/graphql",
    {{["Authorization"] = token, ["Content-Type"] = "application/json"}}, body)
end

local function pii() return graphql(pii_body) end
local function profile() return graphql(profile_body) end
local function portfolio()
  local id = users[math.random(#users)]
  return graphql(portfolio_head .. id .. portfolio_tail)
end
local function rest_user()
  return wrk.format("GET", "/api/user/" .. users[math.random(#users)],
    {{["Authorization"] = token}})
end
local function write()
  seq = seq + 1
  local account = accounts[math.random(#accounts)]
  local body = '{{"account_id":"' .. account .. '","type":"DEPOSIT",' ..
    '"consideration_amount":"' .. math.random(1, 5000) .. '.' .. math.random(10, 99) .. '",' ..
    '"charges_amount":"0.50","reference":"bench write"}}'
  return wrk.format("POST", "/api/transaction",
    {{["Authorization"] = token, ["Content-Type"] = "application/json",
     ["Idempotency-Key"] = "bench-" .. run_id .. "-" .. tid .. "-" .. seq}}, body)
end
local reads = {{pii, portfolio, rest_user}}

function request()
  if scenario == "pii" then return pii()
  elseif scenario == "profile" then return profile()
  elseif scenario == "portfolio" then return portfolio()
  elseif scenario == "rest-user" then return rest_user()
  elseif scenario == "write" then return write()
  else
    if math.random(10) == 1 then return write() end
    return reads[math.random(#reads)]()
  end
end

function response(status, headers, body)
  if status == 200 and body:find('"errors":', 1, true) then
    gql_errors = gql_errors + 1
  end
  if status == 201 then
    local id = body:match('"id":"(txn_[^"]+)"')
    if id then acked:write(id, "\\n") end
  end
end

function done(summary, latency, requests)
  local graphql_errors = 0
  for _, thread in ipairs(threads) do
    graphql_errors = graphql_errors + thread:get("gql_errors")
  end
  io.write("WRK_JSON " .. string.format(
    '{{"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,' ..
    '"errors":{{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"graphql":%d}}}}',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status,
    summary.errors.timeout, graphql_errors) .. "\\n")
end
"""


def run_wrk(
    url: str,
    script: str,
    *,
    connections: int,
    threads: int,
    duration: float,
    out_dir: Path,
) -> LoadResult:
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("acked-*.txt"):
        old.unlink()
    script_path = out_dir / "scenario.lua"
    script_path.write_text(script)
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        "--timeout",
        "30s",
        "-s",
        str(script_path),
        url,
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(part for part in output.splitlines() if part.startswith("WRK_JSON "))
    data = json.loads(line.removeprefix("WRK_JSON "))
    errors = sum(data["errors"].values())
    acknowledged = []
    for path in out_dir.glob("acked-*.txt"):
        acknowledged.extend(path.read_text().split())
    return LoadResult(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        errors=errors,
        statuses={"non-2xx": data["errors"]["status"], "graphql": data["errors"]["graphql"]},
        acknowledged=acknowledged,
    )


class AsyncioClient:
    """The fallback load generator: N connections, each sending its next request on an answer."""

    def __init__(self, base_url: str, token: str, dataset: Dataset, run_id: str) -> None:
        self.base_url = base_url
        self.token = token
        self.dataset = dataset
        self.run_id = run_id
        self.rng = random.Random(5)

    def request(self, scenario: str, seq: int) -> tuple[str, str, dict[str, str], bytes | None]:
        auth = {"authorization": f"Bearer {self.token}"}
        json_headers = {**auth, "content-type": "application/json"}
        if scenario == "mix":
            scenario = (
                "write"
                if self.rng.random() < 0.1
                else self.rng.choice(["pii", "portfolio", "rest-user"])
            )
        if scenario == "pii":
            return "POST", "/graphql", json_headers, json.dumps({"query": PII_QUERY}).encode()
        if scenario == "profile":
            return "POST", "/graphql", json_headers, json.dumps({"query": PROFILE_QUERY}).encode()
        if scenario == "portfolio":
            body = {
                "query": PORTFOLIO_QUERY,
                "variables": {"id": self.rng.choice(self.dataset.user_ids)},
            }
            return "POST", "/graphql", json_headers, json.dumps(body).encode()
        if scenario == "rest-user":
            return "GET", f"/api/user/{self.rng.choice(self.dataset.user_ids)}", auth, None
        body = {
            "account_id": self.rng.choice(self.dataset.account_ids),
            "type": "DEPOSIT",
            "consideration_amount": f"{self.rng.randint(1, 5000)}.{self.rng.randint(10, 99)}",
            "charges_amount": "0.50",
            "reference": "bench write",
        }
        headers = {**json_headers, "idempotency-key": f"bench-{self.run_id}-a-{seq}"}
        return "POST", "/api/transaction", headers, json.dumps(body).encode()

    async def run(self, scenario: str, connections: int, duration: float) -> LoadResult:
        latencies: list[float] = []
        acknowledged: list[str] = []
        errors = 0
        seq = 0
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        async with httpx.AsyncClient(base_url=self.base_url, limits=limits, timeout=30) as client:
            deadline = time.perf_counter() + duration
            started = time.perf_counter()

            async def worker() -> None:
                nonlocal errors, seq
                while time.perf_counter() < deadline:
                    seq += 1
                    method, path, headers, body = self.request(scenario, seq)
                    begin = time.perf_counter()
                    try:
                        response = await client.request(method, path, headers=headers, content=body)
                    except httpx.HTTPError:
                        errors += 1
                        continue
                    latencies.append(time.perf_counter() - begin)
                    if response.status_code >= 400:
                        errors += 1
                    elif response.status_code == 201:
                        acknowledged.append(response.json()["id"])

            await asyncio.gather(*(worker() for _ in range(connections)))
            seconds = time.perf_counter() - started
        latencies.sort()

        def pct(q: float) -> float:
            return (
                latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000
                if latencies
                else 0.0
            )

        return LoadResult(len(latencies), seconds, pct(0.5), pct(0.99), errors, {}, acknowledged)


# ------------------------------------------------------------------------------------------------
# Checks after a scenario


def _sqlite_count(path: Path, sql: str) -> int:
    with contextlib.closing(sqlite3.connect(path, timeout=30)) as db:
        return int(db.execute(sql).fetchone()[0])


def _pg_count(url: str, sql: str) -> int:
    out = subprocess.run(
        ["psql", url, "-At", "-c", sql], capture_output=True, text=True, check=True
    ).stdout
    return int(out.strip())


def count(system: System, subgraph: str, sql: str) -> int:
    if subgraph in system.postgres_urls:
        return _pg_count(system.postgres_urls[subgraph], sql)
    return _sqlite_count(system.data_dir / f"{subgraph}.sqlite3", sql)


AUDITED = ("users", "investments", "transactions", "compliance")


def audit_counts(system: System) -> dict[str, int]:
    """Outbox rows (written and still pending) per subgraph, and DATA_ACCESS logs recorded."""
    counts = {}
    for name in AUDITED:
        counts[f"{name}.outbox"] = count(system, name, "SELECT count(*) FROM audit_outbox")
        counts[f"{name}.pending"] = count(
            system, name, "SELECT count(*) FROM audit_outbox WHERE sent_at IS NULL"
        )
    counts["compliance.data_access_logs"] = count(
        system,
        "compliance",
        "SELECT count(*) FROM compliance_logs WHERE event_type = 'DATA_ACCESS'",
    )
    return counts


def wait_for_relay(system: System, limit: float) -> float:
    """Wait until every outbox is relayed (or ``limit`` seconds); return how long it took."""
    start = time.monotonic()
    while time.monotonic() - start < limit:
        counts = audit_counts(system)
        if all(counts[f"{name}.pending"] == 0 for name in AUDITED):
            break
        time.sleep(0.5)
    return time.monotonic() - start


def missing_writes(system: System, ids: list[str]) -> int:
    """How many acknowledged transaction ids are not in the transactions database."""
    if not ids:
        return 0
    found = 0
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        listed = ",".join("'" + i.replace("'", "") + "'" for i in chunk)
        found += count(
            system, "transactions", f"SELECT count(*) FROM transactions WHERE id IN ({listed})"
        )
    return len(ids) - found


# ------------------------------------------------------------------------------------------------
# Running


@dataclass
class Row:
    scenario: str
    processes: int
    result: LoadResult
    cpu_ms: dict[str, float]
    notes: list[str] = field(default_factory=list)


def probe(system: System, scenario: str, dataset: Dataset) -> str | None:
    """Send one request of the scenario; return what is wrong with its answer, if anything."""
    client = AsyncioClient(system.router_url, system.token, dataset, f"probe-{time.time()}")
    kinds = ["pii", "portfolio", "rest-user", "write"] if scenario == "mix" else [scenario]
    for kind in kinds:
        method, path, headers, body = client.request(kind, 0)
        response = httpx.request(
            method, system.router_url + path, headers=headers, content=body, timeout=60
        )
        answer = response.json()
        if response.status_code >= 300 or (isinstance(answer, dict) and answer.get("errors")):
            return f"{kind}: HTTP {response.status_code} {json.dumps(answer)[:600]}"
    return None


def measure(
    system: System,
    scenario: str,
    dataset: Dataset,
    options: argparse.Namespace,
    work_dir: Path,
    processes: int,
) -> Row:
    run_id = f"{int(time.time())}-{scenario}-{processes}"
    use_wrk = options.client == "wrk" or (options.client == "auto" and shutil.which("wrk"))

    def load(duration: float) -> LoadResult:
        if use_wrk:
            script = wrk_script(scenario, system.token, dataset, work_dir, run_id + f"-{duration}")
            return run_wrk(
                system.router_url,
                script,
                connections=options.connections,
                threads=options.threads,
                duration=duration,
                out_dir=work_dir,
            )
        client = AsyncioClient(system.router_url, system.token, dataset, run_id + f"-{duration}")
        return asyncio.run(client.run(scenario, options.connections, duration))

    problem = probe(system, scenario, dataset)
    if problem is not None:
        raise SystemExit(f"{scenario} does not answer as expected: {problem}")
    if options.warmup > 0:
        warm = load(options.warmup)
        acked_warm = warm.acknowledged
    else:
        acked_warm = []
    wait_for_relay(system, 60)
    before_audit = audit_counts(system)
    pids = system.pids()
    cpu_before = {name: cpu_seconds(p) for name, p in pids.items()}
    profilers = start_profilers(pids, options, scenario, processes)
    result = load(options.duration)
    stop_profilers(profilers)
    cpu_after = {name: cpu_seconds(p) for name, p in pids.items()}
    cpu_ms = {
        name: (cpu_after[name] - cpu_before[name]) * 1000 / max(1, result.requests) for name in pids
    }
    row = Row(scenario, processes, result, cpu_ms)
    if scenario in PII_SCENARIOS:
        drained = wait_for_relay(system, 300)
        cpu_drained = {name: cpu_seconds(p) for name, p in pids.items()}
        after_audit = audit_counts(system)
        events = sum(
            after_audit[f"{name}.outbox"] - before_audit[f"{name}.outbox"] for name in AUDITED
        )
        logs = (
            after_audit["compliance.data_access_logs"] - before_audit["compliance.data_access_logs"]
        )
        pending = sum(after_audit[f"{name}.pending"] for name in AUDITED)
        answered = result.requests - result.errors
        extra = sum(cpu_drained[name] - cpu_after[name] for name in pids) * 1000
        row.notes.append(
            f"audit: {answered} PII reads answered, {events} DATA_ACCESS events written "
            f"(outbox), {logs} DATA_ACCESS logs appended at compliance, {pending} pending; "
            f"relay drained {drained:.1f}s after the load "
            f"(+{extra / max(1, result.requests):.2f} CPU ms/request)"
        )
        if events < answered:
            row.notes.append("AUDIT MISMATCH: fewer events than answered PII reads")
    if scenario in ("write", "mix"):
        acked = result.acknowledged + acked_warm
        missing = missing_writes(system, acked)
        row.notes.append(
            f"writes: {len(acked)} acknowledged (201), {missing} of them missing afterwards"
        )
    return row


def start_profilers(
    pids: dict[str, list[int]], options: argparse.Namespace, scenario: str, processes: int
) -> list[subprocess.Popen[bytes]]:
    if not options.profile:
        return []
    folder = Path(options.profile)
    folder.mkdir(parents=True, exist_ok=True)
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    found = []
    for name, tree in pids.items():
        for pid in tree[-1:] if len(tree) > 1 else tree:  # one worker of each service is enough
            out = folder / f"{scenario}-p{processes}-{name}-{pid}"
            found.append(
                subprocess.Popen(
                    [
                        spy,
                        "record",
                        "-r",
                        "200",
                        "-o",
                        f"{out}.txt",
                        "-f",
                        "raw",
                        "-p",
                        str(pid),
                        "-d",
                        str(int(options.duration) + 2),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
    return found


def stop_profilers(profilers: list[subprocess.Popen[bytes]]) -> None:
    for profiler in profilers:
        try:
            profiler.wait(timeout=30)
        except subprocess.TimeoutExpired:
            profiler.send_signal(signal.SIGINT)
            profiler.wait(timeout=10)


def print_header(options: argparse.Namespace, client: str) -> None:
    load = os.getloadavg()
    print(
        f"bench/system.py  {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M UTC}  "
        f"{platform.node()}  {os.cpu_count()} CPUs  Python {platform.python_version()}  "
        f"load avg {load[0]:.2f}"
    )
    backend = "PostgreSQL (one database per subgraph)" if options.postgres else "SQLite"
    print(
        f"backend {backend}; {options.connections} connections, {options.duration:g} s per "
        f"scenario after {options.warmup:g} s warm-up; load generator: {client}"
    )


def print_table(rows: list[Row], names: Sequence[str]) -> None:
    columns = "  ".join(f"{name[:6]:>6}" for name in names)
    print(
        f"\n{'scenario':<10} {'proc':>4} {'requests':>8} {'RPS':>7} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'errors':>6}  CPU ms/request: {columns}"
    )
    for row in rows:
        cpu = "  ".join(f"{row.cpu_ms.get(name, 0):6.2f}" for name in names)
        r = row.result
        print(
            f"{row.scenario:<10} {row.processes:>4} {r.requests:>8} {r.rps:>7.0f} "
            f"{r.p50_ms:>7.1f} {r.p99_ms:>7.1f} {r.errors:>6}                  {cpu}"
        )
        for note in row.notes:
            print(f"{'':<16}{note}")
    sys.stdout.flush()


def prepare(
    options: argparse.Namespace, run_dir: Path, pg_server: str | None
) -> tuple[Dataset, dict[str, str]]:
    """Restore the cached data set, or load it through the API and cache it."""
    cache = Path(options.cache).resolve()
    snapshot = snapshot_dir(cache, options.users, options.postgres)
    pg_urls = create_databases(pg_server) if pg_server else {}
    if snapshot.exists() and not options.fresh:
        print(f"data set: restoring the snapshot {snapshot}", flush=True)
        return restore_snapshot(snapshot, run_dir, pg_urls), pg_urls
    print(
        f"data set: loading {options.users} users, {2 * options.users} accounts, "
        f"{50 * options.users} transactions, {20 * options.users} compliance logs through the API",
        flush=True,
    )
    started = time.monotonic()
    with running_system(
        run_dir, processes=1, routers=1, postgres_urls=pg_urls, audit_relay=False, loading=True
    ) as system:
        dataset = asyncio.run(load_dataset(system, options.users))
    print(f"data set loaded in {time.monotonic() - started:.0f} s; saving the snapshot", flush=True)
    cache.mkdir(parents=True, exist_ok=True)
    save_snapshot(run_dir, snapshot, dataset, pg_urls)
    return dataset, pg_urls


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per scenario")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of warm-up load")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--only", default=",".join(SCENARIOS), help="scenarios, comma-separated")
    parser.add_argument("--postgres", action="store_true", help="a PostgreSQL database each")
    parser.add_argument(
        "--processes", default="1", help="processes per subgraph; several (1,2,4) for a curve"
    )
    parser.add_argument("--routers", type=int, default=1, help="router processes")
    parser.add_argument("--users", type=int, default=1000, help="size of the data set")
    parser.add_argument("--cache", default=str(ROOT / "data" / "bench-cache"))
    parser.add_argument("--fresh", action="store_true", help="rebuild the data set snapshot")
    parser.add_argument("--client", choices=["auto", "wrk", "asyncio"], default="auto")
    parser.add_argument("--profile", default=None, help="folder for py-spy profiles")
    parser.add_argument("--keep", action="store_true", help="keep the run's data folder")
    options = parser.parse_args()
    scenarios = [name.strip() for name in options.only.split(",") if name.strip()]
    unknown = set(scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios: {sorted(unknown)}; choose from {', '.join(SCENARIOS)}")
    counts = [int(n) for n in options.processes.split(",")]
    client = (
        "wrk"
        if options.client == "wrk" or (options.client == "auto" and shutil.which("wrk"))
        else "asyncio + httpx (wrk not found)"
    )
    print_header(options, client)
    rows: list[Row] = []
    with contextlib.ExitStack() as stack:
        pg_server = stack.enter_context(postgres_cluster()) if options.postgres else None
        work = Path(tempfile.mkdtemp(prefix="wealthtech-bench-"))
        if not options.keep:
            stack.callback(shutil.rmtree, work, True)
        run_dir = work / "data"
        dataset, pg_urls = prepare(options, run_dir, pg_server)
        for processes in counts:
            if processes != counts[0]:
                dataset, pg_urls = (
                    restore_snapshot(
                        snapshot_dir(
                            Path(options.cache).resolve(), options.users, options.postgres
                        ),
                        run_dir,
                        create_databases(pg_server) if pg_server else {},
                    ),
                    pg_urls,
                )
            with running_system(
                run_dir, processes=processes, routers=options.routers, postgres_urls=pg_urls
            ) as system:
                names = [name for name in system.pids()]
                for scenario in scenarios:
                    print(
                        f"running {scenario} ({SCENARIO_INFO[scenario].description}), "
                        f"{processes} process(es) per subgraph ...",
                        flush=True,
                    )
                    rows.append(measure(system, scenario, dataset, options, work, processes))
                    print_table(rows[-1:], names)
        print("\nsummary")
        print_table(rows, ["router", *(s.name for s in SUBGRAPHS)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
