"""Log lines: JSON objects with the request id and the trace of the request they belong to."""

from __future__ import annotations

import json
import logging
from typing import Any

from telemetry import JsonFormatter, current_request_id
from tests.telemetry.conftest import ObservedSystem
from tests.telemetry.telemetry_support import traced_profile


def _entries(observed: ObservedSystem) -> list[dict[str, Any]]:
    return [json.loads(line) for line in observed.log_lines()]


async def test_access_log_line_carries_the_trace_id_of_a_request_that_sent_a_traceparent(
    observed: ObservedSystem,
) -> None:
    request = await traced_profile(observed.system.router_url, observed.system.bearer())
    entries = [e for e in _entries(observed) if e.get("trace_id") == request.trace_id]
    router = [e for e in entries if e.get("path") == "/graphql" and e.get("operation") == "Profile"]
    assert router, entries
    line = router[0]
    assert line["logger"] == "wealthtech.access"
    assert line["request_id"] == request.request_id
    assert len(line["span_id"]) == 16
    assert line["status"] == 200
    assert line["outcome"] == "success"
    assert line["subject"] == "dev:admin"
    assert isinstance(line["duration_ms"], float)
    assert line["message"].startswith("POST /graphql 200 ")
    # The subgraphs' lines of the same request: same trace, same request id.
    subgraph_lines = [e for e in entries if e is not line]
    assert subgraph_lines
    assert {e["request_id"] for e in subgraph_lines} == {request.request_id}


async def test_log_lines_never_hold_variables_sensitive_values_or_tokens(
    observed: ObservedSystem,
) -> None:
    request = await traced_profile(observed.system.router_url, observed.system.bearer())
    text = observed.logs.getvalue()
    assert request.user_id not in text  # a variable of the request: never logged
    for name, value in request.secrets.items():
        assert value not in text, name
    assert request.token not in text
    assert "eyJ" not in text
    assert all("variables" not in entry for entry in _entries(observed))


def test_json_formatter_writes_one_object_per_line_with_the_request_id() -> None:
    record = logging.LogRecord("x.y", logging.WARNING, __file__, 1, "two\nlines %s", ("z",), None)
    token = current_request_id.set("req-123")
    try:
        text = JsonFormatter(service="users").format(record)
    finally:
        current_request_id.reset(token)
    assert "\n" not in text
    entry = json.loads(text)
    assert entry["message"] == "two\nlines z"
    assert entry["level"] == "warning"
    assert entry["request_id"] == "req-123"
    assert entry["service"] == "users"
    assert "trace_id" not in entry  # not traced
