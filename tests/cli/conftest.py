"""Fixtures of the CLI tests: the whole system on real loopback ports, started once per session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.running_system import RunningSystem, running_system


@pytest.fixture(scope="session")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSystem]:
    """The four subgraphs and the router as processes, with a fresh data folder."""
    with running_system(tmp_path_factory.mktemp("system") / "data") as running:
        yield running
