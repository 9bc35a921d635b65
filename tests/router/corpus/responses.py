"""Comparing a response with a case's exact expectation."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def _ordered(value: Any) -> Any:
    """Key order made visible (GraphQL fixes it): dicts become lists of pairs."""
    if isinstance(value, dict):
        return [(key, _ordered(item)) for key, item in value.items()]
    if isinstance(value, list):
        return [_ordered(item) for item in value]
    return value


def _error_key(error: Mapping[str, Any]) -> str:
    return json.dumps([error.get("path"), error.get("message")], default=str)


def assert_response(actual: Mapping[str, Any], expected: Mapping[str, Any]) -> None:
    """``data`` exactly (key order included); errors as a multiset of (path, message).

    An expected error that names ``extensions`` must find them included in the actual error's;
    otherwise extensions (codes, service names) are not compared.
    """
    assert "data" in actual or "data" not in expected, actual
    assert actual.get("data") == expected.get("data"), json.dumps(actual, indent=1)
    assert _ordered(actual.get("data")) == _ordered(expected.get("data")), "key order differs"
    got = sorted(actual.get("errors") or [], key=_error_key)
    want = sorted(expected.get("errors") or [], key=_error_key)
    shown = json.dumps(actual.get("errors"), indent=1)
    assert [(e.get("path"), e.get("message")) for e in got] == [
        (e.get("path"), e.get("message")) for e in want
    ], shown
    for mine, theirs in zip(got, want, strict=True):
        for key, value in (theirs.get("extensions") or {}).items():
            assert (mine.get("extensions") or {}).get(key) == value, shown
