"""``wealthtech up``: from any directory, supervised (restarts, crash loops), stopped by signals."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from itertools import count
from pathlib import Path
from typing import Any

import httpx
import pytest

from subgraphs.kit.keys import key_variable_names
from tests.running_system import free_port, mint_token
from wealthtech_cli.paths import packaged_supergraph
from wealthtech_cli.schema_files import SUPERGRAPH_FILE
from wealthtech_cli.services import ROUTER, SUBGRAPHS, Service
from wealthtech_cli.up import STATUS_FILE, Child, Supervisor

ROOT = Path(__file__).resolve().parents[2]


def _up_environment(tmp_path: Path) -> tuple[dict[str, str], dict[str, int]]:
    env = dict(os.environ)
    ports = {s.name: free_port() for s in (*SUBGRAPHS, ROUTER)}
    for service in (*SUBGRAPHS, ROUTER):
        env[f"{service.env_prefix}PORT"] = str(ports[service.name])
        for name in key_variable_names(service.env_prefix.rstrip("_")):
            env.pop(name, None)
        env.pop(f"{service.env_prefix}DATABASE_URL", None)
        for setting, _ in service.owners:
            env.pop(f"{service.env_prefix}{setting}", None)
    for name in [k for k in env if k.startswith("ROUTER_SUBGRAPH_URL_")]:
        env.pop(name)
    # No data directory given: the per-user default applies, here inside the test's own home.
    env.pop("WEALTHTECH_DATA_DIR", None)
    env["XDG_DATA_HOME"] = str(tmp_path / "xdg")
    env["HOME"] = str(tmp_path / "home")
    env.pop("PYTHONPATH", None)  # the installed package, not the checkout, must be enough
    return env, ports


def _answers(url: str) -> bool:
    try:
        httpx.get(url, timeout=1)
    except httpx.TransportError:
        return False
    return True


def test_up_from_an_empty_directory_restarts_a_killed_subgraph_and_stops_on_sigint(
    tmp_path: Path,
) -> None:
    env, ports = _up_environment(tmp_path)
    empty = tmp_path / "elsewhere"
    empty.mkdir()

    def background_job() -> None:
        # What a non-interactive shell does to `wealthtech up &`: SIGINT ignored from the start.
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    process = subprocess.Popen(
        [sys.executable, "-m", "wealthtech_cli", "up"],
        cwd=empty,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=background_job,
    )
    router = f"http://127.0.0.1:{ports['router']}"
    lines: queue.Queue[str] = queue.Queue()

    def read_output() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put("")  # end of output: the process exited

    reader = threading.Thread(target=read_output, daemon=True)
    reader.start()
    printed: list[str] = []

    def wait_for(text: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in printed):
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            assert line, f"wealthtech up exited: {''.join(printed)}"
            printed.append(line)

    data_dir = tmp_path / "xdg" / "wealthtech"
    try:
        # Ready is when `up` says so (after its own readiness checks), not when a port answers.
        wait_for("Press Ctrl-C to stop.")
        assert f"wealthtech up: data in {data_dir}\n" in printed
        assert f"wealthtech up: supergraph {packaged_supergraph()}\n" in printed
        assert not list(empty.iterdir())  # nothing written where it was started
        query = {"query": "{ users { edges { node { id } } } }"}
        # Callers authenticate: a development token from `wealthtech token` opens the API.
        assert httpx.post(f"{router}/graphql", json=query).status_code == 401
        token_env = {**env, "WEALTHTECH_DATA_DIR": str(data_dir)}
        headers = {"authorization": f"Bearer {mint_token(token_env)}"}
        answer = httpx.post(f"{router}/graphql", json=query, headers=headers)
        assert answer.json() == {"data": {"users": {"edges": []}}}
        # First run: a database and development keys per subgraph were made in the data folder.
        for service in SUBGRAPHS:
            assert (data_dir / f"{service.name}.sqlite3").is_file()
            assert (data_dir / "keys" / f"{service.name}.keyring.json").is_file()

        # kill -9 of compliance: the others keep serving, /readyz names it, up restarts it.
        status = json.loads((data_dir / STATUS_FILE).read_text())["services"]
        assert {s["state"] for s in status.values()} == {"running"}
        os.kill(status["compliance"]["pid"], signal.SIGKILL)
        deadline = time.monotonic() + 30
        while _answers(f"http://127.0.0.1:{ports['compliance']}/healthz"):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        both = {"query": "{ users(first: 2) { nodes { id kycStatus } } }"}
        during = httpx.post(f"{router}/graphql", json=both, headers=headers).json()
        assert during["data"] == {"users": {"nodes": []}}  # users answered; no user, no fetch
        ready = httpx.get(f"{router}/readyz").json()
        assert ready["status"] == "degraded" and ready["degraded"] == ["compliance"]
        wait_for("compliance exited unexpectedly with status -9; restarting it")
        wait_for("compliance restarted")
        deadline = time.monotonic() + 60
        while httpx.get(f"{router}/readyz").json()["status"] != "ok":
            assert time.monotonic() < deadline, httpx.get(f"{router}/readyz").text
            time.sleep(0.2)
        status = json.loads((data_dir / STATUS_FILE).read_text())["services"]
        assert status["compliance"]["restarts"] == 1
        assert status["compliance"]["state"] == "running"
        assert status["users"]["restarts"] == 0
    finally:
        process.send_signal(signal.SIGINT)  # to a background job: what `kill -INT` sends
        process.wait(timeout=60)
        reader.join(timeout=10)
        assert process.stdout is not None
        process.stdout.close()
    while not lines.empty():
        printed.append(lines.get())
    assert process.returncode == 0, "".join(printed)
    assert any("SIGINT: stopping every service" in line for line in printed)
    assert f"  GraphQL and GraphiQL  {router}/graphql\n" in printed
    # Every process is gone: nothing answers on any of the ports any more.
    for name, port in ports.items():
        assert not _answers(f"http://127.0.0.1:{port}/healthz"), f"{name} survived SIGINT"


class _Exited:
    """A child process that has already exited with ``status``."""

    pids = count(1000)

    def __init__(self, status: int | None) -> None:
        self.pid = next(self.pids)
        self.returncode = status

    def poll(self) -> int | None:
        return self.returncode

    def terminate(self) -> None:
        self.returncode = -15

    def wait(self, timeout: float | None = None) -> int | None:
        return self.returncode

    def kill(self) -> None:  # pragma: no cover - never needed by these fakes
        self.returncode = -9


class _FakeSupervisor(Supervisor):
    """Spawns fakes: ``crashing`` services exit at once, the others keep running."""

    crashing: frozenset[str] = frozenset()

    def _spawn(self, service: Service, args: Any) -> Any:
        return _Exited(1 if service.name in self.crashing else None)


def test_a_crash_loop_stops_that_service_only_with_growing_backoff(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    now = [0.0]
    supervisor = _FakeSupervisor({}, clock=lambda: now[0], status_file=tmp_path / STATUS_FILE)
    supervisor.crashing = frozenset({"compliance"})
    for service in SUBGRAPHS:
        supervisor.start(service, ["serve"])
    delays = []
    for _ in range(40):
        supervisor.supervise_once()
        compliance = supervisor.child("compliance")
        if compliance.given_up:
            break
        if compliance.restart_at is not None:
            delays.append(compliance.restart_at - now[0])
            now[0] = compliance.restart_at
    assert delays == [0.5, 1.0, 2.0, 4.0, 8.0]  # 5 restarts in 15.5 s: a crash loop
    assert supervisor.child("compliance").given_up
    assert supervisor.child("compliance").restarts == 5
    status = json.loads((tmp_path / STATUS_FILE).read_text())["services"]
    assert status["compliance"]["state"] == "stopped: crash loop"
    assert status["users"] == {"pid": status["users"]["pid"], "restarts": 0, "state": "running"}
    assert not supervisor.all_given_up()  # the other three keep running
    err = capsys.readouterr().err
    assert "compliance exited unexpectedly with status 1; restarting it in 0.5s" in err
    assert "crash loop, not restarting it again; the other services keep running" in err


def test_a_service_that_ran_long_enough_starts_its_backoff_over() -> None:
    now = [0.0]
    supervisor = _FakeSupervisor({}, clock=lambda: now[0])
    supervisor.crashing = frozenset({"users"})
    supervisor.start(SUBGRAPHS[0], ["serve"])
    for _ in range(3):
        supervisor.supervise_once()
        now[0] = supervisor.child("users").restart_at or now[0]
        supervisor.supervise_once()
    supervisor.supervise_once()
    assert supervisor.child("users").restart_at == pytest.approx(now[0] + 4.0)
    # Restarted, then it served for two minutes before exiting: a fresh start, 0.5 s again.
    now[0] = supervisor.child("users").restart_at or 0.0
    supervisor.supervise_once()
    now[0] += 120
    supervisor.supervise_once()
    assert supervisor.child("users").restart_at == pytest.approx(now[0] + 0.5)


def test_stop_kills_a_child_that_ignores_sigterm_and_says_so() -> None:
    wait = "print(flush=True); time.sleep(60)"
    stubborn = f"import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); {wait}"
    polite = f"import time; {wait}"
    supervisor = Supervisor({}, stop_grace=1.0)
    started = []
    for code in (polite, stubborn):
        process = subprocess.Popen(
            [sys.executable, "-c", code], stdout=subprocess.PIPE, start_new_session=True
        )
        assert process.stdout is not None
        process.stdout.readline()  # its SIGTERM handler is in place
        started.append(process)
        supervisor.children.append(Child(SUBGRAPHS[len(started)], (), process, started_at=0.0))
    try:
        assert supervisor.stop() is False  # one had to be killed: `up` exits non-zero
    finally:
        for process in started:
            if process.poll() is None:  # pragma: no cover - only if stop() failed
                process.kill()
            process.wait()
            assert process.stdout is not None
            process.stdout.close()
    assert started[0].returncode == -signal.SIGTERM
    assert started[1].returncode == -signal.SIGKILL


def test_the_supergraph_ships_with_the_package() -> None:
    shipped = packaged_supergraph()
    assert shipped.read_text() == (ROOT / "schema" / SUPERGRAPH_FILE).read_text()
