"""Fixtures for the composition tests: the reference composer from tools/node, when installed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import node_tools_dir


@pytest.fixture(scope="module")
def node_tools() -> Path:
    """tools/node with @theguild/federation-composition; skip (CI: fail) when missing."""
    directory = node_tools_dir()
    if directory is None:
        pytest.skip(
            "Node.js or tools/node/node_modules missing (make install): the comparison with "
            "@theguild/federation-composition is off"
        )
    if not (directory / "node_modules" / "@theguild" / "federation-composition").is_dir():
        pytest.fail("tools/node is installed without @theguild/federation-composition")
    return directory
