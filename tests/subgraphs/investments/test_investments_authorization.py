"""Who may do what with investment accounts: the role matrix, pii:read, the access audit."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from crypto import Principal
from subgraphs.kit.testing import GraphQLResult, execute, principal, state_of
from tests.subgraphs.investments.investments_support import (
    CREATE_ACCOUNT,
    UNKNOWN_ACCOUNT,
    UNKNOWN_USER,
    account_input,
    create_account,
    create_user,
    move,
)
from tests.subgraphs.security_support import (
    STAFF,
    Matrix,
    assert_indistinguishable,
    role_principals,
)

OWN_OR_STAFF = {"client", *STAFF}
ACCOUNT_ENTITIES = (
    "query($r: [_Any!]!) { _entities(representations: $r) "
    "{ ... on InvestmentAccount { id name } } }"
)
USER_ACCOUNTS = (
    "query($r: [_Any!]!) { _entities(representations: $r) "
    "{ ... on User { investmentAccounts { nodes { id } } } } }"
)
UPDATE = (
    "mutation($input: UpdateInvestmentAccountInput!) "
    "{ updateInvestmentAccount(input: $input) { id status version } }"
)
GET_VERSION = "query($id: ID!) { investmentAccount(id: $id) { version status } }"


async def test_role_matrix(client: httpx.AsyncClient, users_client: httpx.AsyncClient) -> None:
    own_user = await create_user(users_client, 1)
    other_user = await create_user(users_client, 2)
    own = await create_account(client, own_user)
    other = await create_account(client, other_user)
    active = await move(
        client, await create_account(client, own_user, clientReference="A2"), "ACTIVE"
    )
    matrix = Matrix(role_principals(own_user))

    def query(document: str, variables: dict[str, Any]):  # type: ignore[no-untyped-def]
        return lambda who: execute(client, document, variables, principal=who)

    get = "query($id: ID!) { investmentAccount(id: $id) { id } }"
    # Another client's account reads as a missing one (null, no error).
    await matrix.check(
        "investmentAccount(own)",
        OWN_OR_STAFF,
        query(get, {"id": own["id"]}),
        null={"other_client"},
    )
    await matrix.check(
        "investmentAccount(other)",
        STAFF,
        query(get, {"id": other["id"]}),
        null={"client", "other_client"},
    )
    await matrix.check(
        "_entities(InvestmentAccount own)",
        OWN_OR_STAFF,
        query(ACCOUNT_ENTITIES, {"r": [{"__typename": "InvestmentAccount", "id": own["id"]}]}),
        null={"other_client"},
    )
    await matrix.check(
        "investmentAccountByReference(own)",
        OWN_OR_STAFF,
        query(
            "query($u: ID!, $r: String!) { investmentAccountByReference(userId: $u, "
            "clientReference: $r) { id } }",
            {"u": own_user, "r": "ADA-GIA-0001"},
        ),
    )
    listing = (
        "query($f: InvestmentAccountFilter) { investmentAccounts(filter: $f) { nodes { id } } }"
    )
    await matrix.check(
        "investmentAccounts(own user)", OWN_OR_STAFF, query(listing, {"f": {"userId": own_user}})
    )
    await matrix.check(
        "investmentAccounts(other user)", STAFF, query(listing, {"f": {"userId": other_user}})
    )
    # Every client may list: the list is narrowed to its own accounts (checked below).
    await matrix.check(
        "investmentAccounts(all)", {"other_client", *OWN_OR_STAFF}, query(listing, {})
    )
    await matrix.check(
        "User.investmentAccounts(own)",
        OWN_OR_STAFF,
        query(USER_ACCOUNTS, {"r": [{"__typename": "User", "id": own_user}]}),
    )
    await matrix.check(
        "User.investmentAccounts(other)",
        STAFF,
        query(USER_ACCOUNTS, {"r": [{"__typename": "User", "id": other_user}]}),
    )

    created = 0

    async def create(who: Principal) -> GraphQLResult:
        nonlocal created
        created += 1
        variables = {"input": account_input(own_user, clientReference=f"NEW-{created}")}
        return await execute(client, CREATE_ACCOUNT, variables, principal=who)

    await matrix.check("createInvestmentAccount", {"admin", "advisor"}, create)

    async def rename(who: Principal) -> GraphQLResult:
        version = (await execute(client, GET_VERSION, {"id": own["id"]})).ok()
        variables = {
            "input": {
                "id": own["id"],
                "version": version["investmentAccount"]["version"],
                "name": "X",
            }
        }
        return await execute(client, UPDATE, variables, principal=who)

    await matrix.check("updateInvestmentAccount(name)", {"admin", "advisor"}, rename)

    async def suspend(who: Principal) -> GraphQLResult:
        current = (await execute(client, GET_VERSION, {"id": active["id"]})).ok()
        version = current["investmentAccount"]["version"]
        result = await execute(
            client,
            UPDATE,
            {"input": {"id": active["id"], "version": version, "status": "SUSPENDED"}},
            principal=who,
        )
        if not result.errors:  # lift it again (as admin) for the next role
            lifted = {"id": active["id"], "version": version + 1, "status": "ACTIVE"}
            (await execute(client, UPDATE, {"input": lifted})).ok()
        return result

    await matrix.check("updateInvestmentAccount(suspend)", {"admin", "compliance"}, suspend)

    assert matrix.mismatches == []
    assert matrix.cells == 12 * 6
    # A client's unfiltered list holds only its own accounts.
    mine = await execute(client, listing, {}, principal=matrix.principals["client"])
    listed = {node["id"] for node in mine.ok()["investmentAccounts"]["nodes"]}
    assert other["id"] not in listed and {own["id"], active["id"]} <= listed


ACCOUNT_SELECTION = "id userId name status clientReference"
ACCOUNT_READS = {
    "investmentAccount": "query($id: ID!) "
    f"{{ investmentAccount(id: $id) {{ {ACCOUNT_SELECTION} }} }}",
    "_entities": "query($r: [_Any!]!) { _entities(representations: $r) "
    f"{{ ... on InvestmentAccount {{ {ACCOUNT_SELECTION} }} }} }}",
}


def _account_variables(path: str, account_id: str) -> dict[str, Any]:
    if path == "_entities":
        return {"r": [{"__typename": "InvestmentAccount", "id": account_id}]}
    return {"id": account_id}


def _account_of(path: str, data: dict[str, Any]) -> Any:
    return data["investmentAccount"] if path == "investmentAccount" else data["_entities"][0]


async def test_another_users_account_reads_exactly_like_a_missing_one(
    client: httpx.AsyncClient, users_client: httpx.AsyncClient, investments_app: FastAPI
) -> None:
    own_user = await create_user(users_client, 1)
    own = await create_account(client, own_user)
    other = await create_account(client, await create_user(users_client, 2))
    as_client = principal("client", user_id=own_user, sub="probing-client")
    for path, document in ACCOUNT_READS.items():
        body = await assert_indistinguishable(
            client,
            document,
            _account_variables(path, other["id"]),
            _account_variables(path, UNKNOWN_ACCOUNT),
            who=as_client,
        )
        expected = {"investmentAccount": None} if path != "_entities" else {"_entities": [None]}
        assert json.loads(body) == {"data": expected}, path
        # The client still reads its own account, and staff the other one, on the same path.
        for who, account in ((as_client, own), (principal("advisor", sub="staff"), other)):
            result = await execute(
                client, document, _account_variables(path, account["id"]), principal=who
            )
            found = _account_of(path, result.ok())
            assert found["id"] == account["id"] and found["clientReference"], path
        # A role that reads no accounts is refused whether the id exists or not.
        refused = await assert_indistinguishable(
            client,
            document,
            _account_variables(path, other["id"]),
            _account_variables(path, UNKNOWN_ACCOUNT),
            who=principal("service"),
        )
        assert json.loads(refused)["errors"][0]["extensions"]["reason"] == "ROLE"
    # The hidden account's reference was never opened: only the client's own is audited.
    accessed = [
        item
        for event in await _events(investments_app, "probing-client")
        for item in event["accessed"]
    ]
    assert {item["id"] for item in accessed} == {own["id"]}
    staff = [
        item for event in await _events(investments_app, "staff") for item in event["accessed"]
    ]
    assert {item["id"] for item in staff} == {other["id"]}


async def test_naming_another_user_is_refused_alike_whether_that_user_exists(
    client: httpx.AsyncClient, users_client: httpx.AsyncClient
) -> None:
    # A filter or parent that names a user id is decided by the id alone (FORBIDDEN NOT_OWN),
    # before any look-up: another user that exists and a user id that does not get the same.
    own_user = await create_user(users_client, 1)
    other_user = await create_user(users_client, 2)
    theirs = await create_account(client, other_user)
    as_client = principal("client", user_id=own_user)
    reads: dict[str, tuple[str, Callable[[str], dict[str, Any]]]] = {
        "investmentAccounts(filter: userId)": (
            "query($f: InvestmentAccountFilter) { investmentAccounts(filter: $f) "
            "{ nodes { id } } }",
            lambda user_id: {"f": {"userId": user_id}},
        ),
        "User.investmentAccounts": (
            USER_ACCOUNTS,
            lambda user_id: {"r": [{"__typename": "User", "id": user_id}]},
        ),
        "investmentAccountByReference": (
            "query($u: ID!, $r: String!) { investmentAccountByReference(userId: $u, "
            "clientReference: $r) { id } }",
            lambda user_id: {"u": user_id, "r": "ADA-GIA-0001"},
        ),
    }
    for name, (document, variables) in reads.items():
        body = await assert_indistinguishable(
            client, document, variables(other_user), variables(UNKNOWN_USER), who=as_client
        )
        [error] = json.loads(body)["errors"]
        assert error["extensions"] == {"code": "FORBIDDEN", "reason": "NOT_OWN"}, name
        # Staff name any user and find the other user's account.
        staff = await execute(
            client, document, variables(other_user), principal=principal("advisor")
        )
        assert theirs["id"] in json.dumps(staff.ok()), name


async def test_compliance_may_not_change_anything_else(
    client: httpx.AsyncClient, users_client: httpx.AsyncClient
) -> None:
    account = await create_account(client, await create_user(users_client))
    as_compliance = principal("compliance")
    for change in ({"name": "renamed"}, {"status": "ACTIVE"}):
        result = await execute(
            client,
            UPDATE,
            {"input": {"id": account["id"], "version": 1, **change}},
            principal=as_compliance,
        )
        assert result.error()["extensions"]["code"] == "FORBIDDEN"
    assert (await execute(client, GET_VERSION, {"id": account["id"]})).ok()[
        "investmentAccount"
    ] == {"version": 1, "status": "PENDING"}


async def test_client_reference_needs_pii_read_and_its_reads_are_audited(
    client: httpx.AsyncClient, users_client: httpx.AsyncClient, investments_app: FastAPI
) -> None:
    account = await create_account(client, await create_user(users_client))
    document = "query($id: ID!) { investmentAccount(id: $id) { id name clientReference } }"

    result = await execute(
        client, document, {"id": account["id"]}, principal=principal("advisor", scopes=(), sub="a1")
    )
    assert result.data == {
        "investmentAccount": {
            "id": account["id"],
            "name": "Long-term growth",
            "clientReference": None,
        }
    }
    assert result.error()["path"] == ["investmentAccount", "clientReference"]
    assert result.error()["extensions"]["code"] == "FORBIDDEN"
    assert await _events(investments_app, "a1") == []

    plain = await execute(
        client,
        "query($id: ID!) { investmentAccount(id: $id) { id name } }",
        {"id": account["id"]},
        principal=principal("advisor", sub="a2"),
    )
    plain.ok()
    assert await _events(investments_app, "a2") == []

    read = await execute(
        client, document, {"id": account["id"]}, principal=principal("advisor", sub="a3")
    )
    assert read.ok()["investmentAccount"]["clientReference"] == "ADA-GIA-0001"
    [event] = await _events(investments_app, "a3")
    assert event["accessed"] == [
        {"entity": "InvestmentAccount", "id": account["id"], "fields": ["client_reference"]}
    ]
    assert event["principalRoles"] == ["advisor"] and event["requestId"]
    assert "ADA-GIA" not in json.dumps(event)


async def _events(app: FastAPI, sub: str) -> list[dict[str, Any]]:
    async with state_of(app).database.engine.connect() as connection:
        payloads = (await connection.execute(text("SELECT payload FROM audit_outbox"))).scalars()
        return [event for event in map(json.loads, payloads) if event["principalSub"] == sub]
