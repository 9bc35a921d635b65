"""The platform's life cycle through the router and the four real subgraphs.

A user, their accounts, money moving in and out, compliance events, then the one query that
crosses every subgraph (user -> investmentAccounts -> transactions -> complianceLogs). Each test
creates its own data through the router's ``/graphql``, as a front-end would.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.integration.integration_support import Api

DEEP_QUERY = """
query Deep($id: ID!) {
  user(id: $id) {
    id
    firstName
    emailAddress
    kycStatus
    complianceLogs { nodes { id eventType } }
    investmentAccounts {
      nodes {
        id
        accountType
        status
        cashBalance { amount currency }
        availableCash { amount currency }
        user { id lastName }
        complianceLogs { nodes { id eventType } }
        transactions {
          nodes {
            id
            type
            status
            considerationAmount { amount currency }
            account { id name }
            complianceLogs { nodes { id eventType outcome transaction { id type } } }
          }
        }
      }
    }
  }
}
"""


async def test_life_cycle_across_the_four_subgraphs(api: Api) -> None:
    user = await api.create_user(firstName="Grace", lastName="Hopper")
    assert user["status"] == "ACTIVE"
    isa = await api.open_account(user["id"], account_type="ISA")
    gia = await api.open_account(user["id"], account_type="GIA")
    assert (isa["status"], gia["status"]) == ("ACTIVE", "ACTIVE")

    deposit = await api.deposit(isa["id"], "1000.00")
    assert deposit["status"] == "SETTLED"
    await api.deposit(isa["id"], "250.50")
    pending = await api.deposit(gia["id"], "75.00", settle=False)
    assert pending["status"] == "PENDING"
    withdrawal = (await api.create_transaction(isa["id"], "WITHDRAWAL", "200.25")).ok()[
        "createTransaction"
    ]
    assert withdrawal["status"] == "PENDING"

    # KYC events move the derived status; other events leave it alone.
    status = "query Kyc($id: ID!) { user(id: $id) { kycStatus } }"
    assert (await api.ok(status, {"id": user["id"]}))["user"]["kycStatus"] == "NOT_STARTED"
    await api.log_event("KYC_CHECK_REQUESTED", "PENDING", userId=user["id"])
    assert (await api.ok(status, {"id": user["id"]}))["user"]["kycStatus"] == "PENDING"
    await api.log_event("KYC_CHECK_PASSED", "CLEAR", userId=user["id"])
    await api.log_event("SUITABILITY_ASSESSED", "CLEAR", userId=user["id"], accountId=isa["id"])
    aml = await api.log_event(
        "AML_SCREENING",
        "CLEAR",
        userId=user["id"],
        accountId=isa["id"],
        transactionId=deposit["id"],
    )
    assert (await api.ok(status, {"id": user["id"]}))["user"]["kycStatus"] == "PASSED"

    data = await api.ok(DEEP_QUERY, {"id": user["id"]})
    found = data["user"]
    assert found["id"] == user["id"] and found["firstName"] == "Grace"
    assert found["emailAddress"] == user["emailAddress"]
    assert found["kycStatus"] == "PASSED"
    assert [log["eventType"] for log in found["complianceLogs"]["nodes"]] == [
        "KYC_CHECK_REQUESTED",
        "KYC_CHECK_PASSED",
        "SUITABILITY_ASSESSED",
        "AML_SCREENING",
    ]
    accounts = {account["id"]: account for account in found["investmentAccounts"]["nodes"]}
    assert list(accounts) == [isa["id"], gia["id"]]  # creation order
    isa_found, gia_found = accounts[isa["id"]], accounts[gia["id"]]
    assert isa_found["user"] == {"id": user["id"], "lastName": "Hopper"}
    assert [log["eventType"] for log in isa_found["complianceLogs"]["nodes"]] == [
        "SUITABILITY_ASSESSED",
        "AML_SCREENING",
    ]
    assert gia_found["complianceLogs"]["nodes"] == []

    # Settled 1250.50 in; the pending withdrawal counts against available cash only.
    assert isa_found["cashBalance"] == {"amount": "1250.50", "currency": "GBP"}
    assert isa_found["availableCash"] == {"amount": "1050.25", "currency": "GBP"}
    # A pending deposit is not cash yet.
    assert gia_found["cashBalance"] == {"amount": "0.00", "currency": "GBP"}
    assert gia_found["availableCash"] == {"amount": "0.00", "currency": "GBP"}

    transactions = isa_found["transactions"]["nodes"]
    assert [(t["type"], t["status"]) for t in transactions] == [
        ("DEPOSIT", "SETTLED"),
        ("DEPOSIT", "SETTLED"),
        ("WITHDRAWAL", "PENDING"),
    ]
    assert all(t["account"] == {"id": isa["id"], "name": "ISA account"} for t in transactions)
    assert transactions[0]["complianceLogs"]["nodes"] == [
        {
            "id": aml["id"],
            "eventType": "AML_SCREENING",
            "outcome": "CLEAR",
            "transaction": {"id": deposit["id"], "type": "DEPOSIT"},
        }
    ]
    assert transactions[1]["complianceLogs"]["nodes"] == []


async def test_withdrawals_and_buys_beyond_available_cash_are_refused(api: Api) -> None:
    user = await api.create_user()
    account = await api.open_account(user["id"])
    await api.deposit(account["id"], "500.00")
    await api.create_transaction(account["id"], "WITHDRAWAL", "300.00")  # pending: 200 left

    for kind, extra in (
        ("WITHDRAWAL", {}),
        (
            "BUY",
            {
                "isin": "US0378331005",
                "quantity": "10",
                "price": "20.01",
                "tradeDate": "2026-11-02",
                "settlementDate": "2026-11-04",
            },
        ),
    ):
        refused = await api.create_transaction(account["id"], kind, "200.10", **extra)
        assert refused.status == 200
        assert refused.data is None  # createTransaction is non-null: the error nulls the root
        [error] = refused.errors
        assert error["path"] == ["createTransaction"]
        assert error["extensions"]["code"] == "RULE_VIOLATION"
        assert error["extensions"]["reason"] == "INSUFFICIENT_FUNDS"

    # Exactly the available cash is allowed, and nothing was written by the refusals.
    allowed = await api.create_transaction(account["id"], "WITHDRAWAL", "200.00")
    assert allowed.ok()["createTransaction"]["status"] == "PENDING"
    balances = await api.ok(
        """query Cash($id: ID!) { investmentAccount(id: $id) {
             cashBalance { amount } availableCash { amount } transactions { nodes { type } } } }""",
        {"id": account["id"]},
    )
    found = balances["investmentAccount"]
    assert Decimal(found["cashBalance"]["amount"]) == Decimal("500.00")
    assert Decimal(found["availableCash"]["amount"]) == Decimal("0.00")
    assert [t["type"] for t in found["transactions"]["nodes"]] == [
        "DEPOSIT",
        "WITHDRAWAL",
        "WITHDRAWAL",
    ]


async def test_balances_follow_the_account_currency_from_the_investments_subgraph(
    api: Api,
) -> None:
    # cashBalance @requires the account's currency: the router fetches it from investments and
    # hands it to transactions in the representation.
    user = await api.create_user()
    amounts = {"USD": ("0.10", "0.20", "0.30"), "JPY": ("1000", "25", "1025")}
    for currency, (first, second, total) in amounts.items():
        created = await api.ok(
            """mutation Open($input: CreateInvestmentAccountInput!) {
              createInvestmentAccount(input: $input) { id version currency }
            }""",
            {
                "input": {
                    "userId": user["id"],
                    "clientReference": f"CUR-{currency}",
                    "accountType": "GIA",
                    "name": f"{currency} account",
                    "currency": currency,
                }
            },
        )
        account = created["createInvestmentAccount"]
        assert account["currency"] == currency
        await api.set_account_status(account["id"], account["version"], "ACTIVE")
        deposit = await api.create_transaction(account["id"], "DEPOSIT", first)
        assert deposit.ok()["createTransaction"]["considerationAmount"]["currency"] == currency
        await api.settle(deposit.ok()["createTransaction"])
        await api.deposit(account["id"], second)
        found = await api.ok(
            "query Cash($id: ID!) { investmentAccount(id: $id) { "
            "cashBalance { amount currency } availableCash { amount currency } } }",
            {"id": account["id"]},
        )
        assert found["investmentAccount"] == {
            "cashBalance": {"amount": total, "currency": currency},
            "availableCash": {"amount": total, "currency": currency},
        }
    too_precise = await api.create_transaction(account["id"], "DEPOSIT", "10.5")
    assert too_precise.codes == ["BAD_USER_INPUT"]


async def test_cancelling_a_pending_withdrawal_frees_the_cash(api: Api) -> None:
    user = await api.create_user()
    account = await api.open_account(user["id"])
    await api.deposit(account["id"], "100.00")
    withdrawal = (await api.create_transaction(account["id"], "WITHDRAWAL", "100.00")).ok()[
        "createTransaction"
    ]
    refused = await api.create_transaction(account["id"], "WITHDRAWAL", "0.01")
    assert refused.codes == ["RULE_VIOLATION"]
    cancelled = await api.ok(
        """mutation Cancel($id: ID!, $version: Int!) {
          cancelTransaction(id: $id, version: $version) {
            status account { availableCash { amount } cashBalance { amount } }
          }
        }""",
        {"id": withdrawal["id"], "version": withdrawal["version"]},
    )
    assert cancelled == {
        "cancelTransaction": {
            "status": "CANCELLED",
            "account": {"availableCash": {"amount": "100.00"}, "cashBalance": {"amount": "100.00"}},
        }
    }
    again = await api.create_transaction(account["id"], "WITHDRAWAL", "100.00")
    assert again.ok()["createTransaction"]["status"] == "PENDING"


async def test_amending_a_compliance_log_keeps_every_revision(api: Api) -> None:
    user = await api.create_user()
    log = await api.log_event("AML_SCREENING", "PENDING", userId=user["id"])
    amended = await api.ok(
        """mutation Amend($input: AmendComplianceLogInput!) {
          amendComplianceLog(input: $input) {
            id outcome version user { id firstName }
            revisions { revision outcome performedBy hash previousHash }
          }
        }""",
        {
            "input": {
                "id": log["id"],
                "version": log["version"],
                "performedBy": "analyst@wealthtech.test",
                "outcome": "CLEAR",
            }
        },
    )
    found = amended["amendComplianceLog"]
    assert (found["id"], found["outcome"], found["version"]) == (log["id"], "CLEAR", 2)
    assert found["user"] == {"id": user["id"], "firstName": "Ada"}
    first, second = found["revisions"]
    assert (first["revision"], first["outcome"]) == (1, "PENDING")
    assert (second["revision"], second["outcome"], second["performedBy"]) == (
        2,
        "CLEAR",
        "analyst@wealthtech.test",
    )
    assert first["hash"] != second["hash"]


async def test_a_reference_to_a_vanished_entity_nulls_the_reference_only(
    api: Api, system: Any
) -> None:
    user = await api.create_user(firstName="Ghost")
    account = await api.open_account(user["id"])
    system.delete_row("users", "users", user["id"])
    query = """query Gone($account: ID!, $user: ID!) {
      user(id: $user) { id }
      investmentAccount(id: $account) { id user { id } }
      withName: investmentAccount(id: $account) { id user { id firstName } }
    }"""
    response = await api.call(query, {"account": account["id"], "user": user["id"]})
    assert response.status == 200
    # The key alone needs no users fetch; a field of the vanished user does, and the users
    # subgraph answers null for it: User.firstName is non-null, so the null reaches
    # InvestmentAccount.user, nullable because it points at another subgraph's entity.
    assert response.data == {
        "user": None,
        "investmentAccount": {"id": account["id"], "user": {"id": user["id"]}},
        "withName": {"id": account["id"], "user": None},
    }
    assert response.errors
    assert all(error["path"][0] == "withName" for error in response.errors)


async def test_idempotent_transaction_creation_through_the_router(api: Api) -> None:
    user = await api.create_user()
    account = await api.open_account(user["id"])
    first = await api.create_transaction(account["id"], "DEPOSIT", "10.00", key="same-key-1")
    again = await api.create_transaction(account["id"], "DEPOSIT", "10.00", key="same-key-1")
    assert first.ok() == again.ok()
    clash = await api.create_transaction(account["id"], "DEPOSIT", "11.00", key="same-key-1")
    assert clash.codes == ["CONFLICT"]
    assert clash.errors[0]["extensions"]["reason"] == "IDEMPOTENCY_KEY_REUSED"


async def test_user_by_email_and_missing_entities_are_null(api: Api) -> None:
    user = await api.create_user(emailAddress="Mixed.Case.Person@Example.com")
    assert user["emailAddress"] == "mixed.case.person@example.com"
    query = """query ByEmail($email: String!) {
      userByEmail(emailAddress: $email) { id kycStatus investmentAccounts { nodes { id } } }
    }"""
    data = await api.ok(query, {"email": "MIXED.case.person@example.COM"})
    assert data == {
        "userByEmail": {
            "id": user["id"],
            "kycStatus": "NOT_STARTED",
            "investmentAccounts": {"nodes": []},
        }
    }
    assert await api.ok(query, {"email": "nobody@example.com"}) == {"userByEmail": None}

    missing = await api.ok(
        """{
          user(id: "usr_00000000000000000000000000000000") { id kycStatus }
          investmentAccount(id: "acc_00000000000000000000000000000000") {
            id cashBalance { amount }
          }
          transaction(id: "txn_00000000000000000000000000000000") {
            id complianceLogs { nodes { id } }
          }
          complianceLog(id: "cpl_00000000000000000000000000000000") { id user { firstName } }
        }"""
    )
    assert missing == {
        "user": None,
        "investmentAccount": None,
        "transaction": None,
        "complianceLog": None,
    }


async def test_lists_paginate_and_filter_across_subgraphs(api: Api) -> None:
    user = await api.create_user(nationality="NZ", employmentStatus="RETIRED")
    accounts = [
        await api.open_account(user["id"], account_type=kind, activate=kind != "SIPP")
        for kind in ("GIA", "ISA", "SIPP", "GIA")
    ]
    gia = accounts[0]["id"]
    deposits = [await api.deposit(gia, f"{n}.00") for n in (10, 20, 30)]
    await api.create_transaction(gia, "WITHDRAWAL", "5.00")
    await api.log_event("KYC_CHECK_REQUESTED", "PENDING", userId=user["id"])
    await api.log_event("DATA_ACCESS", "CLEAR", userId=user["id"])
    await api.log_event("KYC_CHECK_REFERRED", "CONSIDER", userId=user["id"])

    page_query = """
    query Page($id: ID!, $after: String) {
      user(id: $id) {
        investmentAccounts(first: 2, after: $after) {
          edges { cursor node { id accountType } }
          pageInfo { hasNextPage endCursor }
        }
      }
    }"""
    seen: list[str] = []
    after: str | None = None
    pages = 0
    while True:
        page = (await api.ok(page_query, {"id": user["id"], "after": after}))["user"][
            "investmentAccounts"
        ]
        seen += [edge["node"]["id"] for edge in page["edges"]]
        pages += 1
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
        assert after == page["edges"][-1]["cursor"]
    assert seen == [a["id"] for a in accounts] and pages == 2

    filtered = await api.ok(
        """query Filters($id: ID!, $account: ID!) {
          user(id: $id) {
            kycStatus
            gia: investmentAccounts(filter: {accountType: GIA}) { nodes { id } }
            pending: investmentAccounts(filter: {status: PENDING}) { nodes { accountType } }
            deposits: transactions(filter: {type: DEPOSIT, status: SETTLED}, first: 2) {
              nodes { considerationAmount { amount } }
              pageInfo { hasNextPage }
            }
            kyc: complianceLogs(eventType: KYC_CHECK_REFERRED) { nodes { eventType outcome } }
          }
          investmentAccount(id: $account) {
            withdrawals: transactions(filter: {type: WITHDRAWAL}) { nodes { status } }
          }
        }""",
        {"id": user["id"], "account": gia},
    )
    assert filtered == {
        "user": {
            "kycStatus": "REFERRED",
            "gia": {"nodes": [{"id": accounts[0]["id"]}, {"id": accounts[3]["id"]}]},
            "pending": {"nodes": [{"accountType": "SIPP"}]},
            "deposits": {
                "nodes": [
                    {"considerationAmount": {"amount": "10.00"}},
                    {"considerationAmount": {"amount": "20.00"}},
                ],
                "pageInfo": {"hasNextPage": True},
            },
            "kyc": {"nodes": [{"eventType": "KYC_CHECK_REFERRED", "outcome": "CONSIDER"}]},
        },
        "investmentAccount": {"withdrawals": {"nodes": [{"status": "PENDING"}]}},
    }
    assert len(deposits) == 3

    # Root lists of each subgraph, filtered down to this user's data.
    roots = await api.ok(
        """query Roots($id: ID!) {
          investmentAccounts(filter: {userId: $id, accountType: ISA}) { nodes { user { id } } }
          transactions(filter: {userId: $id, type: WITHDRAWAL}) {
            nodes { user { id } account { accountType } }
          }
          complianceLogs(filter: {userId: $id, eventType: DATA_ACCESS}) {
            nodes { user { nationality employmentStatus } }
          }
        }""",
        {"id": user["id"]},
    )
    assert roots == {
        "investmentAccounts": {"nodes": [{"user": {"id": user["id"]}}]},
        "transactions": {
            "nodes": [{"user": {"id": user["id"]}, "account": {"accountType": "GIA"}}]
        },
        "complianceLogs": {
            "nodes": [{"user": {"nationality": "NZ", "employmentStatus": "RETIRED"}}]
        },
    }


async def test_mutations_run_in_order_across_subgraphs(api: Api) -> None:
    user = await api.create_user()
    account = await api.open_account(user["id"])
    version: int = account["version"]
    # Suspend the account (investments), then try to deposit into it (transactions): the deposit
    # is refused only because the suspension ran first.
    response = await api.call(
        """mutation Ordered($suspend: UpdateInvestmentAccountInput!,
                            $deposit: CreateTransactionInput!) {
          suspend: updateInvestmentAccount(input: $suspend) { id status }
          deposit: createTransaction(input: $deposit, idempotencyKey: "ordered-1") { id }
        }""",
        {
            "suspend": {"id": account["id"], "version": version, "status": "SUSPENDED"},
            "deposit": {
                "accountId": account["id"],
                "type": "DEPOSIT",
                "considerationAmount": "1.00",
            },
        },
    )
    # createTransaction is non-null, so its error nulls the whole data (GraphQL spec 6.4.4);
    # the suspension, which ran first, stays.
    assert response.status == 200 and response.data is None
    [error] = response.errors
    assert error["path"] == ["deposit"]
    assert error["extensions"]["code"] == "RULE_VIOLATION"
    status = await api.ok(
        "query S($id: ID!) { investmentAccount(id: $id) { status version } }",
        {"id": account["id"]},
    )
    assert status == {"investmentAccount": {"status": "SUSPENDED", "version": version + 1}}

    # Reactivate, then deposit, in one operation; then the same subgraph twice with versions
    # that are only right in document order.
    reordered = await api.call(
        """mutation Again($resume: UpdateInvestmentAccountInput!, $deposit: CreateTransactionInput!,
                          $rename: UpdateInvestmentAccountInput!) {
          resume: updateInvestmentAccount(input: $resume) { status version }
          deposit: createTransaction(input: $deposit, idempotencyKey: "ordered-2") { status }
          rename: updateInvestmentAccount(input: $rename) { name version }
        }""",
        {
            "resume": {"id": account["id"], "version": version + 1, "status": "ACTIVE"},
            "deposit": {
                "accountId": account["id"],
                "type": "DEPOSIT",
                "considerationAmount": "1.00",
            },
            "rename": {"id": account["id"], "version": version + 2, "name": "Renamed"},
        },
    )
    assert reordered.ok() == {
        "resume": {"status": "ACTIVE", "version": version + 2},
        "deposit": {"status": "PENDING"},
        "rename": {"name": "Renamed", "version": version + 3},
    }


async def test_subgraph_errors_keep_their_code_and_get_client_paths(api: Api) -> None:
    user = await api.create_user()
    account = await api.open_account(user["id"])
    await api.deposit(account["id"], "5.00")

    unknown_owner = await api.call(
        """mutation { createInvestmentAccount(input: {
             userId: "usr_00000000000000000000000000000000", clientReference: "X-1",
             accountType: GIA, name: "Nobody's" }) { id } }"""
    )
    assert unknown_owner.status == 200 and unknown_owner.data is None
    [error] = unknown_owner.errors
    assert error["path"] == ["createInvestmentAccount"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == "userId"

    # An error raised in the transactions subgraph, three hops below the root, is reported at the
    # client's path; the connections are contributed fields, nullable, so each error nulls only
    # its own field and the rest of the user stays.
    nested = await api.call(
        """query Nested($id: ID!) {
          user(id: $id) {
            id
            investmentAccounts { nodes { id transactions(first: 0) { nodes { id } } } }
            complianceLogs(first: -1) { nodes { id } }
          }
        }""",
        {"id": user["id"]},
    )
    assert nested.status == 200
    assert nested.data == {
        "user": {
            "id": user["id"],
            "investmentAccounts": {"nodes": [{"id": account["id"], "transactions": None}]},
            "complianceLogs": None,
        }
    }
    by_path = {tuple(e["path"]): e for e in nested.errors}
    transactions_error = by_path[("user", "investmentAccounts", "nodes", 0, "transactions")]
    assert transactions_error["extensions"]["code"] == "BAD_USER_INPUT"
    assert transactions_error["extensions"]["field"] == "first"
    compliance_error = by_path[("user", "complianceLogs")]
    assert compliance_error["extensions"]["code"] == "BAD_USER_INPUT"

    stale = await api.call(
        """mutation Stale($input: UpdateUserInput!) { updateUser(input: $input) { id } }""",
        {"input": {"id": user["id"], "version": user["version"] + 7, "firstName": "Late"}},
    )
    assert stale.codes == ["CONFLICT"] and stale.errors[0]["path"] == ["updateUser"]
    assert stale.errors[0]["extensions"]["reason"] == "STALE_VERSION"


async def test_fragments_aliases_variables_and_conditions(api: Api) -> None:
    user = await api.create_user(firstName="Alan", lastName="Turing")
    account = await api.open_account(user["id"], account_type="SIPP")
    await api.deposit(account["id"], "42.00")
    query = """
    query Shape($id: ID!, $withAccounts: Boolean!, $skipName: Boolean = false) {
      person: user(id: $id) {
        ...Names
        kind: __typename
        kyc: kycStatus @skip(if: $withAccounts)
        accounts: investmentAccounts @include(if: $withAccounts) {
          nodes {
            ... on InvestmentAccount { kind: accountType }
            ...Money
          }
        }
      }
    }
    fragment Names on User { given: firstName @skip(if: $skipName) family: lastName }
    fragment Money on InvestmentAccount { balance: cashBalance { ...Amount } }
    fragment Amount on Money { value: amount currency }
    """
    with_accounts = await api.ok(query, {"id": user["id"], "withAccounts": True})
    assert with_accounts == {
        "person": {
            "given": "Alan",
            "family": "Turing",
            "kind": "User",
            "accounts": {
                "nodes": [{"kind": "SIPP", "balance": {"value": "42.00", "currency": "GBP"}}]
            },
        }
    }
    without = await api.ok(query, {"id": user["id"], "withAccounts": False, "skipName": True})
    assert without == {"person": {"family": "Turing", "kind": "User", "kyc": "NOT_STARTED"}}


def _type_names(data: dict[str, Any]) -> set[str]:
    return {t["name"] for t in data["__schema"]["types"]}


async def test_introspection_is_answered_by_the_router(api: Api, system: Any) -> None:
    system.clear_logs()
    data = await api.ok(
        """{
          __schema { queryType { name } mutationType { name } types { name } }
          user: __type(name: "User") { fields { name } }
          account: __type(name: "InvestmentAccount") { fields { name } }
        }"""
    )
    assert all(not log.requests() for log in system.logs.values())
    names = _type_names(data)
    assert {"User", "InvestmentAccount", "Transaction", "ComplianceLog", "KycStatus"} <= names
    assert not {"_Entity", "_Service", "_Any"} & names
    assert not any(name.startswith(("join__", "link__")) for name in names)
    user_fields = {f["name"] for f in data["user"]["fields"]}
    assert {
        "emailAddress",
        "investmentAccounts",
        "transactions",
        "complianceLogs",
        "kycStatus",
    } <= (user_fields)
    account_fields = {f["name"] for f in data["account"]["fields"]}
    assert {"cashBalance", "availableCash", "transactions", "complianceLogs", "user"} <= (
        account_fields
    )
