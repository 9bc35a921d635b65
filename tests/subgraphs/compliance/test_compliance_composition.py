"""The compliance SDL composes with the other three under a standard composer (Node tools)."""

from __future__ import annotations

import json
import subprocess

import pytest

from subgraphs.kit import sdl_path
from tests.conftest import node_tools_dir

pytestmark = pytest.mark.node

NAMES = ("users", "investments", "transactions", "compliance")


def test_the_four_subgraphs_compose_with_the_reference_composer() -> None:
    tools = node_tools_dir()
    if tools is None:
        pytest.skip("Node.js or tools/node/node_modules missing (scripts/install-node-tools.sh)")
    subgraphs = [
        {"name": name, "url": f"http://{name}.invalid/graphql", "sdl": sdl_path(name).read_text()}
        for name in NAMES
    ]
    completed = subprocess.run(
        ["node", "compose.mjs"],
        cwd=tools,
        input=json.dumps({"subgraphs": subgraphs}),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    result = json.loads(completed.stdout)
    assert completed.returncode == 0, result.get("errors")
    public = result["publicSdl"]
    # The fields compliance contributes land on the owners' types.
    assert "kycStatus: KycStatus\n" in public
    assert public.count("complianceLogs(first: Int = 20") >= 3
    assert "type ComplianceLog" in public
