"""``TelemetryMiddleware``: the outermost ASGI layer of a service when telemetry is on.

For each request to an instrumented path it: takes (or, for the router, assigns) the request
id; continues the caller's trace from ``traceparent`` and opens the server span; lets the
layers below annotate the request's :class:`~telemetry.core.RequestRecord`; and at the end
counts the request (by operation and outcome), observes its duration, ends the span and writes
the access log line. It also starts the metrics port after the app's startup and flushes the
spans after its shutdown (lifespan), and answers ``/metrics`` on the public port only when
``metrics_on_public_port`` says so.
"""

from __future__ import annotations

import logging
import os
import re
import time

import orjson
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from telemetry.core import RequestRecord, Telemetry, current_request
from telemetry.logs import current_request_id
from telemetry.metrics import CONTENT_TYPE

__all__ = ["TelemetryMiddleware"]

log = logging.getLogger(__name__)
_REQUEST_ID = b"x-request-id"
# What the router accepts as a client's request id (crypto.is_valid_request_id, not imported:
# this package depends on nothing of the project's).
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_MAX_REFUSAL_BODY = 4096


class TelemetryMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        telemetry: Telemetry,
        paths: tuple[str, ...] = ("/graphql",),
        prefixes: tuple[str, ...] = (),
        assign_request_id: bool = False,
    ) -> None:
        self.app = app
        self.telemetry = telemetry
        self._paths = frozenset(paths)
        self._prefixes = prefixes
        self._assign = assign_request_id

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await self._lifespan(scope, receive, send)
            return
        if kind != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path == "/metrics" and self.telemetry.settings.metrics_on_public_port:
            await self._metrics(send)
            return
        if path not in self._paths and not path.startswith(self._prefixes or ("\0",)):
            await self.app(scope, receive, send)
            return
        await self._request(scope, receive, send, path)

    async def _request(self, scope: Scope, receive: Receive, send: Send, path: str) -> None:
        telemetry = self.telemetry
        started = time.perf_counter()
        method: str = scope["method"]
        request_id = None
        for name, value in scope["headers"]:
            if name == _REQUEST_ID:
                text = value.decode("latin-1")
                request_id = text if _VALID_REQUEST_ID.fullmatch(text) else None
                break
        if request_id is None:
            request_id = os.urandom(16).hex()
            if self._assign:
                # Assigned here, so the security layer keeps it and the log lines of this
                # request, the subgraphs' and the response header all name the same id.
                headers = [(n, v) for n, v in scope["headers"] if n != _REQUEST_ID]
                headers.append((_REQUEST_ID, request_id.encode("ascii")))
                scope = {**scope, "headers": headers}
        record = RequestRecord(method=method, path=path)
        record_token = current_request.set(record)
        id_token = current_request_id.set(request_id)
        tracing = telemetry.tracing
        span = None
        context_token = None
        if tracing is not None:
            parent = tracing.extract(scope["headers"])
            span = tracing.tracer.start_span(
                f"{method} {path}",
                context=parent,
                kind=SpanKind.SERVER,
                attributes={"http.request.method": method, "url.path": path},
            )
            context_token = otel_context.attach(trace.set_span_in_context(span, parent))
        refusal_body: list[bytes] = []

        async def observed(message: Message) -> None:
            if message["type"] == "http.response.start":
                record.status = message["status"]
            elif (
                message["type"] == "http.response.body"
                and record.status >= 400
                and record.outcome is None
                and sum(map(len, refusal_body)) < _MAX_REFUSAL_BODY
            ):
                refusal_body.append(message.get("body", b""))
            await send(message)

        failed = False
        try:
            await self.app(scope, receive, observed)
        except BaseException:
            failed = True
            raise
        finally:
            if failed and record.status == 0:
                record.status = 500
            if record.outcome is None:
                record.outcome = _outcome_of(record.status)
                if record.status >= 400 and refusal_body:
                    record.refusal = _error_code(b"".join(refusal_body))
            elapsed = time.perf_counter() - started
            try:
                self._finish(record, elapsed, span, request_id)
            finally:
                if context_token is not None:
                    otel_context.detach(context_token)
                current_request_id.reset(id_token)
                current_request.reset(record_token)

    def _finish(
        self, record: RequestRecord, elapsed: float, span: trace.Span | None, request_id: str
    ) -> None:
        telemetry = self.telemetry
        outcome = record.outcome or "error"
        telemetry.metrics.observe_request(record.operation, outcome, elapsed)
        for hook in telemetry.finish_hooks:
            try:
                hook(record, elapsed)
            except Exception:
                log.exception("telemetry finish hook failed")
        if span is not None:
            span.set_attribute("http.response.status_code", record.status)
            span.set_attribute("wealthtech.outcome", outcome)
            span.set_attribute("wealthtech.request_id", request_id)
            if record.operation:
                span.set_attribute("graphql.operation.name", record.operation)
                span.update_name(f"{record.method} {record.path} {record.operation}")
            if record.refusal:
                span.set_attribute("wealthtech.refusal", record.refusal)
            if record.status >= 500 or outcome == "error":
                span.set_status(Status(StatusCode.ERROR))
            span.end()
        if telemetry.access_log is not None:
            duration_ms = round(elapsed * 1000, 3)
            telemetry.access_log.info(
                "%s %s %d %.1fms operation=%s subject=%s",
                record.method,
                record.path,
                record.status,
                duration_ms,
                record.operation or "-",
                record.subject or "-",
                extra={
                    "fields": {
                        "method": record.method,
                        "path": record.path,
                        "status": record.status,
                        "duration_ms": duration_ms,
                        "operation": record.operation,
                        "outcome": outcome,
                        "subject": record.subject,
                        **({"refusal": record.refusal} if record.refusal else {}),
                    }
                },
            )

    async def _metrics(self, send: Send) -> None:
        body = await self.telemetry.metrics.exposition()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", CONTENT_TYPE.encode("ascii")),
                    (b"content-length", str(len(body)).encode("ascii")),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def _lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        telemetry = self.telemetry

        async def lifespan_send(message: Message) -> None:
            kind = message["type"]
            if kind == "lifespan.startup.complete":
                try:
                    await telemetry.start()
                except OSError as exc:
                    message = {
                        "type": "lifespan.startup.failed",
                        "message": f"telemetry: cannot open the metrics port: {exc}",
                    }
            elif kind in ("lifespan.shutdown.complete", "lifespan.shutdown.failed"):
                await telemetry.stop()
            await send(message)

        await self.app(scope, receive, lifespan_send)


def _outcome_of(status: int) -> str:
    if status == 401:
        return "unauthenticated"
    if status >= 500 or status == 0:
        return "error"
    if status >= 400:
        return "rejected"
    return "success"


def _error_code(body: bytes) -> str | None:
    """Return a refusal's code: GraphQL ``errors[0].extensions.code``, or a problem's."""
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(parsed, dict):
        return None
    code = parsed.get("code")
    errors = parsed.get("errors")
    if code is None and isinstance(errors, list) and errors and isinstance(errors[0], dict):
        extensions = errors[0].get("extensions")
        if isinstance(extensions, dict):
            code = extensions.get("code")
    return code if isinstance(code, str) and len(code) <= 64 else None
