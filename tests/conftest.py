"""Test-wide settings: which optional back-ends (PostgreSQL, Node.js tools) are available."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _required(name: str) -> bool:
    # CI sets REQUIRE_POSTGRES / REQUIRE_NODE so that a missing back-end fails instead of skipping.
    return os.environ.get(name, "") not in ("", "0")


def postgres_url() -> str | None:
    """Return the server URL of the throwaway PostgreSQL cluster, if one was started."""
    url = os.environ.get("TEST_POSTGRES_URL")
    if not url and _required("REQUIRE_POSTGRES"):
        pytest.fail("REQUIRE_POSTGRES is set but TEST_POSTGRES_URL is not")
    return url


def node_tools_dir() -> Path | None:
    """Return tools/node when Node.js and its installed packages are there."""
    directory = ROOT / "tools" / "node"
    if shutil.which("node") and (directory / "node_modules").is_dir():
        return directory
    if _required("REQUIRE_NODE"):
        pytest.fail("REQUIRE_NODE is set but node or tools/node/node_modules is missing")
    return None
