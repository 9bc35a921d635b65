"""The rules of user profiles: validation, e-mail uniqueness, versions and status moves.

The service validates the whole input before touching the database, so a refused write names
every bad field and leaves nothing behind. It seals sensitive fields with the row id it
generated, through the operation's encryption session; it never commits (the request does).

``createUser`` takes an optional idempotency key, as ``createComplianceLog`` does
(docs/decisions/0027-create-idempotency-users-investments.md): the same key with the same
request returns the user the first request created, as it is now, and creates nothing; the same
key with another request is a ``CONFLICT`` (``IDEMPOTENCY_KEY_REUSED``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from crypto import EncryptionSession, Principal
from subgraphs.kit import (
    Conflict,
    Issues,
    Money,
    NotFound,
    Page,
    RuleViolation,
    new_id,
    require_version,
    seal_field,
    utcnow,
)
from subgraphs.kit.validation import check_idempotency_key

from . import policy, rules
from .domain import ALLOWED_STATUS_MOVES, EmploymentStatus, SourceOfWealth, UserStatus
from .idempotency import canonical_request, fingerprint, matches_fingerprint
from .models import UserRow
from .repository import IdempotencyKeyTaken, UserFilter, UserRepository

__all__ = ["NewUser", "UserService", "UserUpdate"]

ID_PREFIX = "usr"
# Fields an update may name, with their GraphQL names (for error messages).
UPDATABLE_FIELDS: dict[str, str] = {
    "title": "title",
    "first_name": "firstName",
    "last_name": "lastName",
    "date_of_birth": "dateOfBirth",
    "nationality": "nationality",
    "email_address": "emailAddress",
    "telephone_number": "telephoneNumber",
    "employment_status": "employmentStatus",
    "annual_income": "annualIncome",
    "sources_of_wealth": "sourcesOfWealth",
    "status": "status",
}
NULLABLE_FIELDS = frozenset({"title"})


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


@dataclass(frozen=True, slots=True)
class NewUser:
    """A profile to create, as the caller sent it (not yet validated)."""

    first_name: str
    last_name: str
    date_of_birth: dt.date
    nationality: str
    email_address: str
    telephone_number: str
    employment_status: EmploymentStatus
    annual_income: Money
    sources_of_wealth: Sequence[SourceOfWealth]
    title: str | None = None
    idempotency_key: str | None = None

    def canonical(self) -> str:
        """Return the canonical request for idempotency (GraphQL names, as sent, key excluded)."""
        return canonical_request(
            {
                "title": self.title,
                "firstName": self.first_name,
                "lastName": self.last_name,
                "dateOfBirth": self.date_of_birth,
                "nationality": self.nationality,
                "emailAddress": self.email_address,
                "telephoneNumber": self.telephone_number,
                "employmentStatus": self.employment_status,
                "annualIncome": {
                    "amount": str(self.annual_income.amount),
                    "currency": self.annual_income.currency,
                },
                "sourcesOfWealth": [source.value for source in self.sources_of_wealth],
            }
        )


@dataclass(frozen=True, slots=True)
class UserUpdate:
    """A partial update: ``changes`` holds only the fields the caller named (snake_case keys)."""

    user_id: str
    version: int
    changes: Mapping[str, Any]


class UserService:
    def __init__(
        self,
        repository: UserRepository,
        encryption: EncryptionSession,
        *,
        principal: Principal,
        today: Callable[[], dt.date] = _today,
    ) -> None:
        self.repository = repository
        self.encryption = encryption
        self.principal = principal
        self.today = today

    # -- reads ------------------------------------------------------------------------------------

    def may_read(self, user_id: str) -> bool:
        """Whether ``user_id`` may be shown (by id or as an entity); ``False``: as if missing."""
        return policy.may_read(self.principal, user_id)

    async def find_by_email(self, email: str) -> UserRow | None:
        policy.require_lookup_by_email(self.principal)
        digests = self.encryption.blind_index_email_candidates(rules.normalise_email(email))
        return await self.repository.find_by_email_index(digests)

    async def list(
        self, filters: UserFilter, *, first: int | None, after: str | None
    ) -> Page[UserRow]:
        policy.require_list(self.principal)
        return await self.repository.page(filters, first=first, after=after)

    # -- writes -----------------------------------------------------------------------------------

    async def create(self, data: NewUser) -> UserRow:
        policy.require_create(self.principal)
        issues = Issues()
        title = rules.check_title(issues, data.title)
        first_name = rules.check_name(issues, "firstName", data.first_name)
        last_name = rules.check_name(issues, "lastName", data.last_name)
        date_of_birth = rules.check_date_of_birth(issues, data.date_of_birth, self.today())
        nationality = rules.check_nationality(issues, data.nationality)
        email = rules.check_email(issues, data.email_address)
        telephone = rules.check_telephone(issues, data.telephone_number)
        income = rules.check_income(issues, data.annual_income.amount, data.annual_income.currency)
        sources = rules.check_sources_of_wealth(issues, data.sources_of_wealth)
        key = (
            check_idempotency_key(issues, data.idempotency_key)
            if data.idempotency_key is not None
            else None
        )
        issues.raise_if_any()
        assert first_name and last_name and date_of_birth and nationality  # for the type checker
        assert email and telephone and income and sources

        canonical = data.canonical() if key is not None else ""
        if key is not None:
            # Before the e-mail check: a retry of a create that committed finds its own e-mail
            # address taken, by the user it should get back.
            replay = await self._replay(key, canonical)
            if replay is not None:
                return replay
        digest = self.encryption.blind_index_email(email)
        await self._refuse_taken_email(email, except_id=None)
        now = utcnow()
        row = UserRow(
            id=new_id(ID_PREFIX),
            created_at=now,
            updated_at=now,
            title=title,
            first_name=first_name,
            last_name=last_name,
            nationality=nationality,
            email_blind_index=digest,
            employment_status=data.employment_status.value,
            status=UserStatus.ACTIVE.value,
            idempotency_key=key,
            request_fingerprint=(
                fingerprint(self.encryption, canonical) if key is not None else None
            ),
        )
        seal_field(self.encryption, row, "date_of_birth", date_of_birth)
        seal_field(self.encryption, row, "email_address", email)
        seal_field(self.encryption, row, "telephone_number", telephone)
        seal_field(self.encryption, row, "annual_income", income.to_json())
        seal_field(self.encryption, row, "sources_of_wealth", [s.value for s in sources])
        self.repository.add(row)
        try:
            await self.repository.flush()
        except IdempotencyKeyTaken:
            # A concurrent request with this key committed between our look-up and our insert.
            # The request's transaction cannot go on after the failed flush, so the caller
            # retries, and that retry gets the winner's user back.
            raise Conflict(
                "Another request with this idempotency key is in progress; retry.",
                reason="IDEMPOTENCY_KEY_REUSED",
                field="idempotencyKey",
            ) from None
        return row

    async def update(self, update: UserUpdate) -> UserRow:
        policy.require_update(self.principal)
        unknown = set(update.changes) - set(UPDATABLE_FIELDS)
        if unknown:
            raise ValueError(f"not updatable: {sorted(unknown)}")
        row = await self.repository.get(update.user_id)
        if row is None:
            raise NotFound("User", update.user_id)
        require_version("The user", row.version, update.version)
        if row.status == UserStatus.CLOSED.value:
            raise RuleViolation("A closed user cannot be changed.", reason="USER_CLOSED")

        values = self._validated_changes(update.changes)
        if "email_address" in values:
            await self._refuse_taken_email(values["email_address"], except_id=row.id)
            row.email_blind_index = self.encryption.blind_index_email(values["email_address"])
        if "status" in values:
            self._check_status_move(UserStatus(row.status), values["status"])
        self._apply(row, values)
        await self.repository.flush()
        return row

    # -- helpers ----------------------------------------------------------------------------------

    def _validated_changes(self, changes: Mapping[str, Any]) -> dict[str, Any]:
        issues = Issues()
        values: dict[str, Any] = {}
        for name, value in changes.items():
            if value is None and name not in NULLABLE_FIELDS:
                issues.add(UPDATABLE_FIELDS[name], "may not be null; omit it to leave it unchanged")
                continue
            before = len(issues)
            checked = self._check_one(issues, name, value)
            if len(issues) == before:
                values[name] = checked
        issues.raise_if_any()
        return values

    def _check_one(self, issues: Issues, name: str, value: Any) -> Any:
        match name:
            case "title":
                return rules.check_title(issues, value)
            case "first_name":
                return rules.check_name(issues, "firstName", value)
            case "last_name":
                return rules.check_name(issues, "lastName", value)
            case "date_of_birth":
                return rules.check_date_of_birth(issues, value, self.today())
            case "nationality":
                return rules.check_nationality(issues, value)
            case "email_address":
                return rules.check_email(issues, value)
            case "telephone_number":
                return rules.check_telephone(issues, value)
            case "annual_income":
                return rules.check_income(issues, value.amount, value.currency)
            case "sources_of_wealth":
                return rules.check_sources_of_wealth(issues, value)
            case "employment_status" | "status":
                return value  # an enum, already checked by GraphQL
        raise AssertionError(name)  # pragma: no cover - guarded by UPDATABLE_FIELDS

    def _apply(self, row: UserRow, values: Mapping[str, Any]) -> None:
        for name, value in values.items():
            match name:
                case "title" | "first_name" | "last_name" | "nationality":
                    setattr(row, name, value)
                case "employment_status" | "status":
                    setattr(row, name, value.value)
                case "date_of_birth" | "email_address" | "telephone_number":
                    seal_field(self.encryption, row, name, value)
                case "annual_income":
                    seal_field(self.encryption, row, name, value.to_json())
                case "sources_of_wealth":
                    seal_field(self.encryption, row, name, [source.value for source in value])

    @staticmethod
    def _check_status_move(current: UserStatus, target: UserStatus) -> None:
        if target is current:
            return
        if target not in ALLOWED_STATUS_MOVES[current]:
            raise RuleViolation(
                f"A user cannot move from {current.value} to {target.value}.",
                reason="INVALID_STATUS_TRANSITION",
                field="status",
            )

    async def _replay(self, key: str, canonical: str) -> UserRow | None:
        """Return the user an earlier request with ``key`` created, if its request was the same.

        The user is returned as it is now (a replay is a view of the entity, as a transaction's
        is), not as the first answer showed it.
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

    async def _refuse_taken_email(self, email: str, *, except_id: str | None) -> None:
        digests = self.encryption.blind_index_email_candidates(email)
        if await self.repository.email_taken(digests, except_id=except_id):
            raise Conflict(
                "Another user already has this e-mail address.",
                reason="DUPLICATE",
                field="emailAddress",
            )
