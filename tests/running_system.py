"""The whole system as real processes on free loopback ports, for end-to-end tests.

:func:`running_system` starts the four subgraphs (``python -m subgraphs.<name> serve``) and the
router (``python -m router``) through the same :class:`wealthtech_cli.up.Supervisor` that
``wealthtech up`` uses, each on a free port of 127.0.0.1, with a fresh data folder (SQLite
databases and development keys made on first start) and a supergraph composed from the subgraphs'
current schemas. Nothing is faked: requests cross real sockets, real processes and real databases.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from subgraphs.kit.keys import key_variable_names
from wealthtech_cli.schema_files import SUPERGRAPH_FILE, render_schema_files
from wealthtech_cli.services import ROUTER, SUBGRAPHS
from wealthtech_cli.up import Supervisor

__all__ = ["RunningSystem", "free_port", "running_system"]

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class RunningSystem:
    """Where the running system listens and keeps its data."""

    router_url: str
    subgraph_urls: dict[str, str]
    data_dir: Path
    environ: dict[str, str]
    # A development caller token (role admin, scope pii:read) for the router, and an internal
    # token for a standard gateway calling the subgraphs directly; both from `wealthtech token`.
    token: str
    internal_token: str
    # The processes' supervisor, for tests that kill and restart services (tests/fault).
    supervisor: Supervisor | None = None
    # Every router replica (the first is ``router_url``); one unless ``routers`` asked for more.
    router_urls: tuple[str, ...] = ()

    @property
    def graphql_url(self) -> str:
        return f"{self.router_url}/graphql"

    @property
    def headers(self) -> dict[str, str]:
        """Request headers of an authenticated API client."""
        return {"authorization": f"Bearer {self.token}"}


def mint_token(environ: dict[str, str], *extra: str) -> str:
    """Mint an admin token with ``pii:read`` through ``wealthtech token`` (the system's keys)."""
    command = [sys.executable, "-m", "wealthtech_cli", "token", "--role", "admin"]
    run = subprocess.run(
        [*command, "--scope", "pii:read", *extra],
        env=environ,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return run.stdout.strip()


@contextmanager
def running_system(
    data_dir: Path,
    *,
    ready_timeout: float = 90.0,
    with_router: bool = True,
    audit_relay: bool = False,
    environ: Mapping[str, str] | None = None,
    routers: int = 1,
) -> Iterator[RunningSystem]:
    """Run the whole system until the ``with`` block ends, then stop every process.

    ``with_router=False`` runs the subgraphs only (for a standard gateway in front of them).
    The audit relays are off unless ``audit_relay``: their DATA_ACCESS events land in the
    compliance chain at times of their own, which would make counts in these tests racy.
    ``environ`` adds settings (e.g. ``<PREFIX>_DATABASE_URL``, ``<PREFIX>_WORKERS``) over these;
    ``routers`` starts that many router replicas, each a process on a port of its own, sharing
    the subgraphs (and the idempotency store named by ``ROUTER_IDEMPOTENCY_DATABASE_URL``).
    """
    env = {k: v for k, v in os.environ.items()}
    for service in SUBGRAPHS:
        for name in key_variable_names(service.env_prefix.rstrip("_")):
            env.pop(name, None)
        env.pop(f"{service.env_prefix}DATABASE_URL", None)
        env.pop(f"{service.env_prefix}AUDIT_URL", None)  # follows the compliance port chosen here
        env[f"{service.env_prefix}AUDIT_RELAY_ENABLED"] = "true" if audit_relay else "false"
        env[f"{service.env_prefix}PORT"] = str(free_port())
        for setting, _ in service.owners:
            env.pop(f"{service.env_prefix}{setting}", None)  # follow the ports chosen here
    for name in [k for k in env if k.startswith("ROUTER_SUBGRAPH_URL_")]:
        env.pop(name)
    env[f"{ROUTER.env_prefix}PORT"] = str(free_port())
    env["WEALTHTECH_DATA_DIR"] = str(data_dir)
    env["PYTHONPATH"] = str(ROOT)
    env.update(environ or {})
    data_dir.mkdir(parents=True, exist_ok=True)
    supergraph = data_dir / SUPERGRAPH_FILE
    supergraph.write_text(render_schema_files()[SUPERGRAPH_FILE], encoding="utf-8")

    supervisor = Supervisor(env, ready_timeout=ready_timeout)
    replicas: list[Supervisor] = []
    try:
        for service in SUBGRAPHS:
            supervisor.start(service, ["serve"])
        for service in SUBGRAPHS:
            supervisor.wait_ready(service, "/healthz")
        if with_router:
            supervisor.start(
                ROUTER,
                [
                    "--supergraph",
                    str(supergraph),
                    "--port",
                    str(ROUTER.port(env)),
                    "--log-level",
                    "warning",
                ],
            )
            supervisor.wait_ready(ROUTER, "/readyz")
        router_urls = [ROUTER.base_url(env)]
        for _ in range(1, routers if with_router else 1):
            replica = {**env, f"{ROUTER.env_prefix}PORT": str(free_port())}
            replica_supervisor = Supervisor(replica, ready_timeout=ready_timeout)
            replicas.append(replica_supervisor)  # stopped before the rest
            replica_supervisor.start(
                ROUTER,
                [
                    "--supergraph",
                    str(supergraph),
                    "--port",
                    str(ROUTER.port(replica)),
                    "--log-level",
                    "warning",
                ],
            )
            replica_supervisor.wait_ready(ROUTER, "/readyz")
            router_urls.append(ROUTER.base_url(replica))
        yield RunningSystem(
            router_url=ROUTER.base_url(env),
            subgraph_urls={s.name: s.base_url(env) + "/graphql" for s in SUBGRAPHS},
            data_dir=data_dir,
            environ=env,
            token=mint_token(env),
            internal_token=mint_token(env, "--internal"),
            supervisor=supervisor,
            router_urls=tuple(router_urls),
        )
    finally:
        for replica_supervisor in replicas:
            replica_supervisor.stop()
        supervisor.stop()
