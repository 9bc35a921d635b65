"""Fixtures for the corpus tests: the Node tools (reference composer, Hive Gateway)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import node_tools_dir


@pytest.fixture(scope="session")
def node_tools() -> Path:
    """tools/node with the reference composer and Hive Gateway; skip (CI: fail) when missing."""
    directory = node_tools_dir()
    if directory is None:
        pytest.skip(
            "Node.js or tools/node/node_modules missing (make install): the comparisons with "
            "@theguild/federation-composition and Hive Gateway are off"
        )
    for needed in ("@theguild/federation-composition", ".bin/hive-gateway"):
        if not (directory / "node_modules" / needed).exists():
            pytest.fail(f"tools/node is installed without {needed}: rerun make install")
    return directory
