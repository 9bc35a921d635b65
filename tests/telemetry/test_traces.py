"""Traces over OTLP/HTTP: one trace per client request, across the router and the subgraphs.

The spans are read from a real OTLP/HTTP receiver (tests/telemetry/otlp_receiver.py) that
decodes the protobuf export, as a collector would.
"""

from __future__ import annotations

from tests.telemetry.conftest import ObservedSystem
from tests.telemetry.otlp_receiver import ReceivedSpan
from tests.telemetry.telemetry_support import traced_profile

SERVER, CLIENT = 2, 3  # Span.SpanKind in the OTLP protobuf


def _complete(trace_id: str):  # type: ignore[no-untyped-def]
    def done(spans: list[ReceivedSpan]) -> bool:
        mine = [s for s in spans if s.trace_id == trace_id]
        services = {s.service for s in mine if s.kind == SERVER}
        return {"router", "users", "investments"} <= services and any(
            s.name == "audit.write" for s in mine
        )

    return done


async def test_a_client_request_is_one_trace_with_children_and_subgraph_spans(
    observed: ObservedSystem,
) -> None:
    request = await traced_profile(observed.system.router_url, observed.system.bearer())
    spans = [
        s
        for s in observed.receiver.wait_for(_complete(request.trace_id))
        if s.trace_id == request.trace_id
    ]
    by_id = {s.span_id: s for s in spans}
    routers = [s for s in spans if s.service == "router" and s.kind == SERVER]
    assert len(routers) == 1, [(s.service, s.name) for s in spans]
    root = routers[0]
    # The router continued the caller's trace: its span's parent is the caller's span.
    assert root.parent_span_id == request.parent_span_id
    assert root.name == "POST /graphql Profile"
    assert root.attributes["graphql.operation.name"] == "Profile"
    assert root.attributes["http.response.status_code"] == 200
    assert root.attributes["wealthtech.request_id"] == request.request_id
    children = {s.name: s for s in spans if s.parent_span_id == root.span_id}
    assert {"graphql.parse", "graphql.validate", "graphql.plan", "graphql.execute"} <= set(
        children
    ), sorted(children)
    execute = children["graphql.execute"]
    fetches = [s for s in spans if s.name == "subgraph.fetch"]
    assert {f.attributes["wealthtech.subgraph"] for f in fetches} >= {"users", "investments"}
    assert all(f.parent_span_id == execute.span_id and f.kind == CLIENT for f in fetches)
    # Each subgraph continued the trace under the router's fetch span (W3C traceparent).
    for service in ("users", "investments"):
        servers = [s for s in spans if s.service == service and s.kind == SERVER]
        assert servers, service
        for server in servers:
            parent = by_id[server.parent_span_id]
            assert parent.name == "subgraph.fetch"
            assert parent.attributes["wealthtech.subgraph"] == service
    users = next(s for s in spans if s.service == "users" and s.kind == SERVER)
    # Database work and decryption inside the users subgraph, in the same trace.
    queries = [s for s in spans if s.service == "users" and s.name == "db.query"]
    assert queries and {q.attributes["db.operation.name"] for q in queries} >= {"SELECT"}
    opened = [
        attributes
        for s in spans
        if s.service == "users"
        for name, attributes in s.events
        if name == "encryption.open"
    ]
    assert {a["db.column"] for a in opened} >= {"email_address", "date_of_birth"}, opened
    assert all(a["wealthtech.key_id"] for a in opened)
    audit = [s for s in spans if s.service == "users" and s.name == "audit.write"]
    assert audit and _descends_from(audit[0], users, by_id)


async def test_spans_never_hold_a_sensitive_value_or_a_token(observed: ObservedSystem) -> None:
    request = await traced_profile(observed.system.router_url, observed.system.bearer())
    observed.receiver.wait_for(_complete(request.trace_id))
    raw = observed.receiver.raw()
    assert raw
    for name, value in request.secrets.items():
        assert value.encode() not in raw, name
    assert request.token.encode() not in raw
    assert b"eyJ" not in raw  # no JWT of any kind: caller tokens, internal tokens
    for span in observed.receiver.snapshot():
        text = repr(span)
        assert all(value not in text for value in request.secrets.values()), span


def _descends_from(
    span: ReceivedSpan, ancestor: ReceivedSpan, by_id: dict[str, ReceivedSpan]
) -> bool:
    current: ReceivedSpan | None = span
    while current is not None:
        if current.span_id == ancestor.span_id:
            return True
        current = by_id.get(current.parent_span_id)
    return False
