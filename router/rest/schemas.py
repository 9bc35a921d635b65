"""The REST API's request and response shapes (pydantic), which the OpenAPI document is built from.

Request models validate shape and types only (required fields, enums, exact decimals, dates); the
domain rules (lengths, e-mail syntax, adult age, allowed status moves...) stay in the subgraphs,
whose field-level errors come back as the same problem document. Request models forbid unknown
fields, so a typo is an error rather than a silently ignored change. Response models document what
the endpoints send; amounts in them are decimal strings. A sensitive field a reader may not see
(no ``pii:read``) is left out of a read's answer and named in its ``withheld_fields`` member.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict

from router.rest.values import ExactDecimal, IsoDate

_WITHHELD = (
    "Sensitive (encrypted at rest): left out of a read by a caller without pii:read, and then "
    "named in withheld_fields."
)


def _sensitive() -> Any:
    return Field(default=None, description=_WITHHELD)


def _withheld() -> Any:
    return Field(
        default=None,
        description="Only in a read, when it left sensitive fields out: their names (dotted "
        "for nested ones, e.g. revisions.log_details), because the caller lacks pii:read.",
    )


EmploymentStatus = Literal["EMPLOYED", "SELF_EMPLOYED", "RETIRED", "STUDENT", "UNEMPLOYED"]
SourceOfWealth = Literal[
    "EMPLOYMENT_INCOME",
    "BUSINESS_INCOME",
    "INHERITANCE",
    "GIFT",
    "SAVINGS",
    "INVESTMENTS",
    "PROPERTY",
    "PENSION",
    "OTHER",
]
UserStatus = Literal["ACTIVE", "SUSPENDED", "CLOSED"]
AccountType = Literal["GIA", "ISA", "JISA", "SIPP", "LISA"]
AccountStatus = Literal["PENDING", "ACTIVE", "SUSPENDED", "CLOSING", "CLOSED"]
TransactionType = Literal["DEPOSIT", "WITHDRAWAL", "BUY", "SELL", "CHARGE", "DIVIDEND", "INTEREST"]
TransactionStatus = Literal["PENDING", "SETTLED", "CANCELLED", "REJECTED"]
ComplianceEventType = Literal[
    "KYC_CHECK_REQUESTED",
    "KYC_CHECK_PASSED",
    "KYC_CHECK_FAILED",
    "KYC_CHECK_REFERRED",
    "AML_SCREENING",
    "PEP_SCREENING",
    "SANCTIONS_SCREENING",
    "SUITABILITY_ASSESSED",
    "ACCOUNT_SUSPENDED",
    "DATA_ACCESS",
]
ComplianceOutcome = Literal["PENDING", "CLEAR", "CONSIDER", "FAIL"]

Version = Annotated[
    int,
    Strict(),
    Field(ge=1, le=2**31 - 1, description="The `version` that was read; a stale one is a 409."),
]


_MAX_DEPTH = 32
_INT64 = 2**63


def _plain_json(value: Any, depth: int = 0) -> Any:
    # log_details is the client's own JSON, stored as sent. The body parser read its fractional
    # numbers as Decimal (for the amounts' sake); a JSON object carries them as JSON numbers again.
    # Only amounts are money; these numbers are opaque data, so a float is their JSON form. Values
    # that JSON libraries on the way (and the subgraph's storage) cannot carry are refused here.
    if depth > _MAX_DEPTH:
        raise ValueError(f"must not nest deeper than {_MAX_DEPTH} levels")
    if isinstance(value, dict):
        return {k: _plain_json(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_json(v, depth + 1) for v in value]
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and not -_INT64 <= value < _INT64:
        raise ValueError("integers must fit in 64 bits")
    if isinstance(value, Decimal):
        number = float(value)  # what a standard JSON parser would have made of it
        if not math.isfinite(number):
            raise ValueError("numbers must be within the range of a 64-bit float")
        return number
    return value


JsonObject = Annotated[dict[str, Any], BeforeValidator(_plain_json)]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MoneyInput(_Input):
    amount: ExactDecimal
    currency: str = Field(description="ISO 4217 currency code, e.g. GBP.")


class Money(BaseModel):
    amount: str = Field(description='Decimal string, e.g. "1500.00".')
    currency: str = Field(description="ISO 4217 currency code.")


# ---- users ----------------------------------------------------------------------------------


class UserCreate(_Input):
    """A new user profile (it starts ACTIVE)."""

    title: str | None = None
    first_name: str = Field(description="1 to 50 characters.")
    last_name: str = Field(description="1 to 50 characters.")
    date_of_birth: IsoDate = Field(description="The user must be an adult.")
    nationality: str = Field(description="ISO 3166-1 alpha-2 country code, e.g. GB.")
    email_address: str = Field(description="Unique (any case); stored lower-cased.")
    telephone_number: str = Field(description="Normalised to E.164.")
    employment_status: EmploymentStatus
    annual_income: MoneyInput
    sources_of_wealth: list[SourceOfWealth] = Field(description="At least one.")


class UserPatch(_Input):
    """The version that was read and only the fields to change."""

    version: Version
    title: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    date_of_birth: IsoDate | None = None
    nationality: str | None = None
    email_address: str | None = None
    telephone_number: str | None = None
    employment_status: EmploymentStatus | None = None
    annual_income: MoneyInput | None = None
    sources_of_wealth: list[SourceOfWealth] | None = None
    status: UserStatus | None = None


class User(BaseModel):
    """A KYC-compliant user profile."""

    id: str
    title: str | None
    first_name: str
    last_name: str
    date_of_birth: dt.date | None = _sensitive()
    nationality: str
    email_address: str | None = _sensitive()
    telephone_number: str | None = _sensitive()
    employment_status: EmploymentStatus
    annual_income: Money | None = _sensitive()
    sources_of_wealth: list[SourceOfWealth] | None = _sensitive()
    status: UserStatus
    created_at: str = Field(description="ISO 8601 date and time.")
    updated_at: str = Field(description="ISO 8601 date and time.")
    version: int
    withheld_fields: list[str] | None = _withheld()


# ---- investment accounts ----------------------------------------------------------------------


class InvestmentAccountCreate(_Input):
    """A new investment account (it starts PENDING)."""

    user_id: str = Field(description="An existing user who is not CLOSED.")
    client_reference: str = Field(description="1 to 50 characters, unique per user.")
    account_type: AccountType
    name: str = Field(description="1 to 100 characters.")
    currency: str = Field(default="GBP", description="ISO 4217 currency code.")


class InvestmentAccountPatch(_Input):
    """The version that was read and only the fields to change (`status` along the lifecycle)."""

    version: Version
    client_reference: str | None = None
    account_type: AccountType | None = None
    name: str | None = None
    currency: str | None = None
    status: AccountStatus | None = None


class InvestmentAccount(BaseModel):
    """An investment account of one user."""

    id: str
    user_id: str
    client_reference: str | None = _sensitive()
    account_type: AccountType
    name: str
    currency: str
    status: AccountStatus
    opened_at: str | None = Field(description="When the account first became ACTIVE.")
    closed_at: str | None = Field(description="When the account was CLOSED.")
    created_at: str
    updated_at: str
    version: int
    withheld_fields: list[str] | None = _withheld()


# ---- transactions ----------------------------------------------------------------------------


class TransactionCreate(_Input):
    """A deposit, withdrawal, trade, charge, dividend or interest (it starts PENDING)."""

    account_id: str = Field(description="An ACTIVE account; the transaction takes its user.")
    type: TransactionType
    consideration_amount: ExactDecimal
    charges_amount: ExactDecimal | None = None
    currency: str | None = Field(default=None, description="When given, the account's currency.")
    isin: str | None = Field(default=None, description="BUY and SELL only.")
    quantity: ExactDecimal | None = None
    price: ExactDecimal | None = None
    trade_date: IsoDate | None = None
    settlement_date: IsoDate | None = None
    reference: str | None = None


class TransactionPatch(_Input):
    """The version that was read and only the fields to change (PENDING transactions only)."""

    version: Version
    status: TransactionStatus | None = None
    consideration_amount: ExactDecimal | None = None
    charges_amount: ExactDecimal | None = None
    isin: str | None = None
    quantity: ExactDecimal | None = None
    price: ExactDecimal | None = None
    trade_date: IsoDate | None = None
    settlement_date: IsoDate | None = None
    reference: str | None = None


class Transaction(BaseModel):
    """A deposit, withdrawal or trade; amounts are decimal strings in `currency`."""

    id: str
    account_id: str
    user_id: str
    type: TransactionType
    status: TransactionStatus
    currency: str
    consideration_amount: str
    charges_amount: str
    isin: str | None
    quantity: str | None
    price: str | None
    trade_date: dt.date
    settlement_date: dt.date
    reference: str | None
    created_at: str
    updated_at: str
    version: int


# ---- compliance logs -------------------------------------------------------------------------


class ComplianceLogCreate(_Input):
    """A compliance event to log; name at least one subject."""

    user_id: str | None = None
    account_id: str | None = None
    transaction_id: str | None = None
    event_type: ComplianceEventType
    outcome: ComplianceOutcome
    provider: str | None = None
    log_details: JsonObject = Field(description="A JSON object; encrypted at rest.")
    response_id: str
    performed_by: str


class ComplianceLogPatch(_Input):
    """An amendment: a new revision changing only the named fields; earlier ones stay readable."""

    version: Version
    performed_by: str = Field(description="Who amends the log.")
    outcome: ComplianceOutcome | None = None
    provider: str | None = None
    log_details: JsonObject | None = None
    response_id: str | None = None


class ComplianceLogRevision(BaseModel):
    revision: int
    event_type: ComplianceEventType
    outcome: ComplianceOutcome
    provider: str | None
    performed_by: str
    created_at: str
    chain_index: int
    hash: str
    previous_hash: str
    log_details: dict[str, Any] | None = _sensitive()
    response_id: str | None = _sensitive()


class ComplianceLog(BaseModel):
    """A compliance event; the fields are those of its latest revision."""

    id: str
    user_id: str | None
    account_id: str | None
    transaction_id: str | None
    event_type: ComplianceEventType
    outcome: ComplianceOutcome
    provider: str | None
    log_details: dict[str, Any] | None = _sensitive()
    response_id: str | None = _sensitive()
    performed_by: str
    created_at: str
    updated_at: str
    version: int
    hash: str
    revisions: list[ComplianceLogRevision]
    withheld_fields: list[str] | None = _withheld()
