"""``Telemetry``: what one app records (metrics, traces, the access log), and each request's record.

An app builds one ``Telemetry`` from its ``TelemetrySettings`` and installs
:class:`telemetry.asgi.TelemetryMiddleware` with it, only when something is switched on: with
everything off no layer is added and a request pays nothing. The service-specific observers
(``router/observability.py``, ``subgraphs/kit/observability.py``) add their own metrics to its
registry and annotate the current request's :class:`RequestRecord`, which the middleware turns
into the request metrics, the server span's attributes and the access log line.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telemetry.logs import ACCESS_LOGGER
from telemetry.metrics import Metrics, MetricsServer
from telemetry.settings import TelemetrySettings
from telemetry.tracing import Tracing

__all__ = ["RequestRecord", "Telemetry", "current_request"]

log = logging.getLogger(__name__)


@dataclass(slots=True)
class RequestRecord:
    """What the layers of one request tell the telemetry middleware about it.

    ``operation`` is the GraphQL operation's name (never its document or variables),
    ``outcome`` one of ``success``, ``partial``, ``rejected``, ``unauthenticated``, ``error``
    (None: decided from the status), ``subject`` the caller's ``sub``, ``refusal`` the error
    code of a request refused before it reached its endpoint.
    """

    method: str
    path: str
    operation: str | None = None
    outcome: str | None = None
    subject: str | None = None
    refusal: str | None = None
    status: int = 0


current_request: contextvars.ContextVar[RequestRecord | None] = contextvars.ContextVar(
    "wealthtech_request", default=None
)

FinishHook = Callable[[RequestRecord, float], None]
LifecycleHook = Callable[[], Awaitable[None]]


class Telemetry:
    """Metrics registry, tracer and access logger of one app, and their lifecycle."""

    def __init__(self, settings: TelemetrySettings) -> None:
        self.settings = settings
        self.metrics = Metrics(settings.service)
        self.tracing = Tracing(settings) if settings.tracing else None
        self.access_log = logging.getLogger(ACCESS_LOGGER) if settings.access_log else None
        self.server: MetricsServer | None = None
        self.finish_hooks: list[FinishHook] = []
        self.stop_hooks: list[LifecycleHook] = []

    @property
    def active(self) -> bool:
        return self.settings.active

    async def start(self) -> None:
        """Open the metrics port (after the app's own startup)."""
        if self.settings.metrics_port is not None:
            server = MetricsServer(
                self.metrics, self.settings.metrics_host, self.settings.metrics_port
            )
            await server.start()
            self.server = server

    async def stop(self) -> None:
        """Close the metrics port and flush pending spans (after the app's own shutdown)."""
        for hook in self.stop_hooks:
            try:
                await hook()
            except Exception as exc:
                log.warning("telemetry stop hook failed: %s", type(exc).__name__)
        if self.server is not None:
            await self.server.stop()
            self.server = None
        if self.tracing is not None:
            # The exporter posts synchronously (bounded by its timeout): off the event loop.
            await asyncio.to_thread(self.tracing.shutdown)
