"""Run the reference gateway, npm ``@graphql-hive/gateway``, on a supergraph (tests and benchmark).

Hive Gateway is started as ``hive-gateway supergraph FILE --port N`` from ``tools/node`` with a
config file that switches off its in-flight request deduplication, so that it does the same work per
request as our router. It listens on loopback only and is stopped when the context exits.
"""

from __future__ import annotations

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


@dataclass(frozen=True)
class RunningHive:
    url: str  # the GraphQL endpoint
    pid: int


@contextmanager
def run_hive_gateway(
    node_tools: Path, supergraph_sdl: str, *, extra_args: tuple[str, ...] = (), startup: float = 60
) -> Iterator[RunningHive]:
    """Start Hive Gateway on ``supergraph_sdl`` and yield its endpoint once it answers."""
    binary = node_tools / "node_modules" / ".bin" / "hive-gateway"
    with tempfile.TemporaryDirectory(prefix="hive-gateway-") as work:
        directory = Path(work)
        (directory / "supergraph.graphql").write_text(supergraph_sdl, encoding="utf-8")
        (directory / "gateway.config.mjs").write_text(_CONFIG, encoding="utf-8")
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
