"""The investments SDL composes with the users SDL under a standard composer (Node tools)."""

from __future__ import annotations

import json
import subprocess

import pytest

from subgraphs.kit import sdl_path
from tests.conftest import node_tools_dir

pytestmark = pytest.mark.node


def test_users_and_investments_compose_with_the_reference_composer() -> None:
    tools = node_tools_dir()
    if tools is None:
        pytest.skip("Node.js or tools/node/node_modules missing (scripts/install-node-tools.sh)")
    subgraphs = [
        {"name": name, "url": f"http://{name}.invalid/graphql", "sdl": sdl_path(name).read_text()}
        for name in ("users", "investments")
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
    # User gained the contributed field; the account points back at its User.
    assert "investmentAccounts(first: Int = 20" in public
    assert "user: User\n" in public
