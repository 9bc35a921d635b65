"""compose.yml agrees with the CLI's table of services, and its parts work where they can run here.

Docker does not run on this machine, so the file is checked as data against
``wealthtech_cli/services.py`` (commands, ports, variable names, owner URLs, health checks,
start order, secrets) and against each subgraph's settings class (every variable names a real
setting). What can run without Docker runs for real: the PostgreSQL init script against a real
server, and the Hive Gateway variant's config in front of the real subgraphs.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import re
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import yaml
from sqlalchemy.engine import make_url

from router.auth import SecuritySettings
from router.settings import RouterSettings
from subgraphs.kit.keys import key_variable_names
from tests.conftest import node_tools_dir, postgres_url
from tests.running_system import RunningSystem, free_port, running_system
from wealthtech_cli.schema_files import SUPERGRAPH_FILE, render_schema_files
from wealthtech_cli.services import ROUTER, SUBGRAPHS, Service
from wealthtech_cli.subgraph_modules import load_settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "compose.yml").read_text(encoding="utf-8"))
HIVE = yaml.safe_load((ROOT / "compose.hive.yml").read_text(encoding="utf-8"))
SERVICES: dict[str, Any] = COMPOSE["services"]
VARIABLE = re.compile(r"\$\{([A-Z0-9_]+)(:?[-?])?([^}]*)\}")


def environment(name: str) -> dict[str, str]:
    env = SERVICES[name]["environment"]
    assert isinstance(env, dict), f"{name}: use the mapping form of environment"
    return {str(k): str(v) for k, v in env.items()}


def healthy_dependencies(name: str) -> set[str]:
    depends = SERVICES[name].get("depends_on") or {}
    assert isinstance(depends, dict), f"{name}: depends_on must name conditions"
    for dependency, condition in depends.items():
        assert condition == {"condition": "service_healthy"}, (name, dependency)
    return set(depends)


def health_url(name: str) -> str:
    test = " ".join(SERVICES[name]["healthcheck"]["test"])
    match = re.search(r"http://127\.0\.0\.1:(\d+)/(\w+)", test)
    assert match, f"{name}: the health check must call a local endpoint"
    return match.group(0)


@pytest.mark.parametrize("service", SUBGRAPHS, ids=lambda s: s.name)
def test_subgraph_service_matches_the_cli(service: Service) -> None:
    prefix = service.env_prefix
    compose = SERVICES[service.name]
    assert compose["command"] == ["python", "-m", service.module, "serve"]
    assert importlib.util.find_spec(service.module) is not None
    env = environment(service.name)
    assert env[f"{prefix}PORT"] == str(service.default_port)
    assert env[f"{prefix}HOST"] == "0.0.0.0"  # inside its container
    assert health_url(service.name) == f"http://127.0.0.1:{service.default_port}/healthz"
    database = make_url(env[f"{prefix}DATABASE_URL"].replace("${POSTGRES_PASSWORD:?", "x"))
    assert (database.host, database.port, database.database) == ("postgres", 5432, service.name)

    # Owners are called by compose service name on their ports, and started first.
    by_name = {s.name: s for s in SUBGRAPHS}
    owners = {f"{prefix}{setting}": owner for setting, owner in service.owners}
    for variable, owner in owners.items():
        assert env[variable] == f"http://{owner}:{by_name[owner].default_port}/graphql"
    assert healthy_dependencies(service.name) == {"postgres", *owners.values()}

    # Every variable is a real setting of this subgraph or one of its key variables, so a typo
    # cannot silently fall back to a default.
    settings_fields = set(type(load_settings(service.name)).model_fields)
    keys = set(key_variable_names(prefix.rstrip("_")))
    for variable in env:
        assert variable in keys or (
            variable.startswith(prefix) and variable[len(prefix) :].lower() in settings_fields
        ), f"{service.name}: {variable} is not a setting"
    # Production keys: one data key and one blind-index key, required from the environment.
    for variable in (f"{prefix}ENCRYPTION_SECRET_KEY", f"{prefix}BLIND_INDEX_KEY"):
        assert env[variable].startswith(f"${{{variable}:?"), variable
    # Only internal tokens signed by the router's key are accepted (never a generated dev pair).
    public_keys = env[f"{prefix}INTERNAL_TOKEN_PUBLIC_KEYS"]
    assert public_keys.startswith("${WEALTHTECH_INTERNAL_TOKEN_PUBLIC_KEYS:?")
    if service.name == "compliance":
        assert "${WEALTHTECH_AUDIT_PUBLIC_KEY:?" in public_keys  # audit events arrive here
    else:
        assert env[f"{prefix}AUDIT_URL"] == "http://compliance:4004/graphql"
        assert env[f"{prefix}AUDIT_SIGNING_KEY"].startswith("${WEALTHTECH_AUDIT_SIGNING_KEY:?")


def test_router_service_matches_the_cli() -> None:
    router = SERVICES["router"]
    assert router["command"] == [
        "python", "-m", ROUTER.module, "--supergraph", "schema/supergraph.graphql",
        "--host", "0.0.0.0", "--port", str(ROUTER.default_port),
    ]  # fmt: skip
    env = environment("router")
    urls = {k: v for k, v in env.items() if k.startswith("ROUTER_SUBGRAPH_URL_")}
    assert urls == {
        f"ROUTER_SUBGRAPH_URL_{s.name.upper()}": f"http://{s.name}:{s.default_port}/graphql"
        for s in SUBGRAPHS
    }
    # Every other variable is a real router setting (serving or security).
    fields = set(RouterSettings.model_fields) | set(SecuritySettings.model_fields)
    for variable in set(env) - set(urls):
        assert variable.startswith("ROUTER_") and variable[7:].lower() in fields, variable
    # Production: nothing generated, caller tokens verified, internal tokens signed.
    assert env["ROUTER_ENV"] == "production"
    for variable in ("ROUTER_JWT_HS256_SECRET", "ROUTER_INTERNAL_SIGNING_KEY"):
        assert env[variable].startswith(f"${{{variable}:?"), variable
    assert router["ports"] == [f"${{ROUTER_PUBLISHED_PORT:-4000}}:{ROUTER.default_port}"]
    assert health_url("router") == f"http://127.0.0.1:{ROUTER.default_port}/healthz"
    assert healthy_dependencies("router") == {s.name for s in SUBGRAPHS}
    # Only the router is published.
    assert [name for name, s in SERVICES.items() if s.get("ports")] == ["router"]


def test_postgres_service_makes_one_database_per_subgraph() -> None:
    postgres = SERVICES["postgres"]
    env = environment("postgres")
    assert env["WEALTHTECH_DATABASES"].split(",") == [s.name for s in SUBGRAPHS]
    assert env["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    mount = "./deploy/postgres/init-databases.sh:/docker-entrypoint-initdb.d/"
    assert any(volume.startswith(mount) for volume in postgres["volumes"])
    assert (ROOT / "deploy/postgres/init-databases.sh").stat().st_mode & 0o111
    # Healthy only once it answers over TCP, which the image does after running init scripts.
    assert "pg_isready -h 127.0.0.1" in " ".join(postgres["healthcheck"]["test"])


def test_every_secret_is_required_and_nothing_secret_is_written_down() -> None:
    text = (ROOT / "compose.yml").read_text(encoding="utf-8")
    for match in VARIABLE.finditer(text):
        name, operator, message = match.groups()
        if name.endswith("_PUBLISHED_PORT"):
            assert operator == ":-", name  # ports may default; secrets may not
            continue
        assert operator == ":?" and message.strip(), f"${{{name}}} must be ${{{name}:?message}}"
    # No literal key material: 64 hex digits or a long base64 run would be a committed secret.
    assert not re.search(r"\b[0-9a-fA-F]{64}\b|[A-Za-z0-9+/]{43}=", text)
    example = (ROOT / "deploy/example.env").read_text(encoding="utf-8")
    required = {m.group(1) for m in VARIABLE.finditer(text) if m.group(2) == ":?"}
    listed = {line.split("=")[0] for line in example.splitlines() if line and line[0] != "#"}
    assert listed == required
    assert all(line.endswith("=") for line in example.splitlines() if line and line[0] != "#")


def test_dockerfile_builds_what_compose_runs() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    for package in ("crypto", "subgraphs", "router", "wealthtech_cli", "schema"):
        assert f"COPY {package} ./{package}" in dockerfile
    ports = sorted([ROUTER.default_port] + [s.default_port for s in SUBGRAPHS])
    assert f"EXPOSE {' '.join(map(str, ports))}" in dockerfile
    assert "-c constraints.txt" in dockerfile
    assert all(SERVICES[s.name]["image"] == "wealthtech:latest" for s in (*SUBGRAPHS, ROUTER))


def test_hive_variant_serves_the_same_supergraph() -> None:
    gateway = HIVE["services"]["gateway"]
    assert "./schema/supergraph.graphql:/gateway/supergraph.graphql:ro" in gateway["volumes"]
    assert gateway["command"][:2] == ["supergraph", "/gateway/supergraph.graphql"]
    config = gateway["command"][gateway["command"].index("--config-path") + 1]
    assert f"./deploy/hive/gateway.config.mjs:{config}:ro" in gateway["volumes"]
    assert set(gateway["depends_on"]) == {s.name for s in SUBGRAPHS}
    assert all(c == {"condition": "service_healthy"} for c in gateway["depends_on"].values())
    token = gateway["environment"]["WEALTHTECH_INTERNAL_TOKEN"]
    assert token.startswith("${WEALTHTECH_INTERNAL_TOKEN:?")


def test_init_script_creates_the_databases_on_a_real_server(tmp_path: Path) -> None:
    server = postgres_url()
    if server is None:
        pytest.skip("no PostgreSQL server: set TEST_POSTGRES_URL (CI does)")
    url = make_url(server)
    names = [f"ops_init_{uuid.uuid4().hex[:8]}_{s.name}" for s in SUBGRAPHS]
    env = {
        **os.environ,
        "PGHOST": url.host or "127.0.0.1",
        "PGPORT": str(url.port or 5432),
        "PGPASSWORD": url.password or "",
        "POSTGRES_USER": url.username or "postgres",
        "POSTGRES_DB": url.database or "postgres",
        "WEALTHTECH_DATABASES": ",".join(names),
    }
    script = ROOT / "deploy/postgres/init-databases.sh"
    run = subprocess.run(["sh", str(script)], env=env, capture_output=True, text=True, check=False)

    async def existing() -> set[str]:
        dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        connection = await asyncpg.connect(dsn)
        try:
            rows = await connection.fetch("SELECT datname FROM pg_database")
            found = {row["datname"] for row in rows}
            for name in names:
                await connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
            return found
        finally:
            await connection.close()

    found = asyncio.run(existing())
    assert run.returncode == 0, run.stderr
    assert set(names) <= found


@pytest.fixture(scope="module")
def subgraphs_only(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSystem]:
    """The four subgraphs as processes, without our router: the gateway replaces it."""
    if node_tools_dir() is None:
        pytest.skip("node or tools/node/node_modules is missing (make install)")
    data_dir = tmp_path_factory.mktemp("hive-variant") / "data"
    with running_system(data_dir, with_router=False) as running:
        yield running


def test_hive_gateway_config_fronts_the_real_subgraphs(subgraphs_only: RunningSystem) -> None:
    tools = node_tools_dir()
    assert tools is not None
    system = subgraphs_only
    config = ROOT / "deploy/hive/gateway.config.mjs"
    # The supergraph's URLs are the default ports, where nothing of this test listens: only the
    # config's per-subgraph locations can make the query work.
    env = {**os.environ}
    for name, url in system.subgraph_urls.items():
        env[f"WEALTHTECH_{name.upper()}_URL"] = url
    env["WEALTHTECH_INTERNAL_TOKEN"] = system.internal_token
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="hive-variant-") as work:
        supergraph = Path(work) / SUPERGRAPH_FILE
        supergraph.write_text(render_schema_files()[SUPERGRAPH_FILE], encoding="utf-8")
        log = Path(work) / "gateway.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [str(tools / "node_modules/.bin/hive-gateway"), "supergraph", str(supergraph),
                 "--config-path", str(config), "--host", "127.0.0.1", "--port", str(port)],
                cwd=work, env=env, stdout=output, stderr=subprocess.STDOUT,
            )  # fmt: skip
            try:
                base = f"http://127.0.0.1:{port}"
                deadline = time.monotonic() + 60
                while True:
                    try:
                        if httpx.get(f"{base}/readiness", timeout=2).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    assert process.poll() is None and time.monotonic() < deadline, log.read_text(
                        errors="replace"
                    )[-3000:]
                    time.sleep(0.2)
                created = httpx.post(
                    f"{base}/graphql",
                    json={
                        "query": "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }",
                        "variables": {
                            "i": {
                                "firstName": "Hive", "lastName": "Variant",
                                "dateOfBirth": "1970-01-01", "nationality": "GB",
                                "emailAddress": "hive.variant@example.com",
                                "telephoneNumber": "+447700900888",
                                "employmentStatus": "RETIRED",
                                "annualIncome": {"amount": "1.00", "currency": "GBP"},
                                "sourcesOfWealth": ["PENSION"],
                            }
                        },
                    },
                    timeout=30,
                ).json()  # fmt: skip
                assert "errors" not in created, created
                user_id = created["data"]["createUser"]["id"]
                read = httpx.post(
                    f"{base}/graphql",
                    json={
                        "query": "query($id: ID!) { user(id: $id) { emailAddress kycStatus "
                        "investmentAccounts { edges { node { id } } } "
                        "transactions { edges { node { id } } } } }",
                        "variables": {"id": user_id},
                    },
                    timeout=30,
                ).json()
            finally:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
    assert read == {
        "data": {
            "user": {
                "emailAddress": "hive.variant@example.com",
                "kycStatus": "NOT_STARTED",
                "investmentAccounts": {"edges": []},
                "transactions": {"edges": []},
            }
        }
    }
