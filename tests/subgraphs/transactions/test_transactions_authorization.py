"""Who may do what with transactions: the role matrix, pii:read on amounts, the access audit."""

from __future__ import annotations

import json
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from crypto import Principal
from subgraphs.kit.testing import GraphQLResult, execute, principal, state_of
from tests.subgraphs.security_support import (
    STAFF,
    Matrix,
    assert_indistinguishable,
    role_principals,
)
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
MISSING_TRANSACTION = "txn_00000000000070008000000000000000"
MISSING_ACCOUNT = "acc_00000000000070008000000000000000"
MISSING_USER = "usr_00000000000070008000000000000000"


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
    # Another client's transaction reads as a missing one (null, no error).
    await matrix.check(
        "transaction(own)", OWN_OR_STAFF, query(get, {"id": own["id"]}), null={"other_client"}
    )
    await matrix.check(
        "transaction(other)",
        STAFF,
        query(get, {"id": other["id"]}),
        null={"client", "other_client"},
    )
    await matrix.check(
        "_entities(Transaction own)",
        OWN_OR_STAFF,
        query(*_entities("Transaction", own["id"], "id status")),
        null={"other_client"},
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
    # Another client's account reads as one that does not exist: no transactions, zero cash,
    # no error (what "allowed" means for other_client here; see the test below).
    await matrix.check(
        "InvestmentAccount.transactions(own)",
        {"other_client", *OWN_OR_STAFF},
        query(*_entities("InvestmentAccount", own_account, "transactions { nodes { id } }")),
    )
    await matrix.check(
        "InvestmentAccount.cashBalance(other)",
        {"client", "other_client", *STAFF},
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
    # The other account's pending deposit is not counted, nor is it an error: the account shows
    # what an account that does not exist shows.
    theirs = await execute(
        client,
        ACCOUNT_CASH,
        {"r": [{"__typename": "InvestmentAccount", "id": other_account, "currency": "GBP"}]},
        principal=as_client,
    )
    assert theirs.ok() == {
        "_entities": [
            {
                "id": other_account,
                "cashBalance": {"amount": "0.00", "currency": "GBP"},
                "availableCash": {"amount": "0.00", "currency": "GBP"},
            }
        ]
    }


TRANSACTION_SELECTION = "id userId status considerationAmount { amount } chargesAmount { amount }"
TRANSACTION_READS = {
    "transaction": f"query($id: ID!) {{ transaction(id: $id) {{ {TRANSACTION_SELECTION} }} }}",
    "_entities": _entities("Transaction", "", TRANSACTION_SELECTION)[0],
}


def _transaction_variables(path: str, transaction_id: str) -> dict[str, Any]:
    if path == "_entities":
        return {"r": [{"__typename": "Transaction", "id": transaction_id}]}
    return {"id": transaction_id}


def _accessed(events: list[dict[str, Any]], sub: str) -> set[str]:
    return {
        str(item["id"])
        for event in events
        if event["principalSub"] == sub
        for item in event["accessed"]
    }


async def test_another_users_transaction_reads_exactly_like_a_missing_one(
    client: httpx.AsyncClient, investments: StandInInvestments, transactions_app: FastAPI
) -> None:
    own = await create_ok(client, investments.add(user_id=OWN_USER))
    other = await create_ok(client, investments.add())
    as_client = principal("client", user_id=OWN_USER, sub="probing-client")
    for path, document in TRANSACTION_READS.items():
        body = await assert_indistinguishable(
            client,
            document,
            _transaction_variables(path, other["id"]),
            _transaction_variables(path, MISSING_TRANSACTION),
            who=as_client,
        )
        expected = {"transaction": None} if path == "transaction" else {"_entities": [None]}
        assert json.loads(body) == {"data": expected}, path
        # The client still reads its own, and staff the other one, on the same path.
        for who, transaction in ((as_client, own), (principal("advisor", sub="staff"), other)):
            result = (
                await execute(
                    client, document, _transaction_variables(path, transaction["id"]), principal=who
                )
            ).ok()
            found = result["transaction"] if path == "transaction" else result["_entities"][0]
            assert found["id"] == transaction["id"] and found["considerationAmount"], path
        refused = await assert_indistinguishable(
            client,
            document,
            _transaction_variables(path, other["id"]),
            _transaction_variables(path, MISSING_TRANSACTION),
            who=principal("service"),
        )
        assert json.loads(refused)["errors"][0]["extensions"]["reason"] == "ROLE"
    # Amounts of the hidden transaction were never opened for the client.
    events = await _events(transactions_app)
    assert _accessed(events, "probing-client") == {own["id"]}
    assert _accessed(events, "staff") == {other["id"]}


ACCOUNT_FIGURES = (
    "transactions { nodes { id considerationAmount { amount } } pageInfo { hasNextPage } } "
    "cashBalance { amount currency } availableCash { amount currency }"
)


async def test_another_users_account_figures_read_exactly_like_a_missing_accounts(
    client: httpx.AsyncClient, investments: StandInInvestments, transactions_app: FastAPI
) -> None:
    own_account = investments.add(user_id=OWN_USER)
    other_account = investments.add()
    own = await create_ok(client, own_account)
    other = await create_ok(client, other_account)
    as_client = principal("client", user_id=OWN_USER, sub="probing-client")
    document, theirs = _entities("InvestmentAccount", other_account, ACCOUNT_FIGURES)
    _, missing = _entities("InvestmentAccount", MISSING_ACCOUNT, ACCOUNT_FIGURES)
    # The id is echoed by neither: the answer holds nothing that depends on the id.
    body = await assert_indistinguishable(client, document, theirs, missing, who=as_client)
    zero = {"amount": "0.00", "currency": "GBP"}
    assert json.loads(body) == {
        "data": {
            "_entities": [
                {
                    "transactions": {"nodes": [], "pageInfo": {"hasNextPage": False}},
                    "cashBalance": zero,
                    "availableCash": zero,
                }
            ]
        }
    }
    # Its own account, and staff on the other one, see the transactions.
    _, mine = _entities("InvestmentAccount", own_account, ACCOUNT_FIGURES)
    for who, variables, transaction in (
        (as_client, mine, own),
        (principal("advisor", sub="staff"), theirs, other),
    ):
        result = (await execute(client, document, variables, principal=who)).ok()
        nodes = result["_entities"][0]["transactions"]["nodes"]
        assert [node["id"] for node in nodes] == [transaction["id"]]
    events = await _events(transactions_app)
    assert _accessed(events, "probing-client") == {own["id"]}
    assert _accessed(events, "staff") == {other["id"]}


async def test_naming_another_user_or_account_is_answered_alike_whether_it_exists(
    client: httpx.AsyncClient, investments: StandInInvestments
) -> None:
    # A filter or parent that names a user id is decided by the id alone (FORBIDDEN NOT_OWN),
    # before any look-up; a list filtered by an account id is narrowed to the client's own rows
    # (empty). Either way another user's existing id and one that does not exist read the same.
    other_account = investments.add()
    other_user = investments.user_of(other_account)
    other = await create_ok(client, other_account)
    as_client = principal("client", user_id=OWN_USER)
    listing = "query($f: TransactionFilter) { transactions(filter: $f) { nodes { id } } }"
    user_transactions = _entities("User", "", "transactions { nodes { id } }")[0]
    reads: list[tuple[str, dict[str, Any], dict[str, Any], str | None]] = [
        (
            "transactions(filter: userId)",
            {"f": {"userId": other_user}},
            {"f": {"userId": MISSING_USER}},
            "NOT_OWN",
        ),
        (
            "User.transactions",
            {"r": [{"__typename": "User", "id": other_user}]},
            {"r": [{"__typename": "User", "id": MISSING_USER}]},
            "NOT_OWN",
        ),
        (
            "transactions(filter: accountId)",
            {"f": {"accountId": other_account}},
            {"f": {"accountId": MISSING_ACCOUNT}},
            None,
        ),
    ]
    for name, theirs, missing, reason in reads:
        document = user_transactions if name == "User.transactions" else listing
        body = json.loads(
            await assert_indistinguishable(client, document, theirs, missing, who=as_client)
        )
        if reason is None:
            assert body == {"data": {"transactions": {"nodes": []}}}, name
        else:
            [error] = body["errors"]
            assert error["extensions"] == {"code": "FORBIDDEN", "reason": reason}, name
        staff = await execute(client, document, theirs, principal=principal("advisor"))
        assert other["id"] in json.dumps(staff.ok()), name


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
