"""Traces: one ``TracerProvider`` per service, exporting over OTLP/HTTP (protobuf), sampled.

The provider is the service's own, never installed as OpenTelemetry's global one, so that
several apps in one process (the tests) each export under their own ``service.name``. Spans go
through a batching processor to ``traces_endpoint``; shutting the app down flushes them.
Context travels between services as the W3C ``traceparent``/``tracestate`` headers only.

What a span may carry is decided where it is made: names of operations, subgraphs, tables,
columns, key ids, counts, status codes. Never a variable, a field's value or a token.
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from telemetry.settings import TelemetrySettings

__all__ = ["Tracing"]

_PROPAGATOR = TraceContextTextMapPropagator()
_TRACEPARENT = b"traceparent"
_TRACESTATE = b"tracestate"


class Tracing:
    """The tracer of one service, and W3C trace context in and out."""

    def __init__(self, settings: TelemetrySettings) -> None:
        assert settings.traces_endpoint is not None
        self.provider = TracerProvider(
            resource=Resource.create({"service.name": settings.resource_name}),
            sampler=ParentBased(TraceIdRatioBased(settings.sampling_ratio)),
        )
        self.provider.add_span_processor(
            BatchSpanProcessor(OTLPSpanExporter(endpoint=settings.traces_endpoint))
        )
        self.tracer = self.provider.get_tracer("wealthtech")

    def extract(self, headers: Iterable[tuple[bytes, bytes]]) -> otel_context.Context | None:
        """Return the context of an incoming ``traceparent`` (ASGI headers), if any."""
        carrier: dict[str, str] = {}
        for name, value in headers:
            if name in (_TRACEPARENT, _TRACESTATE):
                carrier[name.decode("latin-1")] = value.decode("latin-1")
        if not carrier:
            return None
        return _PROPAGATOR.extract(carrier)

    @staticmethod
    def inject(carrier: MutableMapping[str, str]) -> None:
        """Add ``traceparent`` (and ``tracestate``) of the current span to ``carrier``."""
        _PROPAGATOR.inject(carrier)

    def shutdown(self) -> None:
        """Export what is pending and stop (bounded by the exporter's timeout)."""
        self.provider.shutdown()


def current_span() -> trace.Span:
    return trace.get_current_span()
