"""Prometheus metrics of one service: a registry of its own, and a server on a separate port.

Each app gets its own ``CollectorRegistry`` (never the process-wide default), so several apps in
one process (the tests run the whole system in one) keep their numbers apart. Values that are
cheap to count are counted as they happen; values that need a look (the database pool, the
audit outbox) are refreshed by async hooks at scrape time, on the service's own event loop.

The metrics server is a small HTTP/1.1 server on the same event loop, bound to
``<P>_METRICS_HOST:<P>_METRICS_PORT`` (default host 127.0.0.1), so a scrape never shares the
public port and its callers. It answers ``GET /metrics`` and nothing else.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Awaitable, Callable

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

__all__ = ["CONTENT_TYPE", "Metrics", "MetricsServer", "seconds_since"]

log = logging.getLogger(__name__)
CONTENT_TYPE: str = CONTENT_TYPE_LATEST
# Request latencies of a gateway and its subgraphs: from a millisecond to tens of seconds.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
# Client-chosen label values (operation names) are capped: beyond this many, "other".
MAX_OPERATIONS = 500
_HOOK_TIMEOUT = 5.0

RefreshHook = Callable[[], Awaitable[None]]


class Metrics:
    """The registry of one service and the request metrics every service has."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.registry = CollectorRegistry(auto_describe=True)
        self._hooks: list[RefreshHook] = []
        self._operations: set[str] = set()
        self.requests = Counter(
            "wealthtech_requests",
            "Requests served, by operation name and outcome.",
            ["service", "operation", "outcome"],
            registry=self.registry,
        )
        self.request_duration = Histogram(
            "wealthtech_request_duration_seconds",
            "Time from the request's arrival to the end of its response, by operation and outcome.",
            ["service", "operation", "outcome"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )

    def operation_label(self, name: str | None) -> str:
        """Return the label value for an operation name, bounded in how many there can be."""
        if not name:
            return ""
        if name in self._operations:
            return name
        if len(self._operations) >= MAX_OPERATIONS:
            return "other"
        self._operations.add(name)
        return name

    def observe_request(self, operation: str | None, outcome: str, seconds: float) -> None:
        label = self.operation_label(operation)
        self.requests.labels(self.service, label, outcome).inc()
        self.request_duration.labels(self.service, label, outcome).observe(seconds)

    def add_refresh_hook(self, hook: RefreshHook) -> None:
        """Run ``await hook()`` before each scrape (it sets gauges from a fresh look)."""
        self._hooks.append(hook)

    async def exposition(self) -> bytes:
        """Return the registry in the Prometheus text format, after the refresh hooks ran."""
        for hook in self._hooks:
            try:
                await asyncio.wait_for(hook(), _HOOK_TIMEOUT)
            except Exception as exc:  # a failing look must not cost the other metrics
                log.warning("metrics refresh hook failed: %s", type(exc).__name__)
        return generate_latest(self.registry)


class MetricsServer:
    """``GET /metrics`` on a port of its own, served on the running event loop."""

    def __init__(self, metrics: Metrics, host: str, port: int) -> None:
        self.metrics = metrics
        self.host = host
        self.port = port
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, self.host, self.port)
        sockets = self._server.sockets
        if sockets:
            self.port = sockets[0].getsockname()[1]  # the real port when 0 was asked for
        log.info("metrics on http://%s:%d/metrics", self.host, self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            method, _, rest = head.partition(b" ")
            target = rest.partition(b" ")[0].partition(b"?")[0]
            if method not in (b"GET", b"HEAD"):
                status, body, kind = b"405 Method Not Allowed", b"GET only\n", b"text/plain"
            elif target != b"/metrics":
                status, body, kind = b"404 Not Found", b"not found\n", b"text/plain"
            else:
                body = await self.metrics.exposition()
                status, kind = b"200 OK", CONTENT_TYPE.encode("ascii")
            writer.write(
                b"HTTP/1.1 "
                + status
                + b"\r\ncontent-type: "
                + kind
                + b"\r\ncontent-length: "
                + str(len(body)).encode("ascii")
                + b"\r\nconnection: close\r\n\r\n"
                + (body if method != b"HEAD" else b"")
            )
            await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass  # not an HTTP request within bounds: close it
        except ConnectionError:
            pass  # the scraper went away
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


def seconds_since(moment: object) -> float:
    """Return the seconds since ``moment`` (datetime, naive = UTC, or ISO text); 0 if none."""
    if isinstance(moment, str):  # SQLite handing back the stored text
        moment = dt.datetime.fromisoformat(moment)
    if not isinstance(moment, dt.datetime):
        return 0.0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return max(0.0, (dt.datetime.now(dt.UTC) - moment).total_seconds())
