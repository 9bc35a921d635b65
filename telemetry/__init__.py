"""Traces, metrics and logs for the router and every subgraph (ADR 0020).

A service reads its :class:`TelemetrySettings` from the environment under its own prefix, builds
one :class:`Telemetry` and installs :class:`TelemetryMiddleware` when anything is on; the
service's observer (``router/observability.py``, ``subgraphs/kit/observability.py``) adds what
only it knows. This package imports nothing from the router or the subgraphs.
"""

from telemetry.asgi import TelemetryMiddleware
from telemetry.core import RequestRecord, Telemetry, current_request
from telemetry.logs import ACCESS_LOGGER, JsonFormatter, current_request_id, log_config
from telemetry.metrics import Metrics, MetricsServer
from telemetry.settings import TelemetrySettings
from telemetry.tracing import Tracing

__all__ = [
    "ACCESS_LOGGER",
    "JsonFormatter",
    "Metrics",
    "MetricsServer",
    "RequestRecord",
    "Telemetry",
    "TelemetryMiddleware",
    "TelemetrySettings",
    "Tracing",
    "current_request",
    "current_request_id",
    "log_config",
]
