"""``wealthtech import-legacy``: seed users, accounts, transactions (Node's crypto) in our form.

The export is written by ``fixtures/make_legacy_users.js`` with Node's own AES-256-CBC, under a
fresh random key whenever ``node`` is installed (always in CI) and otherwise from the checked-in
file it made. Users are created through the real API, so the stored values are our envelopes.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from subgraphs.compliance.app import create_app as create_compliance_app
from subgraphs.compliance.settings import ComplianceSettings
from subgraphs.investments.app import create_app as create_investments_app
from subgraphs.investments.settings import InvestmentsSettings
from subgraphs.kit.testing import HostRouterTransport, execute, running_app
from subgraphs.transactions.app import create_app as create_transactions_app
from subgraphs.transactions.settings import TransactionsSettings
from subgraphs.users.app import create_app
from subgraphs.users.settings import UsersSettings
from tests.cli.cli_support import READ_USER, isolate_environment
from tests.running_system import RunningSystem
from wealthtech_cli.__main__ import main
from wealthtech_cli.legacy_import import (
    ImportReport,
    import_accounts,
    import_compliance_logs,
    import_transactions,
    import_users,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FIXED_KEY = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
EXPECTED = {
    "1001": {
        "firstName": "Zoë",
        "emailAddress": "zoe.angstrom@example.com",
        "telephoneNumber": "+46701234567",
        "dateOfBirth": "1979-04-03",
        "annualIncome": {"amount": "72500.50", "currency": "GBP"},
        "sourcesOfWealth": ["EMPLOYMENT_INCOME", "INHERITANCE"],
        "nationality": "SE",
    },
    "1002": {
        "firstName": "Kwame",
        "emailAddress": "kwame.mensah@example.org",
        "telephoneNumber": "+447700900555",
        "dateOfBirth": "1990-12-31",
        "annualIncome": {"amount": "38000", "currency": "GBP"},
        "sourcesOfWealth": ["BUSINESS_INCOME", "SAVINGS"],
        "nationality": "GB",
    },
}
READ = READ_USER.replace("version", "version firstName nationality")


def export(
    tmp_path: Path, *, csv: bool = False, entity: str = "users", key: str | None = None
) -> tuple[Path, str]:
    """Return an export file and its key: fresh from Node when it is installed."""
    target = tmp_path / (f"{entity}.csv" if csv else f"{entity}.jsonl")
    node = shutil.which("node")
    if node is None:
        if os.environ.get("REQUIRE_NODE", "") not in ("", "0"):
            pytest.fail("REQUIRE_NODE is set but node is not installed")
        if csv:
            pytest.skip("node is not installed: the CSV export is made by Node only")
        shutil.copy(FIXTURES / f"legacy_{entity}.jsonl", target)
        return target, FIXED_KEY
    key = key or secrets.token_hex(32)
    args = [node, str(FIXTURES / "make_legacy_users.js"), "--key", key, "--entity", entity]
    args += ["--csv"] if csv else []
    target.write_text(subprocess.run(args, check=True, capture_output=True, text=True).stdout)
    return target, key


async def _import_in_process(path: Path, key: str, map_path: Path) -> tuple[ImportReport, Any]:
    async with running_app(create_app(UsersSettings())) as client:
        report = await import_users(
            path, client=client, url="/graphql", key=bytes.fromhex(key), map_path=map_path
        )
        ids = {
            e["legacy_id"]: e["id"]
            for e in map(json.loads, (await asyncio.to_thread(map_path.read_text)).splitlines())
        }
        users = {
            legacy: (await execute(client, READ, {"id": new_id})).ok()["user"]
            for legacy, new_id in ids.items()
        }
        again = await import_users(
            path, client=client, url="/graphql", key=bytes.fromhex(key), map_path=map_path
        )
        return report, (users, again)


@pytest.mark.parametrize("csv", [False, True], ids=["jsonl", "csv"])
def test_import_creates_users_in_our_format(
    csv: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    isolate_environment(monkeypatch, tmp_path / "data")
    path, key = export(tmp_path, csv=csv)
    map_path = tmp_path / "ids.jsonl"
    report, (users, again) = asyncio.run(_import_in_process(path, key, map_path))

    assert report.created == 2 and report.skipped == 0
    refused = "\n".join(report.refused)
    assert len(report.refused) == 2, refused
    assert "legacy id 1003" in refused and "does not open with ENCRYPTION_SECRET_KEY" in refused
    assert "legacy id 1004" in refused and "createUser refused" in refused
    for legacy, expected in EXPECTED.items():
        assert {k: users[legacy][k] for k in expected} == expected
    # Refusals name fields and codes, never the values that were in the record.
    for secret in ("wrong.key@example.com", "too.young@example.com", "2020-06-01"):
        assert secret not in refused
    # Stored in our envelope, never in the seed's form.
    with sqlite3.connect(tmp_path / "data" / "users.sqlite3") as connection:
        stored = connection.execute("SELECT email_address, telephone_number FROM users").fetchall()
    assert len(stored) == 2
    assert all(v.startswith("wt1.A256GCM.") and ":" not in v for row in stored for v in row)
    # A second run skips what the map says is done and creates nothing.
    assert (again.created, again.skipped, len(again.refused)) == (0, 2, 2)


def test_import_legacy_command_through_the_router(
    system: RunningSystem,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path, key = export(tmp_path)
    monkeypatch.setenv("ENCRYPTION_SECRET_KEY", key)
    assert (
        main(
            [
                "import-legacy",
                "users",
                str(path),
                "--url",
                system.graphql_url,
                "--token",
                system.token,
            ]
        )
        == 1
    )
    captured = capsys.readouterr()
    assert "users: 2 created, 0 already imported, 2 refused" in captured.out
    assert [line.startswith("refused: record ") for line in captured.err.splitlines()] == [True] * 2
    map_path = path.with_suffix(".idmap.jsonl")
    ids = [json.loads(line)["id"] for line in map_path.read_text().splitlines()]
    response = httpx.post(
        system.graphql_url,
        json={
            "query": "query($id: ID!) { user(id: $id) { emailAddress kycStatus } }",
            "variables": {"id": ids[0]},
        },
        headers=system.headers,
    )
    assert response.json()["data"]["user"] == {
        "emailAddress": "zoe.angstrom@example.com",
        "kycStatus": "NOT_STARTED",
    }
    assert (
        main(
            [
                "import-legacy",
                "users",
                str(path),
                "--url",
                system.graphql_url,
                "--token",
                system.token,
            ]
        )
        == 1
    )
    assert "users: 0 created, 2 already imported, 2 refused" in capsys.readouterr().out


def test_import_legacy_needs_the_seed_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("ENCRYPTION_SECRET_KEY", raising=False)
    path = tmp_path / "export.jsonl"
    shutil.copy(FIXTURES / "legacy_users.jsonl", path)
    assert main(["import-legacy", "users", str(path), "--url", "http://127.0.0.1:9/graphql"]) == 2
    assert "ENCRYPTION_SECRET_KEY is not set" in capsys.readouterr().err


READ_ACCOUNT = """query($id: ID!) { investmentAccount(id: $id) {
  userId clientReference accountType name currency status } }"""


async def _import_accounts_in_process(
    users_path: Path, accounts_path: Path, key: bytes, tmp_path: Path
) -> tuple[dict[str, str], ImportReport, dict[str, Any], ImportReport]:
    users_app = create_app(UsersSettings())
    investments_app = create_investments_app(
        InvestmentsSettings(users_url="http://users/graphql"),
        owner_transport=HostRouterTransport({"users": users_app}),
    )
    user_map, account_map = tmp_path / "users.idmap.jsonl", tmp_path / "accounts.idmap.jsonl"
    async with running_app(users_app) as users, running_app(investments_app) as investments:
        await import_users(users_path, client=users, url="/graphql", key=key, map_path=user_map)
        report = await import_accounts(
            accounts_path,
            client=investments,
            url="/graphql",
            key=key,
            user_map_path=user_map,
            map_path=account_map,
        )
        lines = (await asyncio.to_thread(account_map.read_text)).splitlines()
        ids = {e["legacy_id"]: e["id"] for e in map(json.loads, lines)}
        accounts = {
            legacy: (await execute(investments, READ_ACCOUNT, {"id": new_id})).ok()[
                "investmentAccount"
            ]
            for legacy, new_id in ids.items()
        }
        again = await import_accounts(
            accounts_path,
            client=investments,
            url="/graphql",
            key=key,
            user_map_path=user_map,
            map_path=account_map,
        )
        users_lines = (await asyncio.to_thread(user_map.read_text)).splitlines()
        user_ids = {e["legacy_id"]: e["id"] for e in map(json.loads, users_lines)}
    return user_ids, report, accounts, again


@pytest.mark.parametrize("csv", [False, True], ids=["jsonl", "csv"])
def test_import_accounts_maps_users_and_seals_references(
    csv: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    isolate_environment(monkeypatch, tmp_path / "data")
    users_path, key = export(tmp_path)
    accounts_path, _ = export(tmp_path, csv=csv, entity="accounts", key=key)
    user_ids, report, accounts, again = asyncio.run(
        _import_accounts_in_process(users_path, accounts_path, bytes.fromhex(key), tmp_path)
    )

    refused = "\n".join(report.refused)
    assert (report.created, report.skipped, len(report.refused)) == (2, 0, 3), refused
    assert "legacy id 5003" in refused and "user_id is not in the users id map" in refused
    assert "legacy id 5004" in refused and "does not open with ENCRYPTION_SECRET_KEY" in refused
    assert "legacy id 5005" in refused and "refused: RULE_VIOLATION" in refused
    for secret in ("WK-GIA-0003", "ZA-SIPP-0004", "ZA-ISA-0005"):
        assert secret not in refused
    assert accounts == {
        "5001": {
            "userId": user_ids["1001"],
            "clientReference": "ZA-ISA-0001",
            "accountType": "ISA",
            "name": "Zoë's ISA",
            "currency": "GBP",
            "status": "PENDING",
        },
        "5002": {
            "userId": user_ids["1002"],
            "clientReference": "KM-GIA-7788",
            "accountType": "GIA",
            "name": "Trading, general",
            "currency": "GBP",
            "status": "PENDING",
        },
    }
    with sqlite3.connect(tmp_path / "data" / "investments.sqlite3") as connection:
        stored = [
            row[0] for row in connection.execute("SELECT client_reference FROM investment_accounts")
        ]
    assert len(stored) == 2
    assert all(v.startswith("wt1.A256GCM.") and ":" not in v for v in stored)
    assert (again.created, again.skipped, len(again.refused)) == (0, 2, 3)


@pytest.mark.parametrize(
    ("entity", "needs"), [("accounts", "--user-map"), ("transactions", "--account-map")]
)
def test_import_legacy_needs_the_owners_id_map(
    entity: str,
    needs: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("ENCRYPTION_SECRET_KEY", FIXED_KEY)
    path = tmp_path / f"{entity}.jsonl"
    shutil.copy(FIXTURES / f"legacy_{entity}.jsonl", path)
    args = ["import-legacy", entity, str(path), "--url", "http://127.0.0.1:9/graphql"]
    assert main(args) == 2
    assert f"{entity} need {needs}" in capsys.readouterr().err
    assert not path.with_suffix(".idmap.jsonl").exists()


def test_import_legacy_compliance_refuses_a_missing_map_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ENCRYPTION_SECRET_KEY", FIXED_KEY)
    path = tmp_path / "compliance.jsonl"
    shutil.copy(FIXTURES / "legacy_compliance.jsonl", path)
    args = ["import-legacy", "compliance", str(path), "--url", "http://127.0.0.1:9/graphql"]
    assert main([*args, "--user-map", str(tmp_path / "absent.jsonl")]) == 2
    assert "an id map given to compliance does not exist" in capsys.readouterr().err
    assert not path.with_suffix(".idmap.jsonl").exists()


READ_TRANSACTION = """query($id: ID!) { transaction(id: $id) {
  accountId type status tradeDate reference
  considerationAmount { amount currency } chargesAmount { amount currency } } }"""
ACTIVATE = """mutation($id: ID!) {
  updateInvestmentAccount(input: {id: $id, version: 1, status: ACTIVE}) { status } }"""


async def _import_transactions_in_process(
    paths: dict[str, Path], key: bytes, tmp_path: Path, *, compliance: bool = False
) -> tuple[dict[str, str], list[ImportReport], dict[str, Any]]:
    """Import users, accounts (then activated) and transactions; with ``compliance``, instead of
    re-running the transactions, import the compliance logs and return those."""
    users_app = create_app(UsersSettings())
    investments_app = create_investments_app(
        InvestmentsSettings(users_url="http://users/graphql"),
        owner_transport=HostRouterTransport({"users": users_app}),
    )
    transactions_app = create_transactions_app(
        TransactionsSettings(investments_url="http://investments/graphql"),
        owner_transport=HostRouterTransport({"investments": investments_app}),
    )
    compliance_app = create_compliance_app(
        ComplianceSettings(
            users_url="http://users/graphql",
            investments_url="http://investments/graphql",
            transactions_url="http://transactions/graphql",
        ),
        owner_transport=HostRouterTransport(
            {"users": users_app, "investments": investments_app, "transactions": transactions_app}
        ),
    )
    maps = {entity: tmp_path / f"{entity}.idmap.jsonl" for entity in paths}
    async with (
        running_app(users_app) as users,
        running_app(investments_app) as investments,
        running_app(transactions_app) as transactions,
        running_app(compliance_app) as logs,
    ):
        await import_users(
            paths["users"], client=users, url="/graphql", key=key, map_path=maps["users"]
        )
        await import_accounts(
            paths["accounts"],
            client=investments,
            url="/graphql",
            key=key,
            user_map_path=maps["users"],
            map_path=maps["accounts"],
        )
        lines = (await asyncio.to_thread(maps["accounts"].read_text)).splitlines()
        account_ids = {e["legacy_id"]: e["id"] for e in map(json.loads, lines)}
        for account_id in account_ids.values():
            await execute(investments, ACTIVATE, {"id": account_id})

        async def run(map_path: Path) -> ImportReport:
            return await import_transactions(
                paths["transactions"],
                client=transactions,
                url="/graphql",
                key=key,
                account_map_path=maps["accounts"],
                map_path=map_path,
            )

        reports = [await run(maps["transactions"])]
        if compliance:
            return account_ids, *(await _import_compliance(logs, paths, key, maps))
        lines = (await asyncio.to_thread(maps["transactions"].read_text)).splitlines()
        ids = {e["legacy_id"]: e["id"] for e in map(json.loads, lines)}
        found = {
            legacy: (await execute(transactions, READ_TRANSACTION, {"id": new_id})).ok()[
                "transaction"
            ]
            for legacy, new_id in ids.items()
        }
        # With the map: everything skipped. Without it (a lost map): the idempotency keys
        # return the transactions created the first time, under the same ids.
        reports.append(await run(maps["transactions"]))
        lost = tmp_path / "lost.idmap.jsonl"
        reports.append(await run(lost))
        lines = (await asyncio.to_thread(lost.read_text)).splitlines()
        relost = {e["legacy_id"]: e["id"] for e in map(json.loads, lines)}
        assert relost == ids
    return account_ids, reports, found


@pytest.mark.parametrize("csv", [False, True], ids=["jsonl", "csv"])
def test_import_transactions_idempotently_with_sealed_amounts(
    csv: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    isolate_environment(monkeypatch, tmp_path / "data")
    users_path, key = export(tmp_path)
    paths = {
        "users": users_path,
        "accounts": export(tmp_path, entity="accounts", key=key)[0],
        "transactions": export(tmp_path, csv=csv, entity="transactions", key=key)[0],
    }
    account_ids, (report, again, lost), found = asyncio.run(
        _import_transactions_in_process(paths, bytes.fromhex(key), tmp_path)
    )

    refused = "\n".join(report.refused)
    assert (report.created, report.skipped, len(report.refused)) == (2, 0, 3), refused
    assert "legacy id 7003" in refused and "account_id is not in the accounts id map" in refused
    assert "legacy id 7004" in refused and "consideration_amount does not open" in refused
    assert "legacy id 7005" in refused and "refused: RULE_VIOLATION" in refused
    assert "99999" not in refused and "20.00" not in refused
    assert found == {
        "7001": {
            "accountId": account_ids["5001"],
            "type": "DEPOSIT",
            "status": "PENDING",
            "tradeDate": "2024-03-01",
            "reference": "Opening deposit",
            "considerationAmount": {"amount": "1000.00", "currency": "GBP"},
            "chargesAmount": {"amount": "0.00", "currency": "GBP"},
        },
        "7002": {
            "accountId": account_ids["5002"],
            "type": "DEPOSIT",
            "status": "PENDING",
            "tradeDate": "2024-03-02",
            "reference": None,
            "considerationAmount": {"amount": "250.5", "currency": "GBP"},
            "chargesAmount": {"amount": "1.25", "currency": "GBP"},
        },
    }
    assert (again.created, again.skipped, len(again.refused)) == (0, 2, 3)
    # The lost-map run got the first run's transactions back (same ids, checked above) ...
    assert (lost.skipped, len(lost.refused)) == (0, 3)
    with sqlite3.connect(tmp_path / "data" / "transactions.sqlite3") as connection:
        stored = connection.execute(
            "SELECT consideration_amount, charges_amount FROM transactions"
        ).fetchall()
    # ... and created no second row.
    assert len(stored) == 2
    assert all(v.startswith("wt1.A256GCM.") and ":" not in v for row in stored for v in row)


READ_LOG = """query($id: ID!) { complianceLog(id: $id) {
  eventType outcome provider performedBy logDetails responseId
  user { id } account { id } transaction { id } } }"""


async def _import_compliance(
    client: httpx.AsyncClient, paths: dict[str, Path], key: bytes, maps: dict[str, Path]
) -> tuple[list[ImportReport], dict[str, Any]]:
    async def run(map_path: Path | None = None) -> ImportReport:
        return await import_compliance_logs(
            paths["compliance"],
            client=client,
            url="/graphql",
            key=key,
            user_map_path=maps["users"],
            account_map_path=maps["accounts"],
            transaction_map_path=maps["transactions"],
            map_path=map_path or maps["compliance"],
        )

    report = await run()
    ids = {}
    for entity in ("users", "transactions", "compliance"):
        lines = (await asyncio.to_thread(maps[entity].read_text)).splitlines()
        ids[entity] = {e["legacy_id"]: e["id"] for e in map(json.loads, lines)}
    found = {
        legacy: (await execute(client, READ_LOG, {"id": new_id})).ok()["complianceLog"]
        for legacy, new_id in ids["compliance"].items()
    }
    found["ids"] = ids
    again = await run()
    # Without the map (a lost one): the idempotency keys return the logs created the first
    # time, under the same ids, and append nothing to the chain.
    lost_map = maps["compliance"].with_name("lost-compliance.idmap.jsonl")
    lost = await run(lost_map)
    lines = (await asyncio.to_thread(lost_map.read_text)).splitlines()
    found["relost"] = {e["legacy_id"]: e["id"] for e in map(json.loads, lines)}
    return [report, again, lost], found


@pytest.mark.parametrize("csv", [False, True], ids=["jsonl", "csv"])
def test_import_compliance_logs_maps_every_subject(
    csv: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    isolate_environment(monkeypatch, tmp_path / "data")
    users_path, key = export(tmp_path)
    paths = {
        "users": users_path,
        "accounts": export(tmp_path, entity="accounts", key=key)[0],
        "transactions": export(tmp_path, entity="transactions", key=key)[0],
        "compliance": export(tmp_path, csv=csv, entity="compliance", key=key)[0],
    }
    account_ids, (report, again, lost), found = asyncio.run(
        _import_transactions_in_process(paths, bytes.fromhex(key), tmp_path, compliance=True)
    )
    ids = found.pop("ids")
    relost = found.pop("relost")

    refused = "\n".join(report.refused)
    assert (report.created, report.skipped, len(report.refused)) == (2, 0, 3), refused
    assert "legacy id 9003" in refused and "transaction_id is not in the transactions" in refused
    assert "legacy id 9004" in refused and "log_details does not open" in refused
    assert "legacy id 9005" in refused and "log_details does not hold a JSON object" in refused
    for secret in ("no funds", "aml-KM-0003", "pep-ZA-0004", "pep-KM-0005", '"not"'):
        assert secret not in refused
    assert found == {
        "9001": {
            "eventType": "KYC_CHECK_PASSED",
            "outcome": "CLEAR",
            "provider": "Onfido",
            "performedBy": "seed-migration",
            "logDetails": {"check": "identity", "document": "passport"},
            "responseId": "chk-ZA-0001",
            "user": {"id": ids["users"]["1001"]},
            "account": None,
            "transaction": None,
        },
        "9002": {
            "eventType": "AML_SCREENING",
            "outcome": "CLEAR",
            "provider": None,
            "performedBy": "seed-migration",
            "logDetails": {"lists": ["HMT", "OFAC"], "hits": 0},
            "responseId": "aml-KM-0002",
            "user": {"id": ids["users"]["1002"]},
            "account": {"id": account_ids["5002"]},
            "transaction": {"id": ids["transactions"]["7002"]},
        },
    }
    assert (again.created, again.skipped, len(again.refused)) == (0, 2, 3)
    # The lost-map run got the first run's logs back (same ids) and appended none (below).
    assert (lost.skipped, len(lost.refused)) == (0, 3)
    assert relost == ids["compliance"]
    with sqlite3.connect(tmp_path / "data" / "compliance.sqlite3") as connection:
        keys = connection.execute(
            "SELECT idempotency_key FROM compliance_logs WHERE event_type != 'DATA_ACCESS'"
        ).fetchall()
        assert len(keys) == 2 and all(key.startswith("legacy-") for (key,) in keys)
        stored = connection.execute(
            "SELECT log_id, log_details, response_id FROM compliance_log_revisions"
            " WHERE event_type != 'DATA_ACCESS'"  # reading the logs above is audited too
        ).fetchall()
    assert sorted(row[0] for row in stored) == sorted(ids["compliance"].values())
    stored = [row[1:] for row in stored]
    assert all(v.startswith("wt1.A256GCM.") and ":" not in v for row in stored for v in row)
