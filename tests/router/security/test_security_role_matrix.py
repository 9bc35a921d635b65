"""Every role against every operation, through the router, over GraphQL and over REST.

The real four subgraphs enforce the rules (their ``policy.py``); the router only says who the caller
is. Each cell runs the operation for real (mutations on fresh entities created by an admin) and
records whether it was allowed, refused with FORBIDDEN, or answered as if the row did not exist
(a client reading another user's row: null with no error, 404 over REST, byte for byte what a
missing id gets); the whole matrix is then compared with the expected one, so a failure shows every
cell that differs. All callers hold ``pii:read`` here: the scope's own effect is tested separately
below.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from tests.router.security.platform_support import ROLES, SecuredPlatform, secured_platform, unique

pytestmark = pytest.mark.asyncio(loop_scope="module")

CLIENT_ONLY_OWN = "client"
STAFF = frozenset({"advisor", "compliance", "admin"})
EVERYONE = frozenset(ROLES)
ADMIN = frozenset({"admin"})
ADVISOR_ADMIN = frozenset({"advisor", "admin"})
COMPLIANCE_ADMIN = frozenset({"compliance", "admin"})
# A client reading another user's row by its id gets what a missing id gets.
CLIENT_HIDDEN = frozenset({"client"})

Build = Callable[[SecuredPlatform], Awaitable[tuple[str, dict[str, Any]]]]


@dataclass(frozen=True)
class Operation:
    name: str
    field: str
    build: Build
    allowed: frozenset[str]
    subgraph: str
    # Roles answered as for a missing row (null, no error) rather than refused.
    hidden: frozenset[str] = frozenset()


def query(text: str, **variables: Any) -> Build:
    async def build(platform: SecuredPlatform) -> tuple[str, dict[str, Any]]:
        ids = platform.ids
        return text, {name: getattr(ids, value) for name, value in variables.items()}

    return build


async def _update_user(p: SecuredPlatform) -> tuple[str, dict[str, Any]]:
    user_id, _ = await p.new_user()
    version = await p.version("user", user_id)
    return (
        "mutation($i: UpdateUserInput!) { updateUser(input: $i) { id } }",
        {"i": {"id": user_id, "version": version, "lastName": "Byron"}},
    )


async def _create_user(p: SecuredPlatform) -> tuple[str, dict[str, Any]]:
    return (
        "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }",
        {
            "i": {
                "firstName": "Grace",
                "lastName": "Hopper",
                "dateOfBirth": "1980-01-01",
                "nationality": "US",
                "emailAddress": f"{unique('new')}@example.com",
                "telephoneNumber": "+1 202 555 0100",
                "employmentStatus": "EMPLOYED",
                "annualIncome": {"amount": "1.00", "currency": "USD"},
                "sourcesOfWealth": ["SAVINGS"],
            }
        },
    )


async def _create_account(p: SecuredPlatform) -> tuple[str, dict[str, Any]]:
    return (
        "mutation($i: CreateInvestmentAccountInput!) { createInvestmentAccount(input: $i) { id } }",
        {
            "i": {
                "userId": p.ids.own_user,
                "clientReference": unique("NEW-"),
                "accountType": "GIA",
                "name": "Second account",
                "currency": "GBP",
            }
        },
    )


def _update_account(change: dict[str, Any]) -> Build:
    async def build(p: SecuredPlatform) -> tuple[str, dict[str, Any]]:
        account_id, _ = await p.new_account(p.ids.own_user)
        version = await p.version("investmentAccount", account_id)
        return (
            "mutation($i: UpdateInvestmentAccountInput!) "
            "{ updateInvestmentAccount(input: $i) { id } }",
            {"i": {"id": account_id, "version": version, **change}},
        )

    return build


async def _create_transaction(p: SecuredPlatform) -> tuple[str, dict[str, Any]]:
    return (
        "mutation($i: CreateTransactionInput!, $k: String!) "
        "{ createTransaction(input: $i, idempotencyKey: $k) { id } }",
        {
            "i": {"accountId": p.ids.own_account, "type": "DEPOSIT", "considerationAmount": "5"},
            "k": unique("matrix-"),
        },
    )


async def _settle_transaction(p: SecuredPlatform) -> tuple[str, dict[str, Any]]:
    transaction_id = await p.new_transaction(p.ids.own_account)
    version = await p.version("transaction", transaction_id)
    return (
        "mutation($i: UpdateTransactionInput!) { updateTransaction(input: $i) { id } }",
        {"i": {"id": transaction_id, "version": version, "status": "SETTLED"}},
    )


async def _cancel_transaction(p: SecuredPlatform) -> tuple[str, dict[str, Any]]:
    transaction_id = await p.new_transaction(p.ids.own_account)
    version = await p.version("transaction", transaction_id)
    return (
        "mutation($id: ID!, $v: Int!) { cancelTransaction(id: $id, version: $v) { id } }",
        {"id": transaction_id, "v": version},
    )


async def _create_log(p: SecuredPlatform) -> tuple[str, dict[str, Any]]:
    return (
        "mutation($i: CreateComplianceLogInput!) { createComplianceLog(input: $i) { id } }",
        {
            "i": {
                "userId": p.ids.own_user,
                "eventType": "KYC_CHECK_PASSED",
                "outcome": "CLEAR",
                "logDetails": {},
                "responseId": unique("r-"),
                "performedBy": "analyst",
            }
        },
    )


async def _amend_log(p: SecuredPlatform) -> tuple[str, dict[str, Any]]:
    log_id = await p.new_log(p.ids.own_user)
    return (
        "mutation($i: AmendComplianceLogInput!) { amendComplianceLog(input: $i) { id } }",
        {"i": {"id": log_id, "version": 1, "performedBy": "analyst", "outcome": "CLEAR"}},
    )


Q_USER = "query($id: ID!) { user(id: $id) { id emailAddress } }"
Q_BY_EMAIL = "query($e: String!) { userByEmail(emailAddress: $e) { id } }"
Q_USERS = "{ users(first: 5) { nodes { id } } }"
Q_ACCOUNT = "query($id: ID!) { investmentAccount(id: $id) { id clientReference } }"
Q_BY_REFERENCE = (
    "query($u: ID!, $r: String!) "
    "{ investmentAccountByReference(userId: $u, clientReference: $r) { id } }"
)
Q_ACCOUNTS = "{ investmentAccounts(first: 50) { nodes { id userId } } }"
Q_TRANSACTION = "query($id: ID!) { transaction(id: $id) { id } }"
Q_TRANSACTIONS = "{ transactions(first: 50) { nodes { id userId } } }"
Q_LOG = "query($id: ID!) { complianceLog(id: $id) { id } }"
Q_REVISION = "query($id: ID!) { complianceLogRevision(id: $id, revision: 1) { revision } }"
Q_LOGS = "{ complianceLogs(first: 5) { nodes { id } } }"

U, INV, T, C = "users", "investments", "transactions", "compliance"
OPERATIONS = [
    Operation("user (own)", "user", query(Q_USER, id="own_user"), EVERYONE, U),
    Operation("user (other)", "user", query(Q_USER, id="other_user"), STAFF, U, CLIENT_HIDDEN),
    Operation("userByEmail", "userByEmail", query(Q_BY_EMAIL, e="other_email"), STAFF, U),
    Operation("users", "users", query(Q_USERS), STAFF, U),
    Operation("createUser", "createUser", _create_user, ADMIN, U),
    Operation("updateUser", "updateUser", _update_user, ADMIN, U),
    Operation(
        "investmentAccount (own)",
        "investmentAccount",
        query(Q_ACCOUNT, id="own_account"),
        EVERYONE,
        INV,
    ),
    Operation(
        "investmentAccount (other)",
        "investmentAccount",
        query(Q_ACCOUNT, id="other_account"),
        STAFF,
        INV,
        CLIENT_HIDDEN,
    ),
    Operation(
        "investmentAccountByReference (own)",
        "investmentAccountByReference",
        query(Q_BY_REFERENCE, u="own_user", r="own_reference"),
        EVERYONE,
        INV,
    ),
    Operation("investmentAccounts", "investmentAccounts", query(Q_ACCOUNTS), EVERYONE, INV),
    Operation(
        "createInvestmentAccount", "createInvestmentAccount", _create_account, ADVISOR_ADMIN, INV
    ),
    Operation(
        "updateInvestmentAccount (rename)",
        "updateInvestmentAccount",
        _update_account({"name": "Renamed"}),
        ADVISOR_ADMIN,
        INV,
    ),
    Operation(
        "updateInvestmentAccount (suspend)",
        "updateInvestmentAccount",
        _update_account({"status": "SUSPENDED"}),
        COMPLIANCE_ADMIN,
        INV,
    ),
    Operation(
        "transaction (own)", "transaction", query(Q_TRANSACTION, id="own_transaction"), EVERYONE, T
    ),
    Operation(
        "transaction (other)",
        "transaction",
        query(Q_TRANSACTION, id="other_transaction"),
        STAFF,
        T,
        CLIENT_HIDDEN,
    ),
    Operation("transactions", "transactions", query(Q_TRANSACTIONS), EVERYONE, T),
    Operation("createTransaction", "createTransaction", _create_transaction, ADVISOR_ADMIN, T),
    Operation(
        "updateTransaction (settle)", "updateTransaction", _settle_transaction, ADVISOR_ADMIN, T
    ),
    Operation("cancelTransaction", "cancelTransaction", _cancel_transaction, ADVISOR_ADMIN, T),
    Operation("complianceLog", "complianceLog", query(Q_LOG, id="log"), COMPLIANCE_ADMIN, C),
    Operation(
        "complianceLogRevision",
        "complianceLogRevision",
        query(Q_REVISION, id="log"),
        COMPLIANCE_ADMIN,
        C,
    ),
    Operation("complianceLogs", "complianceLogs", query(Q_LOGS), COMPLIANCE_ADMIN, C),
    Operation("createComplianceLog", "createComplianceLog", _create_log, COMPLIANCE_ADMIN, C),
    Operation("amendComplianceLog", "amendComplianceLog", _amend_log, COMPLIANCE_ADMIN, C),
]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def platform(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[SecuredPlatform]:
    folder: Path = tmp_path_factory.mktemp("role-matrix")
    async with secured_platform(folder) as running:
        yield running


def outcome(body: dict[str, Any], field: str) -> str:
    """``allowed``, ``denied`` (FORBIDDEN on the root field), ``null`` (no error, the field null:
    as for a missing row) or a description of anything else."""
    errors = body.get("errors") or []
    codes = {
        str((error.get("extensions") or {}).get("code"))
        for error in errors
        if (error.get("path") or [None])[0] == field
    }
    data = body.get("data") or {}
    if "FORBIDDEN" in codes and data.get(field) is None:
        return "denied"
    if not errors and data.get(field) is not None:
        return "allowed"
    if not errors and field in data and data[field] is None:
        return "null"
    return f"unexpected: {errors or data}"


async def matrix_of(platform: SecuredPlatform, subgraph: str) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for operation in OPERATIONS:
        if operation.subgraph != subgraph:
            continue
        row: dict[str, str] = {}
        for role in ROLES:
            text, variables = await operation.build(platform)
            body = await platform.graphql(role, text, variables)
            row[role] = outcome(body, operation.field)
        found[operation.name] = row
    return found


def _expected(role: str, allowed: frozenset[str], hidden: frozenset[str], hidden_as: str) -> str:
    return "allowed" if role in allowed else hidden_as if role in hidden else "denied"


def expected_of(subgraph: str) -> dict[str, dict[str, str]]:
    return {
        operation.name: {
            role: _expected(role, operation.allowed, operation.hidden, "null") for role in ROLES
        }
        for operation in OPERATIONS
        if operation.subgraph == subgraph
    }


SUBGRAPHS = [
    "users",
    "investments",
    "transactions",
    "compliance",
]


@pytest.mark.parametrize("subgraph", SUBGRAPHS)
async def test_graphql_role_matrix(platform: SecuredPlatform, subgraph: str) -> None:
    assert await matrix_of(platform, subgraph) == expected_of(subgraph)


async def test_client_lists_are_narrowed_to_its_own_data(platform: SecuredPlatform) -> None:
    ids = platform.ids
    accounts = await platform.graphql(
        "client", "{ investmentAccounts(first: 50) { nodes { id userId } } }"
    )
    staff_view = await platform.graphql(
        "advisor", "{ investmentAccounts(first: 50) { nodes { id userId } } }"
    )
    own = accounts["data"]["investmentAccounts"]["nodes"]
    assert own and {node["userId"] for node in own} == {ids.own_user}
    assert ids.other_user in {
        n["userId"] for n in staff_view["data"]["investmentAccounts"]["nodes"]
    }


async def test_without_pii_read_sensitive_fields_are_null_and_the_rest_intact(
    platform: SecuredPlatform,
) -> None:
    body = await platform.graphql(
        "admin",
        "query($id: ID!) { user(id: $id) { id firstName emailAddress } }",
        {"id": platform.ids.own_user},
        scope=(),
    )
    assert body["data"]["user"]["id"] == platform.ids.own_user
    assert body["data"]["user"]["firstName"] == "Ada"
    assert body["data"]["user"]["emailAddress"] is None
    (error,) = body["errors"]
    assert error["path"] == ["user", "emailAddress"]
    assert error["extensions"]["code"] == "FORBIDDEN"


async def test_anonymous_callers_reach_no_subgraph(platform: SecuredPlatform) -> None:
    response = await platform.router.post("/graphql", json={"query": "{ users { nodes { id } } }"})
    assert response.status_code == 401


# -- REST ----------------------------------------------------------------------------------------

RestCall = Callable[
    [SecuredPlatform], Awaitable[tuple[str, str, dict[str, Any] | None, dict[str, str]]]
]


@dataclass(frozen=True)
class Route:
    name: str
    call: RestCall
    allowed: frozenset[str]
    subgraph: str
    # Roles answered as for a missing id (404 NOT_FOUND) rather than refused.
    hidden: frozenset[str] = frozenset()


def get(path: str, attribute: str) -> RestCall:
    async def call(p: SecuredPlatform) -> tuple[str, str, dict[str, Any] | None, dict[str, str]]:
        return "GET", f"{path}/{getattr(p.ids, attribute)}", None, {}

    return call


def post(
    path: str, body: Callable[[SecuredPlatform], dict[str, Any]], keyed: bool = False
) -> RestCall:
    async def call(p: SecuredPlatform) -> tuple[str, str, dict[str, Any] | None, dict[str, str]]:
        headers = {"idempotency-key": unique("rest-")} if keyed else {}
        return "POST", path, body(p), headers

    return call


async def _patch_user(p: SecuredPlatform) -> tuple[str, str, dict[str, Any] | None, dict[str, str]]:
    user_id, _ = await p.new_user()
    body = {"version": await p.version("user", user_id), "last_name": "Byron"}
    return "PATCH", f"/api/user/{user_id}", body, {}


def _patch_account(change: dict[str, Any]) -> RestCall:
    async def call(p: SecuredPlatform) -> tuple[str, str, dict[str, Any] | None, dict[str, str]]:
        account_id, _ = await p.new_account(p.ids.own_user)
        body = {"version": await p.version("investmentAccount", account_id), **change}
        return "PATCH", f"/api/investment/{account_id}", body, {}

    return call


async def _patch_transaction(
    p: SecuredPlatform,
) -> tuple[str, str, dict[str, Any] | None, dict[str, str]]:
    transaction_id = await p.new_transaction(p.ids.own_account)
    body = {"version": await p.version("transaction", transaction_id), "status": "SETTLED"}
    return "PATCH", f"/api/transaction/{transaction_id}", body, {}


async def _patch_log(p: SecuredPlatform) -> tuple[str, str, dict[str, Any] | None, dict[str, str]]:
    log_id = await p.new_log(p.ids.own_user)
    body = {"version": 1, "performed_by": "analyst", "outcome": "CLEAR"}
    return "PATCH", f"/api/compliance/{log_id}", body, {}


def _user_body(p: SecuredPlatform) -> dict[str, Any]:
    return {
        "first_name": "Grace",
        "last_name": "Hopper",
        "date_of_birth": "1980-01-01",
        "nationality": "US",
        "email_address": f"{unique('rest')}@example.com",
        "telephone_number": "+1 202 555 0100",
        "employment_status": "EMPLOYED",
        "annual_income": {"amount": "1.00", "currency": "USD"},
        "sources_of_wealth": ["SAVINGS"],
    }


def _account_body(p: SecuredPlatform) -> dict[str, Any]:
    return {
        "user_id": p.ids.own_user,
        "client_reference": unique("R-"),
        "account_type": "GIA",
        "name": "Another account",
    }


def _transaction_body(p: SecuredPlatform) -> dict[str, Any]:
    return {"account_id": p.ids.own_account, "type": "DEPOSIT", "consideration_amount": "5"}


def _log_body(p: SecuredPlatform) -> dict[str, Any]:
    return {
        "user_id": p.ids.own_user,
        "event_type": "PEP_SCREENING",
        "outcome": "CLEAR",
        "log_details": {},
        "response_id": unique("r-"),
        "performed_by": "analyst",
    }


ROUTES = [
    Route("POST /api/user", post("/api/user", _user_body), ADMIN, U),
    Route("GET /api/user (own)", get("/api/user", "own_user"), EVERYONE, U),
    Route("GET /api/user (other)", get("/api/user", "other_user"), STAFF, U, CLIENT_HIDDEN),
    Route("PATCH /api/user", _patch_user, ADMIN, U),
    Route("POST /api/investment", post("/api/investment", _account_body), ADVISOR_ADMIN, INV),
    Route("GET /api/investment (own)", get("/api/investment", "own_account"), EVERYONE, INV),
    Route(
        "GET /api/investment (other)",
        get("/api/investment", "other_account"),
        STAFF,
        INV,
        CLIENT_HIDDEN,
    ),
    Route("PATCH /api/investment (rename)", _patch_account({"name": "X"}), ADVISOR_ADMIN, INV),
    Route(
        "PATCH /api/investment (suspend)",
        _patch_account({"status": "SUSPENDED"}),
        COMPLIANCE_ADMIN,
        INV,
    ),
    Route(
        "POST /api/transaction",
        post("/api/transaction", _transaction_body, keyed=True),
        ADVISOR_ADMIN,
        T,
    ),
    Route("GET /api/transaction (own)", get("/api/transaction", "own_transaction"), EVERYONE, T),
    Route(
        "GET /api/transaction (other)",
        get("/api/transaction", "other_transaction"),
        STAFF,
        T,
        CLIENT_HIDDEN,
    ),
    Route("PATCH /api/transaction (settle)", _patch_transaction, ADVISOR_ADMIN, T),
    Route("POST /api/compliance", post("/api/compliance", _log_body), COMPLIANCE_ADMIN, C),
    Route("GET /api/compliance", get("/api/compliance", "log"), COMPLIANCE_ADMIN, C),
    Route("PATCH /api/compliance", _patch_log, COMPLIANCE_ADMIN, C),
]


async def rest_matrix_of(platform: SecuredPlatform, subgraph: str) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for route in ROUTES:
        if route.subgraph != subgraph:
            continue
        row: dict[str, str] = {}
        for role in ROLES:
            method, path, body, extra = await route.call(platform)
            response = await platform.router.request(
                method, path, json=body, headers={**platform.headers(role), **extra}
            )
            if 200 <= response.status_code < 300:
                row[role] = "allowed"
            elif response.status_code == 403 and response.json().get("code") == "FORBIDDEN":
                assert response.headers["content-type"] == "application/problem+json"
                row[role] = "denied"
            elif response.status_code == 404 and response.json().get("code") == "NOT_FOUND":
                row[role] = "not found"
            else:
                row[role] = f"unexpected: {response.status_code} {response.text[:300]}"
        found[route.name] = row
    return found


@pytest.mark.parametrize("subgraph", SUBGRAPHS)
async def test_rest_role_matrix(platform: SecuredPlatform, subgraph: str) -> None:
    expected = {
        route.name: {
            role: _expected(role, route.allowed, route.hidden, "not found") for role in ROLES
        }
        for route in ROUTES
        if route.subgraph == subgraph
    }
    assert await rest_matrix_of(platform, subgraph) == expected


# -- another user's row and a missing one, through the router ------------------------------------

MISSING = {
    "other_user": "usr_00000000000070008000000000000000",
    "other_account": "acc_00000000000070008000000000000000",
    "other_transaction": "txn_00000000000070008000000000000000",
}
PROBES = [
    ("user", Q_USER, "other_user", "/api/user"),
    ("investmentAccount", Q_ACCOUNT, "other_account", "/api/investment"),
    ("transaction", Q_TRANSACTION, "other_transaction", "/api/transaction"),
]


@pytest.mark.parametrize(("field", "document", "attribute", "path"), PROBES)
async def test_a_client_cannot_tell_another_users_row_from_a_missing_one(
    platform: SecuredPlatform, field: str, document: str, attribute: str, path: str
) -> None:
    theirs, missing = getattr(platform.ids, attribute), MISSING[attribute]
    headers = {**platform.headers("client"), "accept": "application/json"}

    async def graphql(entity_id: str) -> tuple[int, str, bytes]:
        response = await platform.router.post(
            "/graphql", json={"query": document, "variables": {"id": entity_id}}, headers=headers
        )
        return response.status_code, response.headers["content-type"], response.content

    answer = await graphql(theirs)
    assert answer == await graphql(missing)
    assert answer[0] == 200 and json.loads(answer[2]) == {"data": {field: None}}

    async def rest(entity_id: str) -> tuple[int, str, str]:
        response = await platform.router.get(f"{path}/{entity_id}", headers=headers)
        # A 404 names the id it was asked for; apart from that the answers are the same.
        return (
            response.status_code,
            response.headers["content-type"],
            response.text.replace(entity_id, "<id>"),
        )

    not_found = await rest(theirs)
    assert not_found == await rest(missing)
    assert not_found[0] == 404 and json.loads(not_found[2])["code"] == "NOT_FOUND"

    # Staff still read the row on both doors.
    staff = await platform.graphql("advisor", document, {"id": theirs})
    assert staff["data"][field]["id"] == theirs and "errors" not in staff
    response = await platform.router.get(f"{path}/{theirs}", headers=platform.headers("advisor"))
    assert response.status_code == 200


# -- REST writes: authorization before the body (issue 13.12) ----------------------------------

# Bodies a write refuses before any subgraph sees them: malformed, of the wrong type, invalid.
BAD_BODIES: list[tuple[str, dict[str, str], bytes]] = [
    ("invalid", {"content-type": "application/json"}, b'{"unknown_field": 1}'),
    ("malformed", {"content-type": "application/json"}, b'{"first_name": '),
    ("not json", {"content-type": "text/plain"}, b"hello"),
]


def _write_roles(resource: str, method: str) -> frozenset[str]:
    """Every role the matrix above lets make some write of this kind to ``resource``."""
    names = {route.name for route in ROUTES if route.name.startswith(f"{method} /api/{resource}")}
    return frozenset().union(*(route.allowed for route in ROUTES if route.name in names))


@pytest.mark.parametrize("method", ["POST", "PATCH"])
@pytest.mark.parametrize("resource", ["user", "investment", "transaction", "compliance"])
async def test_a_caller_who_may_not_write_gets_403_whatever_the_body(
    platform: SecuredPlatform, resource: str, method: str
) -> None:
    from router.rest.resources import RESOURCES

    (declared,) = [r for r in RESOURCES if r.name == resource]
    rule = declared.create_rule if method == "POST" else declared.update_rule
    # The router's gate lets through exactly the roles the subgraphs let make some such write.
    assert rule.roles == _write_roles(resource, method)
    path = f"/api/{resource}" if method == "POST" else f"/api/{resource}/{platform.ids.own_user}"
    for role in ROLES:
        for label, headers, content in BAD_BODIES:
            response = await platform.router.request(
                method, path, content=content, headers={**platform.headers(role), **headers}
            )
            body = response.json()
            if role in rule.roles:
                assert response.status_code in (400, 422), (role, label, body)
                continue
            assert response.status_code == 403, (role, label, body)
            assert response.headers["content-type"] == "application/problem+json"
            assert body["code"] == "FORBIDDEN" and body["reason"] == "ROLE"
            assert body["detail"] == f"Your role may not {rule.action}."
            # Nothing about the body's rules: no field list, no validation message.
            assert "errors" not in body
