from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.dialects import sqlite

from subgraphs.kit import Loaders, UTCDateTime, ordered_by_keys


def test_utc_datetime_refuses_naive_and_restores_utc() -> None:
    column = UTCDateTime()
    dialect = sqlite.dialect()
    with pytest.raises(ValueError, match="naive"):
        column.process_bind_param(dt.datetime(2026, 1, 1, 12, 0), dialect)
    paris = dt.timezone(dt.timedelta(hours=1))
    stored = column.process_bind_param(dt.datetime(2026, 1, 1, 13, 0, tzinfo=paris), dialect)
    assert stored == dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)
    loaded = column.process_result_value(dt.datetime(2026, 1, 1, 12, 0), dialect)
    assert loaded is not None and loaded.tzinfo == dt.UTC


def test_ordered_by_keys_follows_the_keys_and_fills_gaps() -> None:
    rows = [{"id": "b"}, {"id": "a"}]
    assert ordered_by_keys(["a", "x", "b", "a"], rows, lambda row: row["id"]) == [
        {"id": "a"},
        None,
        {"id": "b"},
        {"id": "a"},
    ]


async def test_loaders_batch_per_request_and_never_share_between_requests() -> None:
    calls: list[tuple[object, list[str]]] = []

    async def load(context: object, keys: list[str]) -> list[str]:
        calls.append((context, keys))
        return [key.upper() for key in keys]

    first_request, second_request = object(), object()
    loaders = Loaders(first_request)
    assert loaders.get(load) is loaders.get(load)
    results = [loaders.get(load).load(key) for key in ("a", "b", "a")]
    assert [await result for result in results] == ["A", "B", "A"]
    assert calls == [(first_request, ["a", "b"])]  # one batch, duplicates folded

    other = Loaders(second_request)
    assert other.get(load) is not loaders.get(load)
    assert await other.get(load).load("a") == "A"
    assert calls[-1] == (second_request, ["a"])  # a new request asks again
