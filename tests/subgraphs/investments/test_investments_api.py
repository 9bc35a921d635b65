"""Investment accounts through the real app: create, read, look-ups, updates, lifecycle, lists."""

from __future__ import annotations

import datetime as dt

import httpx

from subgraphs.kit import is_id
from subgraphs.kit.testing import execute
from tests.subgraphs.investments.investments_support import (
    GET_ACCOUNT,
    LIST_ACCOUNTS,
    UNKNOWN_ACCOUNT,
    create_account,
    create_user,
    move,
    update_account,
)

BY_REFERENCE = """query($u: ID!, $r: String!) {
    investmentAccountByReference(userId: $u, clientReference: $r) { id clientReference } }"""


async def test_create_account_starts_pending_with_defaults_and_reads_back(
    client: httpx.AsyncClient, users_client: httpx.AsyncClient
) -> None:
    user_id = await create_user(users_client)

    account = await create_account(
        client, user_id, clientReference="  ADA-GIA-0001 ", name=" Long-term growth "
    )

    assert is_id("acc", account["id"])
    assert account["userId"] == user_id
    assert account["user"] == {"id": user_id}
    assert account["clientReference"] == "ADA-GIA-0001"  # trimmed, case kept
    assert account["accountType"] == "GIA"
    assert account["name"] == "Long-term growth"
    assert account["currency"] == "GBP"  # the default
    assert account["status"] == "PENDING"
    assert account["openedAt"] is None and account["closedAt"] is None
    assert account["version"] == 1
    assert dt.datetime.fromisoformat(account["createdAt"]).tzinfo is not None
    assert account["updatedAt"] == account["createdAt"]

    read = (await execute(client, GET_ACCOUNT, {"id": account["id"]})).ok()["investmentAccount"]
    assert read == account
    missing = await execute(client, GET_ACCOUNT, {"id": UNKNOWN_ACCOUNT})
    assert missing.ok()["investmentAccount"] is None

    other = await create_account(
        client, user_id, currency="usd", accountType="SIPP", clientReference="R2"
    )
    assert (other["currency"], other["accountType"]) == ("USD", "SIPP")  # stored upper-case


async def test_look_up_by_client_reference_is_per_user_and_exact(
    client: httpx.AsyncClient, users_client: httpx.AsyncClient
) -> None:
    ada = await create_user(users_client, 1)
    grace = await create_user(users_client, 2)
    mine = await create_account(client, ada, clientReference="REF-1")
    theirs = await create_account(client, grace, clientReference="REF-1")  # per user: allowed

    found = await execute(client, BY_REFERENCE, {"u": ada, "r": " REF-1 "})
    assert found.ok()["investmentAccountByReference"] == {
        "id": mine["id"],
        "clientReference": "REF-1",
    }
    other = await execute(client, BY_REFERENCE, {"u": grace, "r": "REF-1"})
    assert other.ok()["investmentAccountByReference"]["id"] == theirs["id"]
    # A client's own reference is case-sensitive.
    assert (await execute(client, BY_REFERENCE, {"u": ada, "r": "ref-1"})).ok()[
        "investmentAccountByReference"
    ] is None
    assert (await execute(client, BY_REFERENCE, {"u": ada, "r": "REF-2"})).ok()[
        "investmentAccountByReference"
    ] is None


async def test_duplicate_reference_for_the_same_user_is_a_conflict(
    client: httpx.AsyncClient, users_client: httpx.AsyncClient
) -> None:
    user_id = await create_user(users_client)
    first = await create_account(client, user_id, clientReference="REF-1")

    result = await execute(
        client,
        "mutation($i: CreateInvestmentAccountInput!) { createInvestmentAccount(input: $i) { id } }",
        {"i": {"userId": user_id, "clientReference": "REF-1 ", "accountType": "SIPP", "name": "X"}},
    )
    error = result.error()
    assert error["extensions"]["code"] == "CONFLICT"
    assert error["extensions"]["reason"] == "DUPLICATE"
    assert error["extensions"]["field"] == "clientReference"
    assert "REF-1" not in error["message"]

    second = await create_account(client, user_id, clientReference="REF-2")
    taken = await update_account(client, id=second["id"], version=1, clientReference="REF-1")
    assert taken.error()["extensions"]["reason"] == "DUPLICATE"
    listed = (await execute(client, LIST_ACCOUNTS, {})).ok()["investmentAccounts"]["nodes"]
    assert [node["id"] for node in listed] == [first["id"], second["id"]]


async def test_partial_update_changes_only_named_fields(
    client: httpx.AsyncClient, users_client: httpx.AsyncClient
) -> None:
    user_id = await create_user(users_client)
    account = await create_account(client, user_id)

    result = await update_account(
        client, id=account["id"], version=1, name="Retirement", clientReference="NEW-REF"
    )
    updated = result.ok()["updateInvestmentAccount"]

    assert (updated["name"], updated["clientReference"]) == ("Retirement", "NEW-REF")
    assert updated["version"] == 2
    assert updated["updatedAt"] >= account["updatedAt"]
    for key in account.keys() - {"name", "clientReference", "version", "updatedAt"}:
        assert updated[key] == account[key], key
    found = await execute(client, BY_REFERENCE, {"u": user_id, "r": "NEW-REF"})
    assert found.ok()["investmentAccountByReference"]["id"] == account["id"]
    old = await execute(client, BY_REFERENCE, {"u": user_id, "r": "ADA-GIA-0001"})
    assert old.ok()["investmentAccountByReference"] is None

    # Naming the current values changes nothing: no write, no new version.
    same = await update_account(
        client,
        id=account["id"],
        version=2,
        name=" Retirement ",
        clientReference="NEW-REF",
        status="PENDING",
        currency="gbp",
    )
    assert same.ok()["updateInvestmentAccount"] == updated


async def test_stale_version_is_a_conflict_and_changes_nothing(
    client: httpx.AsyncClient, users_client: httpx.AsyncClient
) -> None:
    user_id = await create_user(users_client)
    account = await create_account(client, user_id)
    (await update_account(client, id=account["id"], version=1, name="First")).ok()

    stale = await update_account(client, id=account["id"], version=1, name="Second")

    error = stale.error()
    assert error["extensions"]["code"] == "CONFLICT"
    assert error["extensions"]["reason"] == "STALE_VERSION"
    assert error["extensions"]["currentVersion"] == 2
    current = (await execute(client, GET_ACCOUNT, {"id": account["id"]})).ok()
    assert (current["investmentAccount"]["name"], current["investmentAccount"]["version"]) == (
        "First",
        2,
    )


async def test_update_of_unknown_account_is_not_found(client: httpx.AsyncClient) -> None:
    result = await update_account(client, id=UNKNOWN_ACCOUNT, version=1, name="X")
    assert result.error()["extensions"]["code"] == "NOT_FOUND"
    assert result.error()["extensions"]["entity"] == "InvestmentAccount"


async def test_type_and_currency_change_only_while_pending(
    client: httpx.AsyncClient, users_client: httpx.AsyncClient
) -> None:
    user_id = await create_user(users_client)
    account = await create_account(client, user_id)
    changed = (
        await update_account(
            client, id=account["id"], version=1, accountType="SIPP", currency="eur"
        )
    ).ok()["updateInvestmentAccount"]
    assert (changed["accountType"], changed["currency"]) == ("SIPP", "EUR")

    active = await move(client, changed, "ACTIVE")
    for field, value in (("accountType", "GIA"), ("currency", "GBP")):
        refused = await update_account(client, id=account["id"], version=3, **{field: value})
        error = refused.error()
        assert error["extensions"]["code"] == "RULE_VIOLATION"
        assert error["extensions"]["reason"] == "FIXED_ONCE_OPENED"
        assert error["extensions"]["field"] == field
    after = (await execute(client, GET_ACCOUNT, {"id": account["id"]})).ok()
    assert after["investmentAccount"] == active


async def test_health_endpoint(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "subgraph": "investments"}
