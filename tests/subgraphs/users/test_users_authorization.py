"""Who may do what in the users subgraph: the role matrix, the pii:read scope, the access audit."""

from __future__ import annotations

import json

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from subgraphs.kit.testing import execute, principal, state_of
from tests.subgraphs.security_support import (
    STAFF,
    Matrix,
    assert_indistinguishable,
    role_principals,
)
from tests.subgraphs.users.users_support import CREATE_USER, create_user, user_input

ENTITIES = "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id firstName } } }"


async def test_role_matrix(client: httpx.AsyncClient) -> None:
    own = await create_user(client)
    other = await create_user(client, emailAddress="grace@example.com")
    matrix = Matrix(role_principals(own["id"]))
    created = 0

    async def read(query: str, variables: dict[str, object]):  # type: ignore[no-untyped-def]
        return lambda who: execute(client, query, variables, principal=who)

    # Another client's user reads as a missing one (null, no error); "service" reads no users.
    await matrix.check(
        "user(own)",
        {"client", *STAFF},
        await read("query($id: ID!) { user(id: $id) { id firstName } }", {"id": own["id"]}),
        null={"other_client"},
    )
    await matrix.check(
        "user(other)",
        STAFF,
        await read("query($id: ID!) { user(id: $id) { id } }", {"id": other["id"]}),
        null={"client", "other_client"},
    )
    await matrix.check(
        "_entities(User own)",
        {"client", *STAFF},
        await read(ENTITIES, {"r": [{"__typename": "User", "id": own["id"]}]}),
        null={"other_client"},
    )
    await matrix.check(
        "userByEmail",
        STAFF,
        await read(
            "query($e: String!) { userByEmail(emailAddress: $e) { id } }",
            {"e": "grace@example.com"},
        ),
    )
    await matrix.check("users", STAFF, await read("{ users(first: 5) { nodes { id } } }", {}))

    async def create(who):  # type: ignore[no-untyped-def]
        nonlocal created
        created += 1
        variables = {"input": user_input(emailAddress=f"new{created}@example.com")}
        return await execute(client, CREATE_USER, variables, principal=who)

    await matrix.check("createUser", {"admin"}, create)

    async def rename(who):  # type: ignore[no-untyped-def]
        current = await execute(
            client, "query($id: ID!) { user(id: $id) { version } }", {"id": own["id"]}
        )
        variables = {
            "input": {"id": own["id"], "version": current.ok()["user"]["version"], "title": "Ms"}
        }
        return await execute(
            client,
            "mutation($input: UpdateUserInput!) { updateUser(input: $input) { id } }",
            variables,
            principal=who,
        )

    await matrix.check("updateUser", {"admin"}, rename)

    assert matrix.mismatches == []
    assert matrix.cells == 7 * 6
    # Refused creations wrote nothing: 2 users + the one admin creation.
    listed = await execute(client, "{ users(first: 50) { nodes { id } } }")
    assert len(listed.ok()["users"]["nodes"]) == 3


MISSING_USER = "usr_00000000000070008000000000000000"
SELECTION = "id firstName emailAddress dateOfBirth annualIncome { amount currency }"
USER_READS = {
    "user": f"query($id: ID!) {{ user(id: $id) {{ {SELECTION} }} }}",
    "_entities": "query($r: [_Any!]!) { _entities(representations: $r) "
    f"{{ ... on User {{ {SELECTION} }} }} }}",
}


def _variables(path: str, user_id: str) -> dict[str, object]:
    if path == "_entities":
        return {"r": [{"__typename": "User", "id": user_id}]}
    return {"id": user_id}


async def test_another_users_id_reads_exactly_like_a_missing_one(
    client: httpx.AsyncClient, users_app: FastAPI
) -> None:
    own = await create_user(client)
    other = await create_user(client, emailAddress="grace@example.com")
    as_client = principal("client", user_id=own["id"], sub="probing-client")
    for path, document in USER_READS.items():
        body = await assert_indistinguishable(
            client,
            document,
            _variables(path, other["id"]),
            _variables(path, MISSING_USER),
            who=as_client,
        )
        expected = {"user": None} if path == "user" else {"_entities": [None]}
        assert json.loads(body) == {"data": expected}, path
        # The client still reads itself, and staff read the other user, on the same path.
        mine = await execute(client, document, _variables(path, own["id"]), principal=as_client)
        theirs = await execute(
            client, document, _variables(path, other["id"]), principal=principal("advisor")
        )
        for result, user in ((mine, own), (theirs, other)):
            data = result.ok()
            found = data["user"] if path == "user" else data["_entities"][0]
            assert found["id"] == user["id"] and found["emailAddress"], path
        # A role that reads no users is refused whether the id exists or not.
        refused = await assert_indistinguishable(
            client,
            document,
            _variables(path, other["id"]),
            _variables(path, MISSING_USER),
            who=principal("service"),
        )
        assert json.loads(refused)["errors"][0]["extensions"]["reason"] == "ROLE"
    # The hidden user was never opened: the client's only audited reads are of itself.
    events = await _outbox(users_app, request_id=None, sub="probing-client")
    accessed = [item for event in events for item in event["accessed"]]  # type: ignore[attr-defined]
    assert {item["id"] for item in accessed} == {own["id"]}


async def test_sensitive_fields_need_pii_read(
    client: httpx.AsyncClient, users_app: FastAPI
) -> None:
    user = await create_user(client)
    without_scope = principal("advisor", scopes=())
    result = await execute(
        client,
        "query($id: ID!) { user(id: $id) { id firstName emailAddress annualIncome { amount } "
        "status } }",
        {"id": user["id"]},
        principal=without_scope,
    )
    assert result.status_code == 200
    assert result.data == {
        "user": {
            "id": user["id"],
            "firstName": "Ada",
            "emailAddress": None,
            "annualIncome": None,
            "status": "ACTIVE",
        }
    }
    errors = sorted(result.errors, key=lambda error: error["path"])
    assert [error["path"] for error in errors] == [
        ["user", "annualIncome"],
        ["user", "emailAddress"],
    ]
    assert {error["extensions"]["code"] for error in errors} == {"FORBIDDEN"}
    assert {error["extensions"]["reason"] for error in errors} == {"SCOPE"}
    body = json.dumps(result.body).lower()
    assert "example.com" not in body and "85000.00" not in body
    # Nothing was decrypted, so nothing is audited for this read.
    assert await _outbox(users_app, request_id=None, sub=without_scope.sub) == []


async def _outbox(app: FastAPI, *, request_id: str | None, sub: str) -> list[dict[str, object]]:
    async with state_of(app).database.engine.connect() as connection:
        rows = (await connection.execute(text("SELECT payload FROM audit_outbox"))).scalars()
        events = [json.loads(payload) for payload in rows]
    return [
        event
        for event in events
        if event["principalSub"] == sub and (request_id is None or event["requestId"] == request_id)
    ]


async def test_pii_reads_are_audited_and_only_they(
    client: httpx.AsyncClient, users_app: FastAPI
) -> None:
    first = await create_user(client)
    second = await create_user(client, emailAddress="grace@example.com")
    reader = principal("compliance", sub="auditor-1")
    ids = {"ids": [first["id"], second["id"]]}

    # Non-sensitive fields only: no event.
    plain = await execute(
        client,
        "{ users(first: 10) { nodes { id firstName status } } }",
        principal=reader,
    )
    assert len(plain.ok()["users"]["nodes"]) == 2
    assert await _outbox(users_app, request_id=None, sub="auditor-1") == []

    # Sensitive fields of two users: one event naming both, the fields, who and which request.
    reader_with_request = principal("compliance", sub="auditor-1")
    token = client.auth.mint(reader_with_request)  # type: ignore[union-attr]
    sensitive = await execute(
        client,
        "query($ids: [_Any!]!) { _entities(representations: $ids) "
        "{ ... on User { id emailAddress dateOfBirth } } }",
        {"ids": [{"__typename": "User", "id": user_id} for user_id in ids["ids"]]},
        token=token,
    )
    assert len(sensitive.ok()["_entities"]) == 2
    [event] = await _outbox(users_app, request_id=None, sub="auditor-1")
    assert event["principalRoles"] == ["compliance"]
    assert event["subgraph"] == "users"
    assert event["requestId"] and str(event["requestId"]).startswith("test-")
    assert sorted(
        (item["entity"], item["id"], tuple(sorted(item["fields"])))  # type: ignore[index]
        for item in event["accessed"]  # type: ignore[union-attr]
    ) == sorted(("User", user_id, ("date_of_birth", "email_address")) for user_id in ids["ids"])
    assert "example.com" not in json.dumps(event)


async def test_the_audit_takes_the_request_id_beside_a_token_that_has_none(
    client: httpx.AsyncClient, users_app: FastAPI
) -> None:
    # The router reuses one token per caller across requests (ADR 0013): such a token carries
    # no request id, and the request's own X-Request-Id names the request in the audit.
    from crypto.internal_token import mint_internal_token
    from subgraphs.kit.testing import InternalTokenAuth

    user = await create_user(client)
    auth = client.auth
    assert isinstance(auth, InternalTokenAuth)
    token = mint_internal_token(
        auth._signing_key, sub="auditor-2", roles=["compliance"], scope=["pii:read"]
    )
    query = {
        "query": "query($ids: [_Any!]!) { _entities(representations: $ids) "
        "{ ... on User { id emailAddress } } }",
        "variables": {"ids": [{"__typename": "User", "id": user["id"]}]},
    }
    for request_id in ("req-router-1", "not a valid id\n", None):
        headers = {"x-internal-token": token}
        if request_id is not None:
            headers["x-request-id"] = request_id
        response = await client.post("/graphql", json=query, headers=headers)
        assert response.status_code == 200
        assert response.json()["data"]["_entities"][0]["emailAddress"]
    events = await _outbox(users_app, request_id=None, sub="auditor-2")
    # Unsafe or missing ids are not recorded as ids.
    assert sorted(str(event["requestId"]) for event in events) == [
        "None",
        "None",
        "req-router-1",
    ]

    # A token that names its request keeps that id whatever the header says.
    signed_request = mint_internal_token(
        auth._signing_key,
        sub="auditor-3",
        roles=["compliance"],
        scope=["pii:read"],
        request_id="req-in-token",
    )
    response = await client.post(
        "/graphql",
        json=query,
        headers={"x-internal-token": signed_request, "x-request-id": "req-in-header"},
    )
    assert response.status_code == 200
    [event] = await _outbox(users_app, request_id=None, sub="auditor-3")
    assert event["requestId"] == "req-in-token"


async def test_a_client_reads_its_own_sensitive_fields_audited_as_self_access(
    client: httpx.AsyncClient, users_app: FastAPI
) -> None:
    own = await create_user(client)
    other = await create_user(client, emailAddress="grace@example.com")
    # A client's token carries no staff scope: its own profile opens anyway (issue 13.10).
    as_client = principal("client", scopes=(), user_id=own["id"], sub="self-reader")
    query = (
        "query($id: ID!) { user(id: $id) { id emailAddress dateOfBirth annualIncome { amount } } }"
    )
    mine = (await execute(client, query, {"id": own["id"]}, principal=as_client)).ok()["user"]
    assert mine["emailAddress"] == own["emailAddress"] and mine["annualIncome"]["amount"]
    # Another client's user stays hidden (null, no error), as before.
    theirs = await execute(client, query, {"id": other["id"]}, principal=as_client)
    assert theirs.ok() == {"user": None}
    # The same read through _entities (how the router reaches a user from another subgraph).
    entities = await execute(
        client,
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { emailAddress } } }",
        {"r": [{"__typename": "User", "id": own["id"]}]},
        principal=as_client,
    )
    assert entities.ok()["_entities"] == [{"emailAddress": own["emailAddress"]}]
    (first, second) = await _outbox(users_app, request_id=None, sub="self-reader")
    for event in (first, second):
        assert event["selfAccess"] is True and event["principalUserId"] == own["id"]
        assert {item["id"] for item in event["accessed"]} == {own["id"]}  # type: ignore[attr-defined]
    # Staff without pii:read still get nothing sensitive, and their reads are not self-access.
    staff = principal("advisor", scopes=(), user_id=own["id"], sub="staff-no-scope")
    refused = await execute(client, query, {"id": own["id"]}, principal=staff)
    assert refused.data["user"]["emailAddress"] is None
    assert {e["extensions"]["reason"] for e in refused.errors} == {"SCOPE"}
    reader = principal("advisor", sub="staff-reader")
    await execute(client, query, {"id": own["id"]}, principal=reader)
    (event,) = await _outbox(users_app, request_id=None, sub="staff-reader")
    assert "selfAccess" not in event and "principalUserId" not in event
