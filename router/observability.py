"""What the router adds to the shared telemetry (ADR 0020): its spans and its own metrics.

Spans, under the server span the telemetry middleware opened for the client request:
``graphql.parse`` and ``graphql.validate`` (when the document is not cached yet),
``graphql.plan`` (with ``wealthtech.plan_cache_hit``), ``graphql.execute``, and one
``subgraph.fetch`` client span per subgraph request, whose context goes to the subgraph as a
W3C ``traceparent`` header so the subgraph's spans join the same trace.

Metrics (Prometheus names, base units): plan cache hits and misses, subgraph fetch latency and
errors by subgraph, query limit refusals and authentication failures (from the refusals of the
security layer, by error code), and each subgraph's circuit breaker state and transitions (from
``SubgraphClient.add_breaker_listener``).

Attributes name operations, subgraphs and error codes; never a variable, a field value or a token.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from prometheus_client import Counter, Gauge, Histogram

from router.execution import RequestContext, SubgraphTransport, SubgraphUnavailable
from router.resilience import BreakerState
from telemetry import RequestRecord, Telemetry, current_request
from telemetry.metrics import LATENCY_BUCKETS

if TYPE_CHECKING:  # router.http.reload imports this module
    from router.http.reload import ReloadEvent

__all__ = ["ObservedTransport", "RouterObserver"]

# Refusals of the security layer that are query limits (router/limits), by their error code.
LIMIT_CODES = frozenset(
    {
        "PAYLOAD_TOO_LARGE",
        "QUERY_TOO_DEEP",
        "TOO_MANY_ALIASES",
        "TOO_MANY_TOKENS",
        "PAGE_SIZE_TOO_LARGE",
        "INTROSPECTION_DISABLED",
    }
)
_BREAKER_VALUES = {BreakerState.CLOSED: 0, BreakerState.HALF_OPEN: 1, BreakerState.OPEN: 2}


class RouterObserver:
    """The router's spans and metrics, on one app's :class:`~telemetry.Telemetry`."""

    def __init__(self, telemetry: Telemetry) -> None:
        self.telemetry = telemetry
        tracing = telemetry.tracing
        self.tracer: trace.Tracer | None = tracing.tracer if tracing is not None else None
        self.inject = tracing.inject if tracing is not None else None
        registry = telemetry.metrics.registry
        self.plan_cache_hits = Counter(
            "wealthtech_router_plan_cache_hits",
            "Operations whose query plan came from the plan cache.",
            registry=registry,
        )
        self.plan_cache_misses = Counter(
            "wealthtech_router_plan_cache_misses",
            "Operations that had to be planned (not in the plan cache).",
            registry=registry,
        )
        self.fetch_duration = Histogram(
            "wealthtech_router_subgraph_fetch_duration_seconds",
            "Time of one subgraph fetch (queueing, attempts and retries), by subgraph.",
            ["subgraph"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.fetch_errors = Counter(
            "wealthtech_router_subgraph_fetch_errors",
            "Subgraph fetches that failed (unavailable) or answered with GraphQL errors.",
            ["subgraph", "kind"],
            registry=registry,
        )
        self.limit_refusals = Counter(
            "wealthtech_router_limit_refusals",
            "Requests refused by a query limit before execution, by error code.",
            ["code"],
            registry=registry,
        )
        self.authentication_failures = Counter(
            "wealthtech_router_authentication_failures",
            "Requests refused because the caller's token was missing or not valid.",
            registry=registry,
        )
        self.breaker_state = Gauge(
            "wealthtech_router_circuit_breaker_state",
            "Circuit breaker of each subgraph: 0 closed, 1 half-open, 2 open.",
            ["subgraph"],
            registry=registry,
        )
        self.breaker_transitions = Counter(
            "wealthtech_router_circuit_breaker_transitions",
            "Circuit breaker state changes, by subgraph and the state entered.",
            ["subgraph", "state"],
            registry=registry,
        )
        self.supergraph_reloads = Counter(
            "wealthtech_router_supergraph_reloads",
            "Supergraph reload attempts, by outcome (reloaded, or refused and the old one kept).",
            ["outcome"],
            registry=registry,
        )
        self.supergraph_reload_failing = Gauge(
            "wealthtech_router_supergraph_reload_failing",
            "1 while the latest reload attempt was refused (an old supergraph is served), else 0.",
            registry=registry,
        )
        telemetry.finish_hooks.append(self._finished)

    # ---- the security layer's refusals, from the request record -----------------------------

    def _finished(self, record: RequestRecord, _elapsed: float) -> None:
        if record.status == 401:
            self.authentication_failures.inc()
        elif record.refusal in LIMIT_CODES:
            self.limit_refusals.labels(record.refusal).inc()

    # ---- circuit breakers --------------------------------------------------------------------

    def watch_breakers(self, transport: object) -> None:
        """Follow the breakers of a ``SubgraphClient`` (any transport with the two methods)."""
        add_listener = getattr(transport, "add_breaker_listener", None)
        breakers = getattr(transport, "breakers", None)
        if not callable(add_listener) or not callable(breakers):
            return
        for name, snapshot in breakers().items():
            self.breaker_state.labels(name).set(_BREAKER_VALUES[snapshot.state])
        add_listener(self._breaker_changed)

    def _breaker_changed(self, subgraph: str, _old: BreakerState, new: BreakerState) -> None:
        self.breaker_state.labels(subgraph).set(_BREAKER_VALUES[new])
        self.breaker_transitions.labels(subgraph, new.value).inc()

    # ---- supergraph hot reload ---------------------------------------------------------------

    def reload_attempted(self, event: ReloadEvent) -> None:
        """Count a reload attempt (a listener of the supergraph reloader)."""
        self.supergraph_reloads.labels(event.outcome).inc()
        self.supergraph_reload_failing.set(1 if event.outcome == "refused" else 0)

    # ---- gateway stages ----------------------------------------------------------------------

    @contextmanager
    def span(self, name: str, **attributes: Any) -> Iterator[trace.Span | None]:
        """Open a child span of the current one (nothing when tracing is off)."""
        if self.tracer is None:
            yield None
            return
        with self.tracer.start_as_current_span(name, attributes=attributes) as span:
            yield span

    def planned(self, operation_name: str | None, *, cached: bool) -> None:
        (self.plan_cache_hits if cached else self.plan_cache_misses).inc()
        record = current_request.get()
        if record is not None and operation_name:
            record.operation = operation_name

    def executed(self, phase: str, response: Mapping[str, Any]) -> None:
        """Tell the request record how the operation ended (the access log and metrics)."""
        record = current_request.get()
        if record is None or record.path != "/graphql":
            return  # REST answers in HTTP statuses: its outcome is read from the status
        errors = response.get("errors")
        if not errors:
            record.outcome = "success"
        elif response.get("data") is not None:
            record.outcome = "partial"
        elif phase in ("parse", "validate"):
            record.outcome = "rejected"
        else:
            record.outcome = "error"


class ObservedTransport:
    """A ``SubgraphTransport`` that times, counts and traces each fetch of the one it wraps."""

    def __init__(self, inner: SubgraphTransport, observer: RouterObserver) -> None:
        self.inner = inner
        self.observer = observer

    async def send(
        self, subgraph: str, payload: dict[str, Any], context: RequestContext
    ) -> dict[str, Any]:
        observer = self.observer
        tracer = observer.tracer
        started = time.perf_counter()
        if tracer is None:
            try:
                body = await self.inner.send(subgraph, payload, context)
            except SubgraphUnavailable:
                observer.fetch_errors.labels(subgraph, "unavailable").inc()
                raise
            finally:
                observer.fetch_duration.labels(subgraph).observe(time.perf_counter() - started)
            if body.get("errors"):
                observer.fetch_errors.labels(subgraph, "graphql").inc()
            return body
        with tracer.start_as_current_span(
            "subgraph.fetch",
            kind=SpanKind.CLIENT,
            attributes={"wealthtech.subgraph": subgraph},
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            headers = dict(context.headers)
            assert observer.inject is not None
            observer.inject(headers)
            traced = RequestContext(headers=headers, request_id=context.request_id)
            try:
                body = await self.inner.send(subgraph, payload, traced)
            except SubgraphUnavailable as exc:
                observer.fetch_errors.labels(subgraph, "unavailable").inc()
                # The reason names the failure (timed out, circuit open), never the request.
                span.set_status(Status(StatusCode.ERROR, exc.reason))
                raise
            finally:
                observer.fetch_duration.labels(subgraph).observe(time.perf_counter() - started)
            if body.get("errors"):
                observer.fetch_errors.labels(subgraph, "graphql").inc()
                span.set_attribute("wealthtech.graphql_errors", len(body["errors"]))
            return body

    def __getattr__(self, name: str) -> Any:
        # breakers(), policy(), urls...: whatever else the wrapped transport offers.
        return getattr(self.inner, name)
