"""Run the reference gateway, npm ``@graphql-hive/gateway``, on a supergraph (tests and benchmark).

Hive Gateway is started as ``hive-gateway supergraph FILE --port N`` from ``tools/node`` with a
config file that switches off its in-flight request deduplication, so that it does the same work per
request as our router. It listens on loopback only and is stopped when the context exits.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.router.standins import free_port

# Deduplication off (https://the-guild.dev/graphql/hive/docs/gateway/other-features/performance/
# deduplicate-request): identical concurrent subgraph requests would otherwise be sent once.
_CONFIG = """export const gatewayConfig = {
  transportEntries: { "*.http": { options: { deduplicateInflightRequests: false } } },
};
"""
# With an internal token (subgraphs that require one, docs/security.md): the documented way for a
# standard gateway, a token minted for it (`wealthtech token --internal`) sent on every subgraph
# request. It is read from the environment, never written into the config file.
_CONFIG_WITH_TOKEN = """export const gatewayConfig = {
  transportEntries: { "*.http": { options: { deduplicateInflightRequests: false } } },
  propagateHeaders: {
    fromClientToSubgraphs: () => ({ "x-internal-token": process.env.WEALTHTECH_INTERNAL_TOKEN }),
  },
};
"""


@dataclass(frozen=True)
class RunningHive:
    url: str  # the GraphQL endpoint
    pid: int


@contextmanager
def run_hive_gateway(
    node_tools: Path,
    supergraph_sdl: str,
    *,
    extra_args: tuple[str, ...] = (),
    startup: float = 60,
    internal_token: str | None = None,
) -> Iterator[RunningHive]:
    """Start Hive Gateway on ``supergraph_sdl`` and yield its endpoint once it answers.

    ``internal_token`` (a ``wealthtech token --internal`` token) is sent to every subgraph as
    ``X-Internal-Token``, as a standard gateway in front of our subgraphs must.
    """
    binary = node_tools / "node_modules" / ".bin" / "hive-gateway"
    with tempfile.TemporaryDirectory(prefix="hive-gateway-") as work:
        directory = Path(work)
        (directory / "supergraph.graphql").write_text(supergraph_sdl, encoding="utf-8")
        config = _CONFIG if internal_token is None else _CONFIG_WITH_TOKEN
        (directory / "gateway.config.mjs").write_text(config, encoding="utf-8")
        environ = dict(os.environ)
        if internal_token is not None:
            environ["WEALTHTECH_INTERNAL_TOKEN"] = internal_token
        port = free_port()
        log = (directory / "gateway.log").open("wb")
        process = subprocess.Popen(
            [
                str(binary), "supergraph", str(directory / "supergraph.graphql"),
                "--host", "127.0.0.1", "--port", str(port),
                "--config-path", str(directory / "gateway.config.mjs"),
                *extra_args,
            ],
            cwd=directory,
            env=environ,
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + startup
            while True:
                try:
                    if httpx.get(f"{base}/readiness", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    output = (directory / "gateway.log").read_text(errors="replace")[-3000:]
                    raise RuntimeError(f"Hive Gateway did not start:\n{output}")
                time.sleep(0.2)
            yield RunningHive(url=f"{base}/graphql", pid=process.pid)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()
