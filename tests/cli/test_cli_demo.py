"""``wealthtech demo`` and ``wealthtech chain verify`` against the whole system on real ports.

The four subgraphs and the router run as processes (the supervisor of ``wealthtech up``) on free
loopback ports with a fresh data folder; the demo writes through the router's GraphQL API, a
cross-subgraph query reads it back, and the compliance chain it produced verifies.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.cli.cli_support import isolate_environment, read_users
from tests.running_system import RunningSystem
from wealthtech_cli.__main__ import main
from wealthtech_cli.demo import DEMO_USERS

PORTFOLIO = """
query Portfolio($email: String!) {
  userByEmail(emailAddress: $email) {
    firstName
    emailAddress
    kycStatus
    complianceLogs { edges { node { eventType outcome } } }
    investmentAccounts {
      edges {
        node {
          clientReference
          accountType
          status
          cashBalance { amount currency }
          availableCash { amount currency }
          transactions { edges { node { type status considerationAmount { amount } isin } } }
        }
      }
    }
  }
}
"""


def query(system: RunningSystem, text: str, variables: dict[str, Any]) -> dict[str, Any]:
    response = httpx.post(
        system.graphql_url, json={"query": text, "variables": variables}, headers=system.headers
    )
    body = response.json()
    assert response.status_code == 200 and not body.get("errors"), body
    data: dict[str, Any] = body["data"]
    return data


def test_demo_loads_through_the_router_and_reads_back_across_subgraphs(
    system: RunningSystem, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--url", system.graphql_url, "--token", system.token]) == 0
    assert "demo loaded: 4 users, 5 accounts, 10 transactions, 20 compliance events" in (
        capsys.readouterr().out
    )

    amelia = query(system, PORTFOLIO, {"email": "Amelia.Hughes@example.com"})["userByEmail"]
    assert amelia["firstName"] == "Amelia"
    assert amelia["emailAddress"] == "amelia.hughes@example.com"
    assert amelia["kycStatus"] == "PASSED"
    events = [e["node"]["eventType"] for e in amelia["complianceLogs"]["edges"]]
    assert events[:3] == ["KYC_CHECK_REQUESTED", "KYC_CHECK_PASSED", "SANCTIONS_SCREENING"]
    accounts = {
        e["node"]["clientReference"]: e["node"] for e in amelia["investmentAccounts"]["edges"]
    }
    isa, gia = accounts["AH-ISA-2026"], accounts["AH-GIA-01"]
    assert isa["status"] == "ACTIVE" and isa["accountType"] == "ISA"
    # 20000.00 deposited, 9899.08 bought with 9.95 charges, all settled.
    assert isa["cashBalance"] == {"amount": "10090.97", "currency": "GBP"}
    assert isa["availableCash"] == isa["cashBalance"]
    assert [t["node"]["type"] for t in isa["transactions"]["edges"]] == ["DEPOSIT", "BUY"]
    assert isa["transactions"]["edges"][0]["node"]["considerationAmount"] == {"amount": "20000.00"}
    assert isa["transactions"]["edges"][1]["node"]["isin"] == "IE00B4L5Y983"
    # 7500.00 settled in, 1200.00 pending out: the balance keeps it, available cash does not.
    assert gia["cashBalance"] == {"amount": "7500.00", "currency": "GBP"}
    assert gia["availableCash"] == {"amount": "6300.00", "currency": "GBP"}

    sofia = query(system, PORTFOLIO, {"email": DEMO_USERS[2].email})["userByEmail"]
    assert sofia["kycStatus"] == "REFERRED"

    # Loaded once: a second run writes nothing.
    assert main(["demo", "--url", system.graphql_url, "--token", system.token]) == 0
    assert "already loaded" in capsys.readouterr().out


def test_chain_verify_checks_the_demo_chain_and_finds_tampering(
    system: RunningSystem,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The demo is loaded by the test above; load it here when this test runs alone.
    assert main(["demo", "--url", system.graphql_url, "--token", system.token]) == 0
    isolate_environment(monkeypatch, system.data_dir)
    capsys.readouterr()
    assert main(["chain", "verify"]) == 0
    assert "chain intact: 20 revisions (with sealed contents)" in capsys.readouterr().out

    # Tampering is tried on a copy, so that the running system's chain stays intact.
    copy = tmp_path / "data"
    snapshot(system, copy)
    monkeypatch.setenv("WEALTHTECH_DATA_DIR", str(copy))
    with sqlite3.connect(copy / "compliance.sqlite3") as connection:
        # A forger with write access to the database lifts the append-only trigger first.
        connection.execute("DROP TRIGGER IF EXISTS compliance_log_revisions_frozen")
        connection.execute(
            "UPDATE compliance_log_revisions SET outcome = 'FAIL' WHERE chain_index = 7"
        )
    assert main(["chain", "verify", "--structure-only"]) == 1
    assert "chain BROKEN at chain position 7" in capsys.readouterr().out
    assert main(["chain", "verify", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["broken"]["reason"] == "HASH_MISMATCH"


def snapshot(system: RunningSystem, target: Path) -> None:
    """Copy the running system's databases (SQLite's online backup) and keys to ``target``."""
    (target / "keys").mkdir(parents=True)
    for database in system.data_dir.glob("*.sqlite3"):
        with sqlite3.connect(database) as source, sqlite3.connect(target / database.name) as copy:
            source.backup(copy)
    for key_file in (system.data_dir / "keys").iterdir():
        (target / "keys" / key_file.name).write_bytes(key_file.read_bytes())
        (target / "keys" / key_file.name).chmod(0o600)


def test_rotation_of_every_subgraph_keeps_data_and_chain(
    system: RunningSystem,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert main(["demo", "--url", system.graphql_url, "--token", system.token]) == 0
    data = tmp_path / "data"
    snapshot(system, data)  # the running services keep their keys; the copy is rotated
    isolate_environment(monkeypatch, data)
    capsys.readouterr()

    assert main(["keys", "status", "--json"]) == 0
    before = json.loads(capsys.readouterr().out)
    assert sorted(before) == ["compliance", "investments", "transactions", "users"]
    for name, report in before.items():
        assert report["activeKey"] == "k1"
        assert report["columns"], name
        assert all(set(c) == {"k1"} and c["k1"] > 0 for c in report["columns"].values()), name

    assert main(["keys", "rotate"]) == 0
    assert main(["keys", "re-encrypt", "--batch-size", "7"]) == 0
    capsys.readouterr()
    assert main(["keys", "status", "--json"]) == 0
    after = json.loads(capsys.readouterr().out)
    for name, report in after.items():
        assert report["activeKey"] == "k2"
        for column, counts in report["columns"].items():
            assert counts == {"k2": before[name]["columns"][column]["k1"]}, (name, column)

    # The chain covers content, not ciphertext: re-sealed revisions still verify, contents open.
    assert main(["chain", "verify"]) == 0
    assert "chain intact" in capsys.readouterr().out
    email = DEMO_USERS[0].email
    [user_id] = [
        row[0]
        for row in sqlite3.connect(data / "users.sqlite3").execute(
            "SELECT id FROM users WHERE first_name = 'Amelia'"
        )
    ]
    assert read_users([user_id])[0]["emailAddress"] == email
