"""``wealthtech up``: the whole system from one command, ready, then stopped cleanly by Ctrl-C."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx

from subgraphs.kit.keys import key_variable_names
from tests.running_system import ROOT, free_port, mint_token
from wealthtech_cli.schema_files import SUPERGRAPH_FILE, render_schema_files
from wealthtech_cli.services import ROUTER, SUBGRAPHS


def test_up_starts_everything_on_first_run_and_ctrl_c_stops_it_all(tmp_path: Path) -> None:
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
    data_dir = tmp_path / "data"
    env["WEALTHTECH_DATA_DIR"] = str(data_dir)
    supergraph = tmp_path / SUPERGRAPH_FILE
    supergraph.write_text(render_schema_files()[SUPERGRAPH_FILE], encoding="utf-8")

    process = subprocess.Popen(
        [sys.executable, "-m", "wealthtech_cli", "up", "--supergraph", str(supergraph)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
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
    try:
        # Ready is when `up` says so (after its own readiness checks), not when a port answers.
        while not printed or printed[-1].strip() != "Press Ctrl-C to stop.":
            line = lines.get(timeout=120)
            assert line, f"wealthtech up exited during start-up: {printed}"
            printed.append(line)
        query = {"query": "{ users { edges { node { id } } } }"}
        # Callers authenticate: a development token from `wealthtech token` opens the API.
        assert httpx.post(f"{router}/graphql", json=query).status_code == 401
        token = mint_token(env)
        answer = httpx.post(
            f"{router}/graphql", json=query, headers={"authorization": f"Bearer {token}"}
        )
        assert answer.json() == {"data": {"users": {"edges": []}}}
        # First run: a database and development keys per subgraph were made in the data folder.
        for service in SUBGRAPHS:
            assert (data_dir / f"{service.name}.sqlite3").is_file()
            assert (data_dir / "keys" / f"{service.name}.keyring.json").is_file()
    finally:
        process.send_signal(signal.SIGINT)  # what Ctrl-C sends
        process.wait(timeout=60)
        reader.join(timeout=10)
        assert process.stdout is not None
        process.stdout.close()
    assert process.returncode == 0
    assert f"  GraphQL and GraphiQL  {router}/graphql\n" in printed
    # Every process is gone: nothing answers on any of the ports any more.
    for name, port in ports.items():
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
        except httpx.TransportError:
            continue
        raise AssertionError(f"{name} still answers on port {port} after Ctrl-C")
