"""``wealthtech up``: run the four subgraphs and the router as supervised child processes.

On the embedded default each subgraph creates its SQLite database, applies its migrations and
generates development keys under the data folder on first start (``WEALTHTECH_DATA_DIR``, default
the per-user data directory of :mod:`wealthtech_cli.paths`, printed at startup). The supervisor
waits until every subgraph answers ``/healthz`` and the router answers ``/readyz``, prints the
URLs, then watches the children (ADR 0024):

- a child that exits on its own is restarted after an exponential backoff, logged and counted,
  while the others keep serving (the router's ``/readyz`` says ``degraded`` and names it);
- a child that crash-loops (``CRASH_LOOP_RESTARTS`` restarts within ``CRASH_LOOP_WINDOW``
  seconds) is given up on, and the supervisor says so; the rest of the system keeps running;
- Ctrl-C, SIGINT or SIGTERM (also sent to a background ``wealthtech up``) stops everything: every
  child gets SIGTERM, the router first; what has not exited after ``STOP_GRACE_SECONDS`` gets
  SIGKILL, and then the command exits non-zero.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import httpx

from .paths import data_dir_from, packaged_supergraph
from .services import ROUTER, SUBGRAPHS, Service, service_environment

__all__ = ["Child", "Supervisor", "run_up"]

STOP_GRACE_SECONDS = 10.0
STATUS_FILE = "up-status.json"  # in the data directory
BACKOFF_INITIAL_SECONDS = 0.5
BACKOFF_MAX_SECONDS = 30.0
CRASH_LOOP_RESTARTS = 5
CRASH_LOOP_WINDOW = 60.0
# A child that served this long since its last start is healthy again: its backoff starts over.
STABLE_AFTER_SECONDS = 60.0


class StartupFailed(RuntimeError):
    """A service exited or did not become ready in time."""


class Stop(Exception):
    """SIGINT or SIGTERM arrived: stop everything."""


def _log(message: str) -> None:
    print(f"wealthtech up: {message}", file=sys.stderr, flush=True)


@dataclass
class Child:
    """One supervised service: its process, restart history and whether it was given up on."""

    service: Service
    args: tuple[str, ...]
    process: subprocess.Popen[bytes]
    started_at: float
    restarts: int = 0  # since `wealthtech up` started
    recent: deque[float] = field(default_factory=deque)  # restart times within the window
    restart_at: float | None = None  # set while waiting out a backoff
    given_up: bool = False


@dataclass
class Supervisor:
    """Starts services in order, restarts the ones that die, stops them all together."""

    environ: Mapping[str, str]
    ready_timeout: float = 60.0
    backoff_initial: float = BACKOFF_INITIAL_SECONDS
    backoff_max: float = BACKOFF_MAX_SECONDS
    crash_loop_restarts: int = CRASH_LOOP_RESTARTS
    crash_loop_window: float = CRASH_LOOP_WINDOW
    stop_grace: float = STOP_GRACE_SECONDS
    clock: Callable[[], float] = time.monotonic
    # Where the supervisor keeps the state of every child (pid, state, restarts) for operators
    # and tests: rewritten on every change.
    status_file: Path | None = None
    children: list[Child] = field(default_factory=list)

    @property
    def processes(self) -> list[tuple[Service, subprocess.Popen[bytes]]]:
        """Each service with its current process."""
        return [(child.service, child.process) for child in self.children]

    def _spawn(self, service: Service, args: Sequence[str]) -> subprocess.Popen[bytes]:
        command = [sys.executable, "-m", service.module, *args]
        env = service_environment(service, self.environ)
        # Each child gets its own process group, so that Ctrl-C in the terminal reaches only the
        # supervisor, which then stops the children in order instead of all dying at once.
        return subprocess.Popen(command, env=env, start_new_session=True)  # noqa: S603

    def start(self, service: Service, args: Sequence[str] = ()) -> None:
        """Start one service as ``python -m <module> [args]`` with its environment."""
        process = self._spawn(service, args)
        self.children.append(Child(service, tuple(args), process, started_at=self.clock()))
        self.write_status()

    def status(self) -> dict[str, dict[str, object]]:
        """Return each service's pid, state (running, restarting, crash-loop) and restarts."""
        out: dict[str, dict[str, object]] = {}
        for child in self.children:
            if child.given_up:
                state = "stopped: crash loop"
            elif child.restart_at is not None or child.process.poll() is not None:
                state = "restarting"
            else:
                state = "running"
            out[child.service.name] = {
                "pid": child.process.pid,
                "state": state,
                "restarts": child.restarts,
            }
        return out

    def write_status(self) -> None:
        if self.status_file is None:
            return
        text = json.dumps({"services": self.status()}, indent=2, sort_keys=True)
        partial = self.status_file.with_name(self.status_file.name + ".tmp")
        partial.write_text(text + "\n", encoding="utf-8")
        partial.replace(self.status_file)

    def child(self, name: str) -> Child:
        return next(c for c in self.children if c.service.name == name)

    def wait_ready(self, service: Service, path: str) -> None:
        """Poll ``path`` on ``service`` until it answers 200, or fail."""
        url = service.base_url(self.environ) + path
        deadline = time.monotonic() + self.ready_timeout
        process = self.child(service.name).process
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

    def backoff(self, child: Child) -> float:
        """Seconds to wait before the next restart: doubling with each recent restart."""
        return min(self.backoff_max, self.backoff_initial * 2.0 ** len(child.recent))

    def supervise_once(self) -> None:
        """Notice exited children, schedule their restart or give up on them; start the due."""
        now = self.clock()
        for child in self.children:
            if child.given_up:
                continue
            if child.restart_at is not None:
                if now >= child.restart_at:
                    self._restart(child, now)
                continue
            status = child.process.poll()
            if status is None:
                continue
            if now - child.started_at >= STABLE_AFTER_SECONDS:
                child.recent.clear()
            while child.recent and now - child.recent[0] > self.crash_loop_window:
                child.recent.popleft()
            name = child.service.name
            if len(child.recent) >= self.crash_loop_restarts:
                child.given_up = True
                self.write_status()
                _log(
                    f"{name} exited with status {status} after {len(child.recent)} restarts "
                    f"within {self.crash_loop_window:g}s: crash loop, not restarting it again; "
                    "the other services keep running (fix it and run `wealthtech up` again)"
                )
                continue
            delay = self.backoff(child)
            child.restart_at = now + delay
            self.write_status()
            _log(
                f"{name} exited unexpectedly with status {status}; restarting it in {delay:g}s "
                f"(restart {child.restarts + 1}); the other services keep serving"
            )

    def _restart(self, child: Child, now: float) -> None:
        child.restart_at = None
        child.restarts += 1
        child.recent.append(now)
        child.started_at = now
        child.process = self._spawn(child.service, child.args)
        self.write_status()
        _log(f"{child.service.name} restarted (pid {child.process.pid}, restart {child.restarts})")

    def all_given_up(self) -> bool:
        return bool(self.children) and all(child.given_up for child in self.children)

    def stop(self) -> bool:
        """Stop every child (the router first, then the subgraphs): SIGTERM, then SIGKILL.

        Return whether every child stopped within the grace period (False: one had to be killed).
        """
        running = [c.process for c in reversed(self.children) if c.process.poll() is None]
        for process in running:
            process.terminate()  # Popen ignores a child that has exited in between
        deadline = time.monotonic() + self.stop_grace
        clean = True
        for child in reversed(self.children):
            process = child.process
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _log(f"{child.service.name} did not stop within {self.stop_grace:g}s; killing it")
                process.kill()
                process.wait()
                clean = False
        return clean


def run_up(supergraph: Path | None = None, environ: Mapping[str, str] | None = None) -> int:
    """Run the whole system until interrupted; return the exit status."""
    env = dict(os.environ if environ is None else environ)
    data_dir = data_dir_from(env)
    env["WEALTHTECH_DATA_DIR"] = str(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    supergraph_file = supergraph.resolve() if supergraph else packaged_supergraph()
    supervisor = Supervisor(env, status_file=data_dir / STATUS_FILE)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        raise Stop(signal.Signals(signum).name)

    # Installed explicitly for SIGINT too: a shell starts a background job with SIGINT ignored,
    # and Python then installs no KeyboardInterrupt handler, so `kill -INT` did nothing.
    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    status = 0
    try:
        print(f"wealthtech up: data in {data_dir}", flush=True)
        print(f"wealthtech up: supergraph {supergraph_file}", flush=True)
        for service in SUBGRAPHS:
            supervisor.start(service, ["serve"])
        for service in SUBGRAPHS:
            supervisor.wait_ready(service, "/healthz")
        supervisor.start(
            ROUTER, ["--supergraph", str(supergraph_file), "--port", str(ROUTER.port(env))]
        )
        supervisor.wait_ready(ROUTER, "/readyz")
        router = ROUTER.base_url(env)
        print(f"\nwealthtech is up (data in {data_dir}):")
        print(f"  GraphQL and GraphiQL  {router}/graphql")
        print(f"  REST                  {router}/api/...  (OpenAPI: {router}/docs)")
        for service in SUBGRAPHS:
            print(f"  subgraph {service.name:<13}{service.base_url(env)}/graphql")
        print("  caller token          wealthtech token --role admin --scope pii:read")
        print("Press Ctrl-C to stop.", flush=True)
        while not supervisor.all_given_up():
            supervisor.supervise_once()
            time.sleep(0.2)
        _log("every service crash-looped; stopping")
        status = 1
    except StartupFailed as exc:
        _log(f"error: {exc}; stopping")
        status = 1
    except (Stop, KeyboardInterrupt) as exc:
        _log(f"{exc or 'interrupted'}: stopping every service")
    finally:
        # A second Ctrl-C while stopping must not leave children behind: ignored until done.
        for signum in previous:
            signal.signal(signum, signal.SIG_IGN)
        if not supervisor.stop():
            status = 1
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _log("stopped" if status == 0 else f"stopped (exit status {status})")
    return status
