"""``wealthtech up``: run the four subgraphs and the router as child processes.

On the embedded default each subgraph creates its SQLite database, applies its migrations and
generates development keys under the data folder on first start. The supervisor waits until every
subgraph answers ``/healthz`` and the router answers ``/readyz``, prints the URLs, and on Ctrl-C
(or SIGTERM, or any child dying) stops them all: SIGTERM first, SIGKILL after a grace period.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import httpx

from .services import ROUTER, SUBGRAPHS, Service, service_environment

__all__ = ["Supervisor", "run_up"]

STOP_GRACE_SECONDS = 10.0


class StartupFailed(RuntimeError):
    """A service exited or did not become ready in time."""


@dataclass
class Supervisor:
    """Starts services in order, watches them and stops them all together."""

    environ: Mapping[str, str]
    ready_timeout: float = 60.0
    processes: list[tuple[Service, subprocess.Popen[bytes]]] = field(default_factory=list)

    def start(self, service: Service, args: Sequence[str] = ()) -> None:
        """Start one service as ``python -m <module> [args]`` with its environment."""
        command = [sys.executable, "-m", service.module, *args]
        env = service_environment(service, self.environ)
        # Each child gets its own process group, so that Ctrl-C in the terminal reaches only the
        # supervisor, which then stops the children in order instead of all dying at once.
        process = subprocess.Popen(command, env=env, start_new_session=True)  # noqa: S603
        self.processes.append((service, process))

    def wait_ready(self, service: Service, path: str) -> None:
        """Poll ``path`` on ``service`` until it answers 200, or fail."""
        url = service.base_url(self.environ) + path
        deadline = time.monotonic() + self.ready_timeout
        process = dict((s.name, p) for s, p in self.processes)[service.name]
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise StartupFailed(f"{service.name} exited with status {process.returncode}")
            try:
                if httpx.get(url, timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise StartupFailed(f"{service.name} was not ready at {url} within {self.ready_timeout:g}s")

    def first_exited(self) -> tuple[Service, int] | None:
        """Return a service that has exited, with its status, if any."""
        for service, process in self.processes:
            status = process.poll()
            if status is not None:
                return service, status
        return None

    def stop(self) -> None:
        """Stop every child: the router first, then the subgraphs; kill what does not stop."""
        for _, process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for _, process in reversed(self.processes):
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def run_up(supergraph: Path, environ: Mapping[str, str] | None = None) -> int:
    """Run the whole system until interrupted; return the exit status."""
    env = dict(os.environ if environ is None else environ)
    data_dir = Path(env.setdefault("WEALTHTECH_DATA_DIR", str(Path("data").resolve())))
    data_dir.mkdir(parents=True, exist_ok=True)
    supervisor = Supervisor(env)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    try:
        for service in SUBGRAPHS:
            supervisor.start(service, ["serve"])
        for service in SUBGRAPHS:
            supervisor.wait_ready(service, "/healthz")
        supervisor.start(ROUTER, ["--supergraph", str(supergraph), "--port", str(ROUTER.port(env))])
        supervisor.wait_ready(ROUTER, "/readyz")
        router = ROUTER.base_url(env)
        print(f"\nwealthtech is up (data in {data_dir}):")
        print(f"  GraphQL and GraphiQL  {router}/graphql")
        print(f"  REST                  {router}/api/...  (OpenAPI: {router}/docs)")
        for service in SUBGRAPHS:
            print(f"  subgraph {service.name:<13}{service.base_url(env)}/graphql")
        print("  caller token          wealthtech token --role admin --scope pii:read")
        print("Press Ctrl-C to stop.", flush=True)
        while (exited := supervisor.first_exited()) is None:
            time.sleep(0.5)
        print(f"{exited[0].name} exited with status {exited[1]}; stopping.", file=sys.stderr)
        return 1
    except StartupFailed as exc:
        print(f"error: {exc}; stopping.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nstopping...", file=sys.stderr)
        return 0
    finally:
        supervisor.stop()
