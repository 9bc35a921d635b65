"""Every error status of the REST shims, as RFC 9457 problem documents, and data left intact."""

from __future__ import annotations

from tests.router.rest.platform import Platform
from tests.router.rest.rest_support import (
    account_body,
    active_account,
    bad_fields,
    create,
    problem,
    user_body,
)


async def test_malformed_requests_are_400(platform: Platform) -> None:
    client = platform.router
    broken = await client.post(
        "/api/user", content=b'{"first_name": ', headers={"content-type": "application/json"}
    )
    problem(broken, 400, "MALFORMED_REQUEST")
    not_json = await client.post(
        "/api/user", content=b"first_name=Ada", headers={"content-type": "text/plain"}
    )
    problem(not_json, 400, "MALFORMED_REQUEST")
    no_type = await client.post("/api/investment", content=b"{}")
    problem(no_type, 400, "MALFORMED_REQUEST")
    array = await client.post("/api/compliance", json=[user_body()])
    problem(array, 400, "MALFORMED_REQUEST")
    nan = await client.post(
        "/api/user",
        content=b'{"annual_income": {"amount": NaN, "currency": "GBP"}}',
        headers={"content-type": "application/json"},
    )
    problem(nan, 400, "MALFORMED_REQUEST")
    patch = await client.patch(
        "/api/user/usr_x", content=b"\xff\xfe", headers={"content-type": "application/json"}
    )
    problem(patch, 400, "MALFORMED_REQUEST")
    # Nothing was created by any of them.
    assert (await platform.graphql("{ users { nodes { id } } }"))["data"]["users"]["nodes"] == []


async def test_shape_errors_are_422_naming_every_field_in_snake_case(platform: Platform) -> None:
    client = platform.router
    body = user_body(
        annual_income={"amount": "12.3.4", "currency": "GBP"},
        employment_status="ASTRONAUT",
        date_of_birth="10/12/1985",
        favourite_colour="blue",
    )
    del body["last_name"]
    response = await client.post("/api/user", json=body)
    found = problem(response, 422, "BAD_USER_INPUT")
    assert bad_fields(found) == {
        "annual_income.amount",
        "employment_status",
        "date_of_birth",
        "favourite_colour",
        "last_name",
    }
    # A PATCH without its version is refused before anything runs.
    missing = await client.patch("/api/user/usr_x", json={"first_name": "Bo"})
    assert bad_fields(problem(missing, 422, "BAD_USER_INPUT")) == {"version"}
    # A float-looking version is not an integer; no silent truncation.
    fractional = await client.patch(
        "/api/user/usr_x",
        content=b'{"version": 1.0}',
        headers={"content-type": "application/json"},
    )
    assert bad_fields(problem(fractional, 422, "BAD_USER_INPUT")) == {"version"}


async def test_domain_rule_errors_are_422_with_the_subgraphs_fields(platform: Platform) -> None:
    client = platform.router
    response = await client.post(
        "/api/user",
        json=user_body(
            email_address="not-an-email",
            date_of_birth="2020-01-01",
            annual_income={"amount": "1.001", "currency": "GBP"},
        ),
    )
    found = problem(response, 422, "BAD_USER_INPUT")
    assert {"email_address", "date_of_birth"} <= bad_fields(found)
    assert "not-an-email" not in response.text  # values are never echoed

    user = await create(client, "/api/user", user_body())
    account = await create(client, "/api/investment", account_body(user["id"]))
    # PENDING -> CLOSED is not an allowed move.
    refused = await client.patch(
        f"/api/investment/{account['id']}", json={"version": 1, "status": "CLOSED"}
    )
    problem(refused, 422, "RULE_VIOLATION")
    assert (await client.get(f"/api/investment/{account['id']}")).json() == account
    # An account for a user that does not exist: the owner check names the field.
    orphan = await client.post("/api/investment", json=account_body("usr_01nothere"))
    assert "user_id" in bad_fields(problem(orphan, 422, "BAD_USER_INPUT"))


async def test_unknown_ids_are_404(platform: Platform) -> None:
    client = platform.router
    for name in ("user", "investment", "transaction", "compliance"):
        problem(await client.get(f"/api/{name}/nope_123"), 404, "NOT_FOUND")
    user = await create(client, "/api/user", user_body())
    gone = user["id"][:-4] + "0000"
    problem(await client.patch(f"/api/user/{gone}", json={"version": 1}), 404, "NOT_FOUND")
    problem(
        await client.patch("/api/investment/acc_nothere", json={"version": 1, "name": "x"}),
        404,
        "NOT_FOUND",
    )
    problem(
        await client.patch(
            "/api/compliance/cpl_nothere",
            json={"version": 1, "performed_by": "ops", "outcome": "CLEAR"},
        ),
        404,
        "NOT_FOUND",
    )


async def test_conflicts_are_409(platform: Platform) -> None:
    client = platform.router
    user = await create(client, "/api/user", user_body())
    duplicate = await client.post(
        "/api/user", json=user_body(email_address="ADA.LOVELACE@example.com", first_name="Eve")
    )
    found = problem(duplicate, 409, "CONFLICT")
    assert "email_address" in bad_fields(found)
    assert found.get("reason")

    first = await client.patch(f"/api/user/{user['id']}", json={"version": 1, "first_name": "A"})
    assert first.status_code == 200
    stale = await client.patch(f"/api/user/{user['id']}", json={"version": 1, "first_name": "B"})
    assert problem(stale, 409, "CONFLICT")["reason"] == "STALE_VERSION"
    assert (await client.get(f"/api/user/{user['id']}")).json()["first_name"] == "A"


async def test_an_unreachable_subgraph_is_503_with_retry_after(platform: Platform) -> None:
    client = platform.router
    user_id, account_id = await active_account(client)
    platform.gate.down.add("transactions")
    response = await client.post(
        "/api/transaction",
        json={"account_id": account_id, "type": "DEPOSIT", "consideration_amount": "10.00"},
        headers={"Idempotency-Key": "k-503"},
    )
    found = problem(response, 503, "SUBREQUEST_HTTP_ERROR")
    assert int(response.headers["retry-after"]) > 0
    assert "transactions" not in found["detail"]  # internals stay inside
    platform.gate.down.add("users")
    problem(await client.get(f"/api/user/{user_id}"), 503, "SUBREQUEST_HTTP_ERROR")
    platform.gate.down.clear()
    # The transactions subgraph is up but cannot ask its owner (investments) about the account:
    # the subgraph reports DEPENDENCY_UNAVAILABLE, which is a 503 as well.
    platform.owners_down.add("investments")
    refused = await client.post(
        "/api/transaction",
        json={"account_id": account_id, "type": "DEPOSIT", "consideration_amount": "10.00"},
        headers={"Idempotency-Key": "k-503"},
    )
    problem(refused, 503, "DEPENDENCY_UNAVAILABLE")
    assert int(refused.headers["retry-after"]) > 0
    platform.owners_down.clear()
    # Nothing was written by either attempt; the same key now works.
    created = await client.post(
        "/api/transaction",
        json={"account_id": account_id, "type": "DEPOSIT", "consideration_amount": "10.00"},
        headers={"Idempotency-Key": "k-503"},
    )
    assert created.status_code == 201, created.text
