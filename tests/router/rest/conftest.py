"""Fixtures of the REST shim tests: the real platform in-process, on SQLite temp files."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.router.rest.platform import Platform, running_platform


@pytest.fixture
async def platform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Platform]:
    """A fresh platform per test: four subgraphs, the router, an empty idempotency store."""
    monkeypatch.setenv(
        "ROUTER_IDEMPOTENCY_DATABASE_URL", f"sqlite:///{tmp_path / 'idempotency.sqlite3'}"
    )
    async with running_platform(tmp_path) as running:
        yield running
