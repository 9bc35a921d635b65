"""Who may do what with transactions: the role matrix, pii:read on amounts, the access audit."""

from __future__ import annotations

import json
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from crypto import Principal
from subgraphs.kit.testing import GraphQLResult, execute, principal, state_of
from tests.subgraphs.security_support import STAFF, Matrix, role_principals
from tests.subgraphs.transactions.transactions_support import (
    ACCOUNT_CASH,
    CANCEL_TRANSACTION,
    CREATE_TRANSACTION,
    StandInInvestments,
    create_ok,
    next_key,
    transaction_input,
)

OWN_OR_STAFF = {"client", *STAFF}
WRITERS = {"admin", "advisor"}
OWN_USER = "usr_01a2000000007000800000000000c0de"


def _entities(typename: str, entity_id: str, selection: str) -> tuple[str, dict[str, Any]]:
    document = (
        "query($r: [_Any!]!) { _entities(representations: $r) "
        f"{{ ... on {typename} {{ {selection} }} }} }}"
    )
    representation: dict[str, Any] = {"__typename": typename, "id": entity_id}
    if typename == "InvestmentAccount":
        representation["currency"] = "GBP"
    return document, {"r": [representation]}


async def test_role_matrix(client: httpx.AsyncClient, investments: StandInInvestments) -> None:
    own_account = investments.add(user_id=OWN_USER)
    other_account = investments.add()
    other_user = investments.user_of(other_account)
    own = await create_ok(client, own_account)
    other = await create_ok(client, other_account)
    matrix = Matrix(role_principals(OWN_USER))

    def query(document: str, variables: dict[str, Any]):  # type: ignore[no-untyped-def]
        return lambda who: execute(client, document, variables, principal=who)

    get = "query($id: ID!) { transaction(id: $id) { id } }"
    listing = "query($f: TransactionFilter) { transactions(filter: $f) { nodes { id } } }"
    await matrix.check("transaction(own)", OWN_OR_STAFF, query(get, {"id": own["id"]}))
    await matrix.check("transaction(other)", STAFF, query(get, {"id": other["id"]}))
    await matrix.check(
        "_entities(Transaction own)",
        OWN_OR_STAFF,
        query(*_entities("Transaction", own["id"], "id status")),
    )
    await matrix.check(
        "transactions(own user)", OWN_OR_STAFF, query(listing, {"f": {"userId": OWN_USER}})
    )
    await matrix.check(
        "transactions(other user)", STAFF, query(listing, {"f": {"userId": other_user}})
    )
    await matrix.check("transactions(all)", {"other_client", *OWN_OR_STAFF}, query(listing, {}))
    await matrix.check(
        "User.transactions(own)",
        OWN_OR_STAFF,
        query(*_entities("User", OWN_USER, "transactions { nodes { id } }")),
    )
    await matrix.check(
        "User.transactions(other)",
        STAFF,
        query(*_entities("User", other_user, "transactions { nodes { id } }")),
    )
    await matrix.check(
        "InvestmentAccount.transactions(own)",
        OWN_OR_STAFF,
        query(*_entities("InvestmentAccount", own_account, "transactions { nodes { id } }")),
    )
    await matrix.check(
        "InvestmentAccount.cashBalance(other)",
        STAFF,
        query(*_entities("InvestmentAccount", other_account, "cashBalance { amount }")),
    )

    async def create(who: Principal) -> GraphQLResult:
        variables = {"input": transaction_input(own_account), "key": next_key()}
        return await execute(client, CREATE_TRANSACTION, variables, principal=who)

    await matrix.check("createTransaction", WRITERS, create)

    async def change(who: Principal) -> GraphQLResult:
        current = (
            await execute(
                client, "query($id: ID!) { transaction(id: $id) { version } }", {"id": own["id"]}
            )
        ).ok()
        variables = {
            "input": {
                "id": own["id"],
                "version": current["transaction"]["version"],
                "reference": "changed",
            }
        }
        return await execute(
            client,
            "mutation($input: UpdateTransactionInput!) { updateTransaction(input: $input) { id } }",
            variables,
            principal=who,
        )

    await matrix.check("updateTransaction", WRITERS, change)

    async def cancel(who: Principal) -> GraphQLResult:
        pending = await create_ok(client, own_account)
        return await execute(
            client, CANCEL_TRANSACTION, {"id": pending["id"], "version": 1}, principal=who
        )

    await matrix.check("cancelTransaction", WRITERS, cancel)

    assert matrix.mismatches == []
    assert matrix.cells == 13 * 6
    mine = await execute(client, listing, {}, principal=matrix.principals["client"])
    listed = {node["id"] for node in mine.ok()["transactions"]["nodes"]}
    assert other["id"] not in listed and own["id"] in listed


async def test_a_client_reads_its_own_account_cash_only(
    client: httpx.AsyncClient, investments: StandInInvestments
) -> None:
    own_account = investments.add(user_id=OWN_USER)
    other_account = investments.add()
    await create_ok(client, own_account)
    await create_ok(client, other_account)
    as_client = principal("client", user_id=OWN_USER)

    mine = await execute(
        client,
        ACCOUNT_CASH,
        {"r": [{"__typename": "InvestmentAccount", "id": own_account, "currency": "GBP"}]},
        principal=as_client,
    )
    assert mine.ok()["_entities"][0]["cashBalance"] == {"amount": "0.00", "currency": "GBP"}
    theirs = await execute(
        client,
        ACCOUNT_CASH,
        {"r": [{"__typename": "InvestmentAccount", "id": other_account, "currency": "GBP"}]},
        principal=as_client,
    )
    assert set(theirs.codes) == {"FORBIDDEN"}
    assert theirs.data == {"_entities": [None]}


async def test_amounts_need_pii_read_and_their_reads_are_audited(
    client: httpx.AsyncClient, investments: StandInInvestments, transactions_app: FastAPI
) -> None:
    account = investments.add()
    created = await create_ok(client, account)
    document = (
        "query($id: ID!) { transaction(id: $id) { id type considerationAmount { amount } "
        "chargesAmount { amount } } }"
    )

    blind = await execute(
        client,
        document,
        {"id": created["id"]},
        principal=principal("compliance", scopes=(), sub="c1"),
    )
    assert blind.data == {
        "transaction": {
            "id": created["id"],
            "type": "DEPOSIT",
            "considerationAmount": None,
            "chargesAmount": None,
        }
    }
    assert sorted(tuple(error["path"]) for error in blind.errors) == [
        ("transaction", "chargesAmount"),
        ("transaction", "considerationAmount"),
    ]
    assert set(blind.codes) == {"FORBIDDEN"}

    plain = await execute(
        client,
        "query($id: ID!) { transaction(id: $id) { id status } }",
        {"id": created["id"]},
        principal=principal("compliance", sub="c2"),
    )
    plain.ok()

    seen = await execute(
        client, document, {"id": created["id"]}, principal=principal("compliance", sub="c3")
    )
    seen.ok()
    events = await _events(transactions_app)
    assert [event["principalSub"] for event in events if event["principalSub"] != "test|admin"] == [
        "c3"
    ]
    [event] = [event for event in events if event["principalSub"] == "c3"]
    assert event["accessed"] == [
        {
            "entity": "Transaction",
            "id": created["id"],
            "fields": ["consideration_amount", "charges_amount"],
        }
    ]


async def _events(app: FastAPI) -> list[dict[str, Any]]:
    async with state_of(app).database.engine.connect() as connection:
        payloads = (
            await connection.execute(text("SELECT payload FROM audit_outbox ORDER BY id"))
        ).scalars()
        return [json.loads(payload) for payload in payloads]
