"""Users through the real app: create, read, look up by e-mail, update, conflicts, status, lists."""

from __future__ import annotations

import asyncio
import datetime as dt

import httpx

from subgraphs.kit import is_id
from subgraphs.kit.testing import execute
from tests.subgraphs.users.users_support import GET_USER, create_user, update_user, user_input


async def test_create_user_returns_every_field_normalised(client: httpx.AsyncClient) -> None:
    user = await create_user(client)

    assert is_id("usr", user["id"])
    assert user["title"] == "Dr"
    assert (user["firstName"], user["lastName"]) == ("Ada", "Lovelace")
    assert user["dateOfBirth"] == "1985-12-10"
    assert user["nationality"] == "GB"
    assert user["emailAddress"] == "ada.lovelace@example.com"  # stored lower-cased
    assert user["telephoneNumber"] == "+447700900123"  # E.164 after normalisation
    assert user["employmentStatus"] == "EMPLOYED"
    assert user["annualIncome"] == {"amount": "85000.00", "currency": "GBP"}
    assert user["sourcesOfWealth"] == ["EMPLOYMENT_INCOME", "SAVINGS"]
    assert user["status"] == "ACTIVE"
    assert user["version"] == 1
    created = dt.datetime.fromisoformat(user["createdAt"])
    assert created.tzinfo is not None
    assert user["updatedAt"] == user["createdAt"]


async def test_read_back_by_id_and_unknown_id_is_null(client: httpx.AsyncClient) -> None:
    user = await create_user(client)

    result = await execute(client, GET_USER, {"id": user["id"]})
    assert result.ok()["user"] == user

    missing = await execute(client, GET_USER, {"id": "usr_0000000000007000800000000000000"})
    assert missing.ok()["user"] is None


async def test_ids_are_time_ordered(client: httpx.AsyncClient) -> None:
    first = await create_user(client, emailAddress="one@example.com")
    second = await create_user(client, emailAddress="two@example.com")
    assert first["id"] < second["id"]


async def test_user_by_email_ignores_case_and_spaces(client: httpx.AsyncClient) -> None:
    user = await create_user(client)
    query = "query($e: String!) { userByEmail(emailAddress: $e) { id emailAddress } }"

    found = await execute(client, query, {"e": "  ADA.LOVELACE@example.COM "})
    assert found.ok()["userByEmail"] == {"id": user["id"], "emailAddress": user["emailAddress"]}

    none = await execute(client, query, {"e": "someone.else@example.com"})
    assert none.ok()["userByEmail"] is None


async def test_duplicate_email_in_any_case_is_a_conflict(client: httpx.AsyncClient) -> None:
    await create_user(client)
    result = await execute(
        client,
        "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }",
        {"i": user_input(emailAddress="ADA.LOVELACE@EXAMPLE.COM", firstName="Other")},
    )
    error = result.error()
    assert error["extensions"]["code"] == "CONFLICT"
    assert error["extensions"]["reason"] == "DUPLICATE"
    assert error["extensions"]["field"] == "emailAddress"
    assert "ada.lovelace" not in error["message"].lower()
    users = await execute(client, "{ users { nodes { firstName } } }")
    assert [u["firstName"] for u in users.ok()["users"]["nodes"]] == ["Ada"]


async def test_partial_update_changes_only_named_fields(client: httpx.AsyncClient) -> None:
    user = await create_user(client)

    result = await update_user(
        client,
        id=user["id"],
        version=1,
        lastName="King",
        annualIncome={"amount": "120000.50", "currency": "EUR"},
        title=None,  # explicit null clears an optional field
    )
    updated = result.ok()["updateUser"]

    assert updated["lastName"] == "King"
    assert updated["annualIncome"] == {"amount": "120000.50", "currency": "EUR"}
    assert updated["title"] is None
    assert updated["version"] == 2
    assert updated["updatedAt"] >= user["updatedAt"]
    unchanged = {k: v for k, v in user.items() if k not in {"lastName", "annualIncome", "title"}}
    for key in unchanged.keys() - {"version", "updatedAt"}:
        assert updated[key] == user[key], key

    again = await execute(client, GET_USER, {"id": user["id"]})
    assert again.ok()["user"] == updated


async def test_update_with_stale_version_is_a_conflict_and_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    user = await create_user(client)
    (await update_user(client, id=user["id"], version=1, firstName="Augusta")).ok()

    stale = await update_user(client, id=user["id"], version=1, firstName="Ada")

    error = stale.error()
    assert error["extensions"]["code"] == "CONFLICT"
    assert error["extensions"]["reason"] == "STALE_VERSION"
    assert error["extensions"]["currentVersion"] == 2
    current = (await execute(client, GET_USER, {"id": user["id"]})).ok()["user"]
    assert (current["firstName"], current["version"]) == ("Augusta", 2)


async def test_update_email_keeps_it_unique_and_searchable(client: httpx.AsyncClient) -> None:
    ada = await create_user(client)
    await create_user(client, emailAddress="grace@example.com", firstName="Grace")

    taken = await update_user(client, id=ada["id"], version=1, emailAddress="Grace@Example.com")
    assert taken.error()["extensions"]["code"] == "CONFLICT"

    moved = await update_user(client, id=ada["id"], version=1, emailAddress="ada@example.org")
    assert moved.ok()["updateUser"]["emailAddress"] == "ada@example.org"
    query = "query($e: String!) { userByEmail(emailAddress: $e) { id } }"
    assert (await execute(client, query, {"e": "ada@example.org"})).ok()["userByEmail"] == {
        "id": ada["id"]
    }
    old = await execute(client, query, {"e": "ada.lovelace@example.com"})
    assert old.ok()["userByEmail"] is None


async def test_update_of_unknown_user_is_not_found(client: httpx.AsyncClient) -> None:
    result = await update_user(
        client, id="usr_0000000000007000800000000000000", version=1, firstName="X"
    )
    assert result.error()["extensions"]["code"] == "NOT_FOUND"


async def test_status_moves_follow_the_lifecycle(client: httpx.AsyncClient) -> None:
    user = await create_user(client)
    uid = user["id"]

    suspended = (await update_user(client, id=uid, version=1, status="SUSPENDED")).ok()
    assert suspended["updateUser"]["status"] == "SUSPENDED"
    active = (await update_user(client, id=uid, version=2, status="ACTIVE")).ok()
    assert active["updateUser"]["status"] == "ACTIVE"
    closed = (await update_user(client, id=uid, version=3, status="CLOSED")).ok()
    assert closed["updateUser"]["status"] == "CLOSED"

    # CLOSED is terminal: no way back, and no other change either.
    reopen = await update_user(client, id=uid, version=4, status="ACTIVE")
    assert reopen.error()["extensions"]["code"] == "RULE_VIOLATION"
    assert reopen.error()["extensions"]["reason"] == "USER_CLOSED"
    rename = await update_user(client, id=uid, version=4, firstName="Augusta")
    assert rename.error()["extensions"]["code"] == "RULE_VIOLATION"
    final = (await execute(client, GET_USER, {"id": uid})).ok()["user"]
    assert (final["status"], final["firstName"], final["version"]) == ("CLOSED", "Ada", 4)


async def test_users_list_pages_with_cursors_and_filters(client: httpx.AsyncClient) -> None:
    ids = [
        (await create_user(client, emailAddress=f"user{n}@example.com", nationality=nat))["id"]
        for n, nat in enumerate(["GB", "FR", "GB", "DE", "GB"])
    ]
    query = """query($first: Int, $after: String, $filter: UserFilter) {
        users(first: $first, after: $after, filter: $filter) {
            edges { cursor node { id } } nodes { id } pageInfo { hasNextPage endCursor } } }"""

    seen: list[str] = []
    after = None
    pages = 0
    while True:
        page = (await execute(client, query, {"first": 2, "after": after})).ok()["users"]
        seen += [edge["node"]["id"] for edge in page["edges"]]
        assert [node["id"] for node in page["nodes"]] == [e["node"]["id"] for e in page["edges"]]
        pages += 1
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
        assert after == page["edges"][-1]["cursor"]
    assert seen == ids
    assert pages == 3

    british = (await execute(client, query, {"first": 10, "filter": {"nationality": "gb"}})).ok()[
        "users"
    ]
    assert [e["node"]["id"] for e in british["edges"]] == [ids[0], ids[2], ids[4]]

    (await update_user(client, id=ids[1], version=1, status="SUSPENDED")).ok()
    suspended = (await execute(client, query, {"filter": {"status": "SUSPENDED"}})).ok()["users"]
    assert [e["node"]["id"] for e in suspended["edges"]] == [ids[1]]


async def test_bad_cursor_and_page_size_are_refused(client: httpx.AsyncClient) -> None:
    query = """query($first: Int, $after: String) {
        users(first: $first, after: $after) { nodes { id } } }"""
    bad_cursor = await execute(client, query, {"after": "not-a-cursor"})
    assert bad_cursor.error()["extensions"] == {
        "code": "BAD_USER_INPUT",
        "field": "after",
        "fields": [{"field": "after", "message": "is not a cursor returned by this list"}],
    }
    too_many = await execute(client, query, {"first": 1000})
    assert too_many.error()["extensions"]["field"] == "first"


async def test_health_endpoint(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "subgraph": "users"}


async def test_concurrent_creates_with_one_email_make_one_user(client: httpx.AsyncClient) -> None:
    # Both pass the service's look-up before either inserts; the unique blind index decides.
    results = await asyncio.gather(
        *(
            execute(
                client,
                "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }",
                {"i": user_input(emailAddress="same@example.com", firstName=f"N{n}")},
            )
            for n in range(4)
        )
    )
    codes = sorted(str(result.codes) for result in results)
    assert codes.count("[]") == 1, codes
    assert all(code in ("[]", "['CONFLICT']") for code in codes), codes
    users = (await execute(client, "{ users { nodes { id } } }")).ok()["users"]["nodes"]
    assert len(users) == 1


async def test_concurrent_updates_of_one_version_let_exactly_one_win(
    client: httpx.AsyncClient,
) -> None:
    user = await create_user(client)
    results = await asyncio.gather(
        *(update_user(client, id=user["id"], version=1, firstName=f"Name{n}") for n in range(4))
    )
    winners = [r for r in results if not r.errors]
    losers = [r for r in results if r.errors]
    assert len(winners) == 1
    assert all(r.error()["extensions"]["reason"] == "STALE_VERSION" for r in losers)
    current = (await execute(client, GET_USER, {"id": user["id"]})).ok()["user"]
    assert current["version"] == 2
    assert current["firstName"] == winners[0].ok()["updateUser"]["firstName"]
