"""What a subgraph adds to the shared telemetry (ADR 0020): its spans, events and metrics.

The telemetry middleware continues the router's trace (``traceparent``) with the subgraph's
server span; under it this module adds a ``db.query`` span per SQL statement (database system
and statement kind only: no SQL text, no parameters), an ``encryption.open`` /
``encryption.seal`` event per sealed field (table, column and key id, never the value) and an
``audit.write`` span for the DATA_ACCESS outbox write.

Metrics: decryptions by key id (counted as they happen), and, refreshed at scrape time, the
database pool (connections in use and idle), the audit outbox backlog and the relay lag (the
age of the oldest event not yet delivered to compliance).
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from prometheus_client import Counter, Gauge
from sqlalchemy import column, event, func, select, table
from starlette.types import ASGIApp, Receive, Scope, Send

from telemetry import Telemetry, TelemetryMiddleware, current_request
from telemetry.metrics import seconds_since

if TYPE_CHECKING:
    from .database import Database

__all__ = [
    "SubgraphObserver",
    "SubgraphTelemetryMiddleware",
    "audit_write_span",
    "current_observer",
    "note_caller",
    "note_operation",
    "opened",
    "sealed",
]

current_observer: contextvars.ContextVar[SubgraphObserver | None] = contextvars.ContextVar(
    "wealthtech_subgraph_observer", default=None
)
# audit.OUTBOX_TABLE, by name: audit imports sealing, which imports this module.
_OUTBOX = table("audit_outbox", column("created_at"), column("sent_at"))
_SPAN_KEY = "_wealthtech_span"


def _key_id(envelope: str) -> str:
    # "wt1.A256GCM.<key id>.<body>" (crypto/envelope.py): the key id is not secret.
    parts = envelope.split(".", 3)
    return parts[2] if len(parts) == 4 else "unknown"


class SubgraphObserver:
    """The subgraph's spans and metrics, on one app's :class:`~telemetry.Telemetry`."""

    def __init__(self, telemetry: Telemetry, subgraph: str) -> None:
        self.telemetry = telemetry
        self.subgraph = subgraph
        tracing = telemetry.tracing
        self.tracer: trace.Tracer | None = tracing.tracer if tracing is not None else None
        registry = telemetry.metrics.registry
        self.decryptions = Counter(
            "wealthtech_subgraph_decryptions",
            "Sealed fields opened, by data key id.",
            ["subgraph", "key_id"],
            registry=registry,
        )
        self.pool_connections = Gauge(
            "wealthtech_subgraph_db_pool_connections",
            "Database pool connections, in use (checked out) and idle.",
            ["subgraph", "state"],
            registry=registry,
        )
        self.pool_size = Gauge(
            "wealthtech_subgraph_db_pool_size",
            "Configured size of the database pool (without overflow).",
            ["subgraph"],
            registry=registry,
        )
        self.outbox_backlog = Gauge(
            "wealthtech_subgraph_audit_outbox_backlog",
            "DATA_ACCESS events in the outbox not yet delivered to compliance.",
            ["subgraph"],
            registry=registry,
        )
        self.relay_lag = Gauge(
            "wealthtech_subgraph_audit_relay_lag_seconds",
            "Age of the oldest undelivered DATA_ACCESS event (0 when none is waiting).",
            ["subgraph"],
            registry=registry,
        )
        self._database: Database | None = None
        self._outbox = False
        telemetry.metrics.add_refresh_hook(self._refresh)

    def attach(self, database: Database, *, outbox: bool) -> None:
        """Observe this database (called by the app's lifespan once it has built it)."""
        self._database = database
        self._outbox = outbox
        if self.tracer is not None:
            engine = database.engine.sync_engine
            event.listen(engine, "before_cursor_execute", self._before_statement)
            event.listen(engine, "after_cursor_execute", self._after_statement)
            event.listen(engine, "handle_error", self._failed_statement)

    # ---- database spans -----------------------------------------------------------------------

    def _before_statement(
        self, _conn: Any, _cursor: Any, statement: str, _params: Any, context: Any, _many: bool
    ) -> None:
        if self.tracer is None or not trace.get_current_span().is_recording():
            return  # outside a traced request (the relay's rounds): no trace of their own
        span = self.tracer.start_span(
            "db.query",
            kind=SpanKind.CLIENT,
            attributes={
                "db.system.name": self._database.engine.dialect.name if self._database else "",
                "db.operation.name": statement.lstrip().split(None, 1)[0].upper()[:16]
                if statement.strip()
                else "",
            },
        )
        setattr(context, _SPAN_KEY, span)

    def _after_statement(
        self, _conn: Any, _cursor: Any, _statement: str, _params: Any, context: Any, _many: bool
    ) -> None:
        span = getattr(context, _SPAN_KEY, None)
        if span is not None:
            span.end()
            setattr(context, _SPAN_KEY, None)

    def _failed_statement(self, exception_context: Any) -> None:
        context = exception_context.execution_context
        span = getattr(context, _SPAN_KEY, None) if context is not None else None
        if span is not None:
            # The exception's type only: its text may quote the statement's parameters.
            error = type(exception_context.original_exception).__name__
            span.set_status(Status(StatusCode.ERROR, error))
            span.end()
            setattr(context, _SPAN_KEY, None)

    # ---- scrape-time gauges -------------------------------------------------------------------

    async def _refresh(self) -> None:
        database = self._database
        if database is None:
            return
        pool = database.engine.pool
        checked_out = getattr(pool, "checkedout", None)
        checked_in = getattr(pool, "checkedin", None)
        size = getattr(pool, "size", None)
        if callable(checked_out) and callable(checked_in):
            self.pool_connections.labels(self.subgraph, "in_use").set(checked_out())
            self.pool_connections.labels(self.subgraph, "idle").set(checked_in())
        if callable(size):
            self.pool_size.labels(self.subgraph).set(size())
        if not self._outbox:
            return
        async with database.session() as session:
            count, oldest = (
                await session.execute(
                    select(func.count(), func.min(_OUTBOX.c.created_at)).where(
                        _OUTBOX.c.sent_at.is_(None)
                    )
                )
            ).one()
        self.outbox_backlog.labels(self.subgraph).set(int(count or 0))
        self.relay_lag.labels(self.subgraph).set(seconds_since(oldest))


class SubgraphTelemetryMiddleware(TelemetryMiddleware):
    """The telemetry middleware, with the subgraph's observer current during each request."""

    def __init__(self, app: ASGIApp, *, observer: SubgraphObserver) -> None:
        super().__init__(app, telemetry=observer.telemetry, paths=("/graphql",))
        self.observer = observer

    async def _request(self, scope: Scope, receive: Receive, send: Send, path: str) -> None:
        token = current_observer.set(self.observer)
        try:
            await super()._request(scope, receive, send, path)
        finally:
            current_observer.reset(token)


# ---- hooks the kit calls (each costs one context variable look-up when telemetry is off) -------


def opened(envelope: str, table_name: str, column_name: str) -> None:
    """Count and note one decryption (key id, table, column; never the value)."""
    observer = current_observer.get()
    if observer is None:
        return
    key_id = _key_id(envelope)
    observer.decryptions.labels(observer.subgraph, key_id).inc()
    span = trace.get_current_span()
    if span.is_recording():
        span.add_event(
            "encryption.open",
            {"db.table": table_name, "db.column": column_name, "wealthtech.key_id": key_id},
        )


def sealed(envelope: str | None, table_name: str, column_name: str) -> None:
    """Note one encryption on the current span (key id, table, column; never the value)."""
    if envelope is None or current_observer.get() is None:
        return
    span = trace.get_current_span()
    if span.is_recording():
        span.add_event(
            "encryption.seal",
            {
                "db.table": table_name,
                "db.column": column_name,
                "wealthtech.key_id": _key_id(envelope),
            },
        )


@contextmanager
def audit_write_span(accessed: int) -> Iterator[None]:
    """Span the DATA_ACCESS audit write of a request (``accessed``: rows recorded)."""
    observer = current_observer.get()
    if observer is None or observer.tracer is None:
        yield
        return
    with observer.tracer.start_as_current_span(
        "audit.write", attributes={"wealthtech.accessed_rows": accessed}
    ):
        yield


def note_operation(operation_name: object, *, errors: bool, data: bool) -> None:
    """Tell the request record the operation's name and outcome (metrics, access log)."""
    record = current_request.get()
    if record is None:
        return
    if isinstance(operation_name, str) and operation_name:
        record.operation = operation_name
    record.outcome = "success" if not errors else "partial" if data else "error"


def note_caller(subject: str) -> None:
    """Tell the request record who called (the internal token's subject)."""
    record = current_request.get()
    if record is not None:
        record.subject = subject
