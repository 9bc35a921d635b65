"""GraphiQL in a real browser: headless Chromium runs a cross-subgraph query through the router.

The whole system runs as processes on loopback ports (no internet is used or needed: GraphiQL's
assets are served by the router itself). Chromium is the Debian package at /usr/bin/chromium,
driven by playwright-core from tools/browser (npm). Where either is missing the test is skipped
and says why; with REQUIRE_BROWSER=1 (CI) it fails instead.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.running_system import RunningSystem, running_system

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
PLAYWRIGHT_DIR = ROOT / "tools" / "browser"
DRIVER = Path(__file__).resolve().parent / "graphiql_check.mjs"


def _browser_or_skip() -> str:
    node = shutil.which("node")
    missing = []
    if not CHROMIUM.exists():
        missing.append(f"{CHROMIUM} (apt-get install chromium chromium-driver)")
    if node is None:
        missing.append("node (Node.js 20+)")
    if not (PLAYWRIGHT_DIR / "node_modules" / "playwright-core").is_dir():
        missing.append("tools/browser/node_modules/playwright-core (make install)")
    if missing:
        reason = "browser test needs " + ", ".join(missing)
        if os.environ.get("REQUIRE_BROWSER", "") not in ("", "0"):
            pytest.fail(f"REQUIRE_BROWSER is set but the {reason}")
        pytest.skip(reason)
    assert node is not None
    return node


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSystem]:
    _browser_or_skip()
    with running_system(tmp_path_factory.mktemp("browser") / "data") as running:
        yield running


def graphql(system: RunningSystem, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    body = httpx.post(
        system.graphql_url, json={"query": query, "variables": variables}, headers=system.headers
    ).json()
    assert not body.get("errors"), body
    data: dict[str, Any] = body["data"]
    return data


def seed_user(system: RunningSystem) -> str:
    user = graphql(
        system,
        "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }",
        {
            "i": {
                "firstName": "Grace",
                "lastName": "Browser",
                "dateOfBirth": "1985-09-09",
                "nationality": "GB",
                "emailAddress": "grace.browser@example.com",
                "telephoneNumber": "+447700900777",
                "employmentStatus": "EMPLOYED",
                "annualIncome": {"amount": "64000.00", "currency": "GBP"},
                "sourcesOfWealth": ["EMPLOYMENT_INCOME"],
            }
        },
    )["createUser"]["id"]
    graphql(
        system,
        "mutation($i: CreateInvestmentAccountInput!) { createInvestmentAccount(input: $i) { id } }",
        {
            "i": {
                "userId": user,
                "clientReference": "GB-ISA-1",
                "accountType": "ISA",
                "name": "Grace's ISA",
            }
        },
    )
    return str(user)


def test_graphiql_runs_a_cross_subgraph_query_in_chromium(
    system: RunningSystem, tmp_path: Path
) -> None:
    node = _browser_or_skip()
    user_id = seed_user(system)
    operation = tmp_path / "operation.graphql"
    operation.write_text(
        f'query GraceAtAGlance {{\n  user(id: "{user_id}") {{\n    firstName\n    emailAddress\n'
        "    kycStatus\n    investmentAccounts {\n      edges {\n        node {\n"
        "          name\n          accountType\n          status\n        }\n      }\n    }\n"
        "  }\n}\n",
        encoding="utf-8",
    )
    screenshot = tmp_path / "graphiql.png"
    run = subprocess.run(
        [
            node,
            str(DRIVER),
            system.graphql_url,
            str(operation),
            str(screenshot),
            str(tmp_path / "chromium-profile"),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        env={
            **os.environ,
            "PLAYWRIGHT_DIR": str(PLAYWRIGHT_DIR),
            "CHROMIUM": str(CHROMIUM),
            "AUTHORIZATION": system.headers["authorization"],
        },
        check=False,
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert "error" not in result, result["error"]

    # The page is GraphiQL, served by the router.
    assert result["status"] == 200 and result["contentType"].startswith("text/html")
    assert "GraphiQL" in result["title"]
    assert result["pageErrors"] == []
    # What was typed is in the editor, and its result shows in the response pane: data from
    # users (name, decrypted e-mail), compliance (KYC status) and investments (the account).
    assert result["editorText"] == operation.read_text(encoding="utf-8")
    shown = json.loads(result["responseText"])
    assert shown == {
        "data": {
            "user": {
                "firstName": "Grace",
                "emailAddress": "grace.browser@example.com",
                "kycStatus": "NOT_STARTED",
                "investmentAccounts": {
                    "edges": [
                        {"node": {"name": "Grace's ISA", "accountType": "ISA", "status": "PENDING"}}
                    ]
                },
            }
        }
    }
    assert "grace.browser@example.com" in result["visibleResponse"]
    # The query ran as the caller whose token was typed into the Headers editor.
    assert result["postedAuthorization"] == system.headers["authorization"]
    assert screenshot.stat().st_size > 10_000
    # Nothing left this machine: every request the page made went to the router itself.
    router = urlsplit(system.router_url).netloc
    assert result["requests"] and all(urlsplit(u).netloc == router for u in result["requests"])
