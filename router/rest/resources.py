"""The four REST resources as fixed GraphQL operations, and how their shapes map to GraphQL's.

Each resource names three operations run through the router's own gateway (create, read, change),
the request models that validate their bodies, and the conversion of a GraphQL node into the REST
representation. Nothing here talks to a subgraph or a database: the gateway plans and runs the
operations exactly as it would a client's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from router.rest import schemas
from router.rest.naming import keys_to_camel, keys_to_snake

__all__ = ["RESOURCES", "Resource", "WriteRule"]

_USER_FIELDS = """id title firstName lastName dateOfBirth nationality emailAddress telephoneNumber
employmentStatus annualIncome { amount currency } sourcesOfWealth status createdAt updatedAt
version"""
_ACCOUNT_FIELDS = """id userId clientReference accountType name currency status openedAt closedAt
createdAt updatedAt version"""
_TRANSACTION_FIELDS = """id accountId userId type status currency
considerationAmount { amount currency } chargesAmount { amount currency } isin quantity price
tradeDate settlementDate reference createdAt updatedAt version"""
_COMPLIANCE_FIELDS = """id eventType outcome provider logDetails responseId performedBy createdAt
updatedAt version hash user { id } account { id } transaction { id }
revisions { revision eventType outcome provider performedBy createdAt chainIndex hash previousHash
logDetails responseId }"""

_OPAQUE_GRAPHQL = frozenset({"logDetails"})
_OPAQUE_REST = frozenset({"log_details"})


@dataclass(frozen=True)
class WriteRule:
    """The roles that may attempt one kind of write, and the refusal's wording.

    A coarse gate the REST layer applies before it reads the body (issue 13.12): a caller none of
    whose roles may ever make this write gets 403, not a 422 describing the validation rules. The
    subgraph's policy stays the authority and still decides each request in full (a compliance
    officer may change an account's status only, a client writes nothing); the role matrix
    (tests/router/security) checks the two agree.
    """

    roles: frozenset[str]
    action: str  # ends "Your role may not {action}.", as the subgraph's refusal does


@dataclass(frozen=True)
class Resource:
    """One REST resource: its path, operations, request models and representation."""

    name: str  # the path segment: /api/<name>
    label: str  # for messages and docs: "User"
    create_model: type[BaseModel]
    patch_model: type[BaseModel]
    response_model: type[BaseModel]
    create_document: str
    create_field: str
    read_document: str
    read_field: str
    update_document: str
    update_field: str
    to_rest: Callable[[dict[str, Any]], dict[str, Any]]
    create_rule: WriteRule
    update_rule: WriteRule
    # True when the subgraph itself takes the Idempotency-Key (createTransaction's argument).
    key_in_operation: bool = False
    # True when the create input has an optional ``idempotencyKey`` (createUser,
    # createInvestmentAccount, createComplianceLog): the router's store still answers replays,
    # and a key derived from the header and the caller is handed on, so the subgraph returns
    # the first entity even if the router's store lost the key or never stored the answer.
    key_in_input: bool = False
    patch_verb: str = "Change"

    @property
    def path(self) -> str:
        return f"/api/{self.name}"

    def create_variables(self, body: BaseModel, idempotency_key: str | None) -> dict[str, Any]:
        """Return the create operation's variables for a validated body."""
        data = body.model_dump(mode="json")
        variables: dict[str, Any] = {"input": keys_to_camel(data, _OPAQUE_REST)}
        if self.key_in_operation:
            variables["idempotencyKey"] = idempotency_key
        elif self.key_in_input and idempotency_key is not None:
            variables["input"]["idempotencyKey"] = idempotency_key
        return variables

    def update_variables(self, entity_id: str, body: BaseModel) -> dict[str, Any]:
        """Return the update operation's variables: only the fields the body named."""
        data = body.model_dump(mode="json", exclude_unset=True)
        return {"input": {"id": entity_id, **keys_to_camel(data, _OPAQUE_REST)}}


def _plain(node: dict[str, Any]) -> dict[str, Any]:
    converted: dict[str, Any] = keys_to_snake(node, _OPAQUE_GRAPHQL)
    return converted


def _transaction(node: dict[str, Any]) -> dict[str, Any]:
    rest = _plain(node)
    # REST carries the amounts as decimal strings beside the transaction's one currency.
    rest["consideration_amount"] = node["considerationAmount"]["amount"]
    rest["charges_amount"] = node["chargesAmount"]["amount"]
    return rest


def _compliance(node: dict[str, Any]) -> dict[str, Any]:
    rest = _plain(node)
    for subject in ("user", "account", "transaction"):
        value = rest.pop(subject)
        rest[f"{subject}_id"] = value["id"] if isinstance(value, dict) else None
    return rest


def _operation(kind: str, name: str, signature: str, call: str, fields: str) -> str:
    return f"{kind} {name}{signature} {{ {call} {{ {fields} }} }}"


RESOURCES: tuple[Resource, ...] = (
    Resource(
        name="user",
        label="User",
        create_model=schemas.UserCreate,
        patch_model=schemas.UserPatch,
        response_model=schemas.User,
        create_document=_operation(
            "mutation",
            "RestCreateUser",
            "($input: CreateUserInput!)",
            "createUser(input: $input)",
            _USER_FIELDS,
        ),
        create_field="createUser",
        key_in_input=True,
        read_document=_operation(
            "query", "RestReadUser", "($id: ID!)", "user(id: $id)", _USER_FIELDS
        ),
        read_field="user",
        update_document=_operation(
            "mutation",
            "RestUpdateUser",
            "($input: UpdateUserInput!)",
            "updateUser(input: $input)",
            _USER_FIELDS,
        ),
        update_field="updateUser",
        to_rest=_plain,
        create_rule=WriteRule(frozenset({"admin"}), "create users"),
        update_rule=WriteRule(frozenset({"admin"}), "update users"),
    ),
    Resource(
        name="investment",
        label="InvestmentAccount",
        create_model=schemas.InvestmentAccountCreate,
        patch_model=schemas.InvestmentAccountPatch,
        response_model=schemas.InvestmentAccount,
        create_document=_operation(
            "mutation",
            "RestCreateInvestmentAccount",
            "($input: CreateInvestmentAccountInput!)",
            "createInvestmentAccount(input: $input)",
            _ACCOUNT_FIELDS,
        ),
        create_field="createInvestmentAccount",
        key_in_input=True,
        read_document=_operation(
            "query",
            "RestReadInvestmentAccount",
            "($id: ID!)",
            "investmentAccount(id: $id)",
            _ACCOUNT_FIELDS,
        ),
        read_field="investmentAccount",
        update_document=_operation(
            "mutation",
            "RestUpdateInvestmentAccount",
            "($input: UpdateInvestmentAccountInput!)",
            "updateInvestmentAccount(input: $input)",
            _ACCOUNT_FIELDS,
        ),
        update_field="updateInvestmentAccount",
        to_rest=_plain,
        create_rule=WriteRule(frozenset({"admin", "advisor"}), "open investment accounts"),
        update_rule=WriteRule(
            frozenset({"admin", "advisor", "compliance"}), "change investment accounts"
        ),
    ),
    Resource(
        name="transaction",
        label="Transaction",
        create_model=schemas.TransactionCreate,
        patch_model=schemas.TransactionPatch,
        response_model=schemas.Transaction,
        create_document=_operation(
            "mutation",
            "RestCreateTransaction",
            "($input: CreateTransactionInput!, $idempotencyKey: String!)",
            "createTransaction(input: $input, idempotencyKey: $idempotencyKey)",
            _TRANSACTION_FIELDS,
        ),
        create_field="createTransaction",
        read_document=_operation(
            "query",
            "RestReadTransaction",
            "($id: ID!)",
            "transaction(id: $id)",
            _TRANSACTION_FIELDS,
        ),
        read_field="transaction",
        update_document=_operation(
            "mutation",
            "RestUpdateTransaction",
            "($input: UpdateTransactionInput!)",
            "updateTransaction(input: $input)",
            _TRANSACTION_FIELDS,
        ),
        update_field="updateTransaction",
        to_rest=_transaction,
        create_rule=WriteRule(frozenset({"admin", "advisor"}), "record transactions"),
        update_rule=WriteRule(frozenset({"admin", "advisor"}), "change transactions"),
        key_in_operation=True,
    ),
    Resource(
        name="compliance",
        label="ComplianceLog",
        create_model=schemas.ComplianceLogCreate,
        patch_model=schemas.ComplianceLogPatch,
        response_model=schemas.ComplianceLog,
        create_document=_operation(
            "mutation",
            "RestCreateComplianceLog",
            "($input: CreateComplianceLogInput!)",
            "createComplianceLog(input: $input)",
            _COMPLIANCE_FIELDS,
        ),
        create_field="createComplianceLog",
        key_in_input=True,
        read_document=_operation(
            "query",
            "RestReadComplianceLog",
            "($id: ID!)",
            "complianceLog(id: $id)",
            _COMPLIANCE_FIELDS,
        ),
        read_field="complianceLog",
        update_document=_operation(
            "mutation",
            "RestAmendComplianceLog",
            "($input: AmendComplianceLogInput!)",
            "amendComplianceLog(input: $input)",
            _COMPLIANCE_FIELDS,
        ),
        update_field="amendComplianceLog",
        to_rest=_compliance,
        create_rule=WriteRule(frozenset({"admin", "compliance"}), "log or amend compliance events"),
        update_rule=WriteRule(frozenset({"admin", "compliance"}), "log or amend compliance events"),
        patch_verb="Amend (append a revision to)",
    ),
)
