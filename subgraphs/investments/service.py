"""The rules of investment accounts: validation, the user check, uniqueness, ISAs, the lifecycle.

The service validates the whole input before touching the database, so a refused write names
every bad field and leaves nothing behind. It asks the users subgraph about the account's user
before writing (unknown user: ``BAD_USER_INPUT``; closed user: ``RULE_VIOLATION``; users
unreachable: ``DEPENDENCY_UNAVAILABLE``). It seals the client reference with the row id it
generated, through the operation's encryption session; it never commits (the request does).

Where DESIGN §3 is silent, these are the rules, chosen as a wealth platform's client would expect:

* a client reference is unique among all of the user's accounts, closed ones included (it is
  how the client names an account, now and in old statements), and compared case-sensitively
  after trimming;
* ``accountType`` and ``currency`` change only while the account is PENDING: PENDING is never
  re-entered, so a PENDING account was never ACTIVE and no transaction can refer to it yet;
* activating an account asks the users subgraph again: a CLOSED user's account is not opened;
  a SUSPENDED user may still have accounts created (they wait in PENDING) and wound down;
* a CLOSED account is terminal and read-only (``ACCOUNT_CLOSED``); naming a field's current
  value is not a change (no write, no new version), so ``status`` equal to the current one is
  accepted rather than reported as a transition.

``createInvestmentAccount`` takes an optional idempotency key, as ``createComplianceLog`` does
(docs/decisions/0027-create-idempotency-users-investments.md): the same key with the same request
returns the account the first request created, as it is now (the users subgraph is not asked
again); the same key with another request is a ``CONFLICT`` (``IDEMPOTENCY_KEY_REUSED``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from crypto import EncryptionSession, Principal
from subgraphs.kit import (
    Conflict,
    Issues,
    NotFound,
    OwnerClient,
    Page,
    RuleViolation,
    new_id,
    require_version,
    seal_field,
    utcnow,
)
from subgraphs.kit.validation import check_idempotency_key

from . import policy, rules
from .domain import ALLOWED_STATUS_MOVES, InvestmentAccountStatus, InvestmentAccountType
from .idempotency import canonical_request, fingerprint, matches_fingerprint
from .models import InvestmentAccountRow
from .repository import (
    AccountFilter,
    IdempotencyKeyTaken,
    InvestmentAccountRepository,
    duplicate_reference,
    open_isa_refusal,
)

__all__ = [
    "ENTITY",
    "InvestmentAccountService",
    "InvestmentAccountUpdate",
    "NewInvestmentAccount",
]

ENTITY = "InvestmentAccount"
ID_PREFIX = "acc"
USER = "User"
# Fields an update may name, with their GraphQL names (for error messages).
UPDATABLE_FIELDS: dict[str, str] = {
    "client_reference": "clientReference",
    "account_type": "accountType",
    "name": "name",
    "currency": "currency",
    "status": "status",
}
# What the account is and what it is counted in may only change before it first opens: a
# PENDING account has never been ACTIVE, so no transaction can refer to it yet.
FIXED_ONCE_OPENED = ("account_type", "currency")
_Status = InvestmentAccountStatus


def _user_not_closed(user: Mapping[str, Any]) -> bool:
    return user.get("status") != "CLOSED"


@dataclass(frozen=True, slots=True)
class NewInvestmentAccount:
    """An account to open, as the caller sent it (not yet validated)."""

    user_id: str
    client_reference: str
    account_type: InvestmentAccountType
    name: str
    currency: str = rules.DEFAULT_CURRENCY
    idempotency_key: str | None = None

    def canonical(self) -> str:
        """Return the canonical request for idempotency (GraphQL names, as sent, key excluded)."""
        return canonical_request(
            {
                "userId": self.user_id.strip(),
                "clientReference": self.client_reference,
                "accountType": self.account_type,
                "name": self.name,
                "currency": self.currency,
            }
        )


@dataclass(frozen=True, slots=True)
class InvestmentAccountUpdate:
    """A partial update: ``changes`` holds only the fields the caller named (snake_case keys)."""

    account_id: str
    version: int
    changes: Mapping[str, Any]


class InvestmentAccountService:
    def __init__(
        self,
        repository: InvestmentAccountRepository,
        encryption: EncryptionSession,
        users: OwnerClient | None,
        *,
        principal: Principal,
    ) -> None:
        self.repository = repository
        self.encryption = encryption
        self.users = users
        self.principal = principal

    # -- reads ------------------------------------------------------------------------------------

    def may_read(self, row: InvestmentAccountRow | None) -> bool:
        """Whether ``row`` (by id or as an entity; ``None``: none) may be shown.

        ``False`` for a client and another user's account: answer it as a missing account.
        """
        return policy.may_read(self.principal, row.user_id if row is not None else None)

    def authorize_user_accounts(self, user_id: str) -> None:
        """Refuse listing the accounts of ``user_id`` (``User.investmentAccounts``)."""
        policy.require_read_user_accounts(self.principal, user_id)

    async def find_by_reference(
        self, user_id: str, client_reference: str
    ) -> InvestmentAccountRow | None:
        policy.require_read_user_accounts(self.principal, user_id.strip())
        reference = rules.normalise_reference(client_reference)
        if not reference:
            return None
        digests = self.encryption.blind_index_reference_candidates(reference)
        return await self.repository.find_by_reference(user_id.strip(), digests)

    async def list(
        self, filters: AccountFilter, *, first: int | None, after: str | None
    ) -> Page[InvestmentAccountRow]:
        user_id = policy.list_user_filter(self.principal, filters.user_id)
        if user_id != filters.user_id:
            filters = dataclasses.replace(filters, user_id=user_id)
        return await self.repository.page(filters, first=first, after=after)

    # -- writes -----------------------------------------------------------------------------------

    async def create(self, data: NewInvestmentAccount) -> InvestmentAccountRow:
        policy.require_create(self.principal)
        self.encryption.remember_plaintext(data.client_reference)
        issues = Issues()
        user_id = rules.check_user_id(issues, data.user_id)
        reference = rules.check_client_reference(issues, data.client_reference)
        name = rules.check_name(issues, data.name)
        currency = rules.check_currency(issues, data.currency)
        key = (
            check_idempotency_key(issues, data.idempotency_key)
            if data.idempotency_key is not None
            else None
        )
        issues.raise_if_any()
        assert user_id and reference and name and currency  # for the type checker

        canonical = data.canonical() if key is not None else ""
        if key is not None:
            # Before the uniqueness checks: a retry of a create that committed finds its own
            # client reference (and open ISA) taken, by the account it should get back.
            replay = await self._replay(key, canonical)
            if replay is not None:
                return replay
        await self._refuse_taken_reference(user_id, reference, except_id=None)
        if data.account_type is InvestmentAccountType.ISA:
            await self._refuse_second_open_isa(user_id, except_id=None)
        await self._require_user(user_id, "A closed user cannot open an investment account.")

        now = utcnow()
        row = InvestmentAccountRow(
            id=new_id(ID_PREFIX),
            created_at=now,
            updated_at=now,
            user_id=user_id,
            client_reference_blind_index=self.encryption.blind_index_reference(reference),
            account_type=data.account_type.value,
            name=name,
            currency=currency,
            status=_Status.PENDING.value,
            idempotency_key=key,
            request_fingerprint=(
                fingerprint(self.encryption, canonical) if key is not None else None
            ),
        )
        seal_field(self.encryption, row, "client_reference", reference)
        self.repository.add(row)
        try:
            await self.repository.flush()
        except IdempotencyKeyTaken:
            # A concurrent request with this key committed between our look-up and our insert;
            # the request's transaction cannot go on after the failed flush: the caller retries
            # and gets the winner's account back.
            raise Conflict(
                "Another request with this idempotency key is in progress; retry.",
                reason="IDEMPOTENCY_KEY_REUSED",
                field="idempotencyKey",
            ) from None
        return row

    async def update(self, update: InvestmentAccountUpdate) -> InvestmentAccountRow:
        policy.require_may_update(self.principal)
        unknown = set(update.changes) - set(UPDATABLE_FIELDS)
        if unknown:
            raise ValueError(f"not updatable: {sorted(unknown)}")
        if isinstance(update.changes.get("client_reference"), str):
            self.encryption.remember_plaintext(update.changes["client_reference"])
        row = await self.repository.get(update.account_id)
        if row is None:
            raise NotFound(ENTITY, update.account_id)
        policy.require_update(self.principal, _Status(row.status), update.changes)
        require_version("The account", row.version, update.version)

        values = self._validated_changes(update.changes)
        current = _Status(row.status)
        target = values.get("status", current)
        self._check_status_move(current, target)
        values = {name: v for name, v in values.items() if not self._unchanged(row, name, v)}
        if not values:
            return row  # nothing to change: no write, no new version
        if current is _Status.CLOSED:
            raise RuleViolation("A closed account cannot be changed.", reason="ACCOUNT_CLOSED")

        self._refuse_changes_once_opened(row, values)
        if "client_reference" in values:
            await self._refuse_taken_reference(
                row.user_id, values["client_reference"], except_id=row.id
            )
        becomes_isa = values.get("account_type") is InvestmentAccountType.ISA
        if becomes_isa and target is not _Status.CLOSED:
            await self._refuse_second_open_isa(row.user_id, except_id=row.id)
        if values.get("status") is _Status.ACTIVE:
            await self._require_user(
                row.user_id, "The account's user is closed; the account cannot be activated."
            )

        self._apply(row, values)
        await self.repository.flush()
        return row

    # -- helpers ----------------------------------------------------------------------------------

    async def _replay(self, key: str, canonical: str) -> InvestmentAccountRow | None:
        """Return the account an earlier request with ``key`` created, if its request was the same.

        The account is returned as it is now (e.g. ACTIVE by then), as a transaction replay is.
        """
        existing = await self.repository.find_by_idempotency_key(key)
        if existing is None:
            return None
        if not matches_fingerprint(self.encryption, canonical, existing.request_fingerprint or ""):
            raise Conflict(
                "This idempotency key was already used for a different request.",
                reason="IDEMPOTENCY_KEY_REUSED",
                field="idempotencyKey",
            )
        return existing

    def _validated_changes(self, changes: Mapping[str, Any]) -> dict[str, Any]:
        issues = Issues()
        values: dict[str, Any] = {}
        for name, value in changes.items():
            if value is None:
                issues.add(UPDATABLE_FIELDS[name], "may not be null; omit it to leave it unchanged")
                continue
            before = len(issues)
            checked = self._check_one(issues, name, value)
            if len(issues) == before:
                values[name] = checked
        issues.raise_if_any()
        return values

    @staticmethod
    def _check_one(issues: Issues, name: str, value: Any) -> Any:
        match name:
            case "client_reference":
                return rules.check_client_reference(issues, value)
            case "name":
                return rules.check_name(issues, value)
            case "currency":
                return rules.check_currency(issues, value)
            case "account_type" | "status":
                return value  # an enum, already checked by GraphQL
        raise AssertionError(name)  # pragma: no cover - guarded by UPDATABLE_FIELDS

    def _unchanged(self, row: InvestmentAccountRow, name: str, value: Any) -> bool:
        match name:
            case "account_type" | "status":
                return bool(getattr(row, name) == value.value)
            case "name" | "currency":
                return bool(getattr(row, name) == value)
        # A sealed reference cannot be compared without opening it; its blind index can.
        digest = self.encryption.blind_index_reference(value)
        return row.client_reference_blind_index == digest

    @staticmethod
    def _refuse_changes_once_opened(row: InvestmentAccountRow, values: Mapping[str, Any]) -> None:
        if row.status == _Status.PENDING.value:
            return
        for name in FIXED_ONCE_OPENED:
            if name in values:
                field = UPDATABLE_FIELDS[name]
                raise RuleViolation(
                    f"{field} can only change while the account is PENDING.",
                    reason="FIXED_ONCE_OPENED",
                    field=field,
                )

    def _apply(self, row: InvestmentAccountRow, values: Mapping[str, Any]) -> None:
        now = utcnow()
        for name, value in values.items():
            match name:
                case "name" | "currency":
                    setattr(row, name, value)
                case "account_type":
                    row.account_type = value.value
                case "client_reference":
                    seal_field(self.encryption, row, "client_reference", value)
                    row.client_reference_blind_index = self.encryption.blind_index_reference(value)
                case "status":
                    row.status = value.value
                    if value is _Status.ACTIVE and row.opened_at is None:
                        row.opened_at = now
                    if value is _Status.CLOSED:
                        row.closed_at = now
        row.updated_at = now

    @staticmethod
    def _check_status_move(
        current: InvestmentAccountStatus, target: InvestmentAccountStatus
    ) -> None:
        if target is current:
            return
        if target not in ALLOWED_STATUS_MOVES[current]:
            raise RuleViolation(
                f"An account cannot move from {current.value} to {target.value}.",
                reason="INVALID_STATUS_TRANSITION",
                field="status",
            )

    async def _refuse_taken_reference(
        self, user_id: str, reference: str, *, except_id: str | None
    ) -> None:
        digests = self.encryption.blind_index_reference_candidates(reference)
        if await self.repository.reference_taken(user_id, digests, except_id=except_id):
            raise duplicate_reference()

    async def _refuse_second_open_isa(self, user_id: str, *, except_id: str | None) -> None:
        if await self.repository.has_open_isa(user_id, except_id=except_id):
            raise open_isa_refusal()

    async def _require_user(self, user_id: str, unusable_message: str) -> None:
        if self.users is None:
            raise RuntimeError("the investments subgraph needs a users owner client")
        await self.users.require(
            USER,
            user_id,
            field="userId",
            usable=_user_not_closed,
            unusable_message=unusable_message,
        )
