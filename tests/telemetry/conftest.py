"""Fixtures of the telemetry tests: the whole system with traces, metrics and access logs on.

One system per module (five servers on loopback, as in tests/integration), with every service
exporting its spans to one real OTLP/HTTP receiver and serving ``/metrics`` on a port of its own.
The settings come from the environment, as in production: the standard
``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` for all, ``<PREFIX>_METRICS_PORT`` and
``<PREFIX>_ACCESS_LOG`` per service.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from telemetry import ACCESS_LOGGER, JsonFormatter
from tests.integration.integration_system import (
    IntegrationSystem,
    free_port,
    running_integration_system,
)
from tests.telemetry.otlp_receiver import OtlpReceiver, running_receiver

PREFIXES = {
    "router": "ROUTER",
    "users": "USERS",
    "investments": "INVESTMENTS",
    "transactions": "TRANSACTIONS",
    "compliance": "COMPLIANCE",
}


@dataclass
class ObservedSystem:
    system: IntegrationSystem
    receiver: OtlpReceiver
    metrics_ports: dict[str, int]
    logs: io.StringIO
    data_dir: Path

    def metrics_url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.metrics_ports[service]}/metrics"

    def log_lines(self) -> list[str]:
        return [line for line in self.logs.getvalue().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def observed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ObservedSystem]:
    data_dir = tmp_path_factory.mktemp("telemetry-data")
    ports = {service: free_port() for service in PREFIXES}
    logs = io.StringIO()
    handler = logging.StreamHandler(logs)
    handler.setFormatter(JsonFormatter(service="test"))
    access = logging.getLogger(ACCESS_LOGGER)
    saved = (access.level, access.propagate)
    access.addHandler(handler)
    access.setLevel(logging.INFO)
    access.propagate = False
    try:
        with running_receiver() as receiver, pytest.MonkeyPatch.context() as env:
            env.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", receiver.url)
            # Export every 100 ms (the SDK's default is 5 s) so the test does not wait long.
            env.setenv("OTEL_BSP_SCHEDULE_DELAY", "100")
            for service, prefix in PREFIXES.items():
                env.setenv(f"{prefix}_METRICS_PORT", str(ports[service]))
                env.setenv(f"{prefix}_ACCESS_LOG", "true")
            with running_integration_system(data_dir, audit_relay=True) as system:
                yield ObservedSystem(system, receiver, ports, logs, data_dir)
    finally:
        access.removeHandler(handler)
        access.setLevel(saved[0])
        access.propagate = saved[1]
