"""``python -m router`` with telemetry from the environment: JSON logs, metrics port, OTLP export.

The router runs as its own process, as in production, so these check the wiring the in-process
tests cannot: uvicorn's log configuration (every line on standard error is one JSON object), the
metrics port opened after startup, and the spans flushed when the process stops.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from router.auth import load_or_create_dev_secret, mint_dev_token
from tests.conftest import ROOT
from tests.integration.integration_system import free_port
from tests.telemetry.otlp_receiver import running_receiver
from tests.telemetry.telemetry_support import traceparent

SUPERGRAPH = ROOT / "schema" / "supergraph.graphql"
SUBGRAPHS = ("USERS", "INVESTMENTS", "TRANSACTIONS", "COMPLIANCE")


def _environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    environ = {
        key: value for key, value in os.environ.items() if not key.startswith(("ROUTER_", "OTEL_"))
    }
    environ["WEALTHTECH_DATA_DIR"] = str(tmp_path)
    # Nothing listens there: the subgraphs are not needed for these requests.
    for name in SUBGRAPHS:
        environ[f"ROUTER_SUBGRAPH_URL_{name}"] = f"http://127.0.0.1:{free_port()}/graphql"
    return {**environ, **extra}


def test_json_logs_metrics_and_traces_of_a_router_process(tmp_path: Path) -> None:
    port, metrics_port = free_port(), free_port()
    header, trace_id, span_id = traceparent()
    with running_receiver() as receiver:
        environ = _environment(
            tmp_path,
            ROUTER_LOG_FORMAT="json",
            ROUTER_METRICS_PORT=str(metrics_port),
            ROUTER_OTEL_TRACES_ENDPOINT=receiver.url,
        )
        process = subprocess.Popen(
            [sys.executable, "-m", "router", "--supergraph", str(SUPERGRAPH), "--port", str(port)],
            cwd=ROOT,
            env=environ,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_until_up(f"{url}/healthz", process)
            token = mint_dev_token(load_or_create_dev_secret(tmp_path / "keys"), roles=["admin"])
            response = httpx.post(
                f"{url}/graphql",
                json={"query": "query Ping { __typename }", "operationName": "Ping"},
                headers={"authorization": f"Bearer {token}", "traceparent": header},
                timeout=10,
            )
            assert response.status_code == 200, response.text
            request_id = response.headers["x-request-id"]
            scraped = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).text
            assert (
                'wealthtech_requests_total{operation="Ping",outcome="success",service="router"} 1.0'
                in scraped
            )
            assert httpx.get(f"{url}/metrics", timeout=10).status_code == 404
        finally:
            process.terminate()
            _, stderr = process.communicate(timeout=30)
        lines = [line for line in stderr.splitlines() if line.strip()]
        entries = [json.loads(line) for line in lines]  # every line: one JSON object
        assert any(e["logger"].startswith("uvicorn") for e in entries)
        access = [e for e in entries if e.get("trace_id") == trace_id]
        assert access, lines
        assert access[0]["request_id"] == request_id
        assert access[0]["operation"] == "Ping" and access[0]["status"] == 200
        assert token not in stderr
        spans = receiver.wait_for(lambda spans: any(s.trace_id == trace_id for s in spans))
        root = next(s for s in spans if s.trace_id == trace_id and s.parent_span_id == span_id)
        assert root.service == "router" and root.name == "POST /graphql Ping"


def test_a_metrics_port_with_several_workers_is_refused(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "router", "--supergraph", str(SUPERGRAPH), "--workers", "2"],
        cwd=ROOT,
        env=_environment(tmp_path, ROUTER_METRICS_PORT=str(free_port())),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "ROUTER_METRICS_PORT does not work with --workers > 1" in result.stderr


def _wait_until_up(url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                _, stderr = process.communicate(timeout=10)
                raise AssertionError(stderr) from None
            time.sleep(0.1)
