"""Fixtures for the security tests: the stand-in subgraphs on a loopback port."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.router.standins import RunningFleet, serve_in_thread


@pytest.fixture(scope="module")
def fleet() -> Iterator[RunningFleet]:
    with serve_in_thread() as running:
        yield running
