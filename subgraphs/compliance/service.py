"""The rules of compliance logs: validation, owner checks, and appending to the hash chain.

A log is never overwritten or deleted. Creating one appends its first revision; amending one
appends a new revision with the next number; both go through :meth:`ComplianceService._append`,
which locks the chain's tip, links the revision to the last one and advances the tip, all in the
request's transaction (so a refused write leaves neither a revision nor a moved tip behind).
The service validates the whole input first, then asks the subjects' owners, then writes; it
never commits.

``createComplianceLog`` takes an optional idempotency key, as ``createTransaction`` does
(docs/decisions/0014-compliance-idempotency.md): the same key with the same request returns the
log the first request created and appends nothing; the same key with another request is a
``CONFLICT`` (``IDEMPOTENCY_KEY_REUSED``). The key is looked up before the owners are asked and
again once the chain is locked (appends are serialised, so a racing retry has committed by
then); the insert itself runs in a savepoint so the unique index decides any race left.
"""

from __future__ import annotations

import builtins
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from crypto import EncryptionSession, Principal
from subgraphs.kit import (
    AccessedEntity,
    Conflict,
    DataAccessEvent,
    Issues,
    NotFound,
    OwnerClient,
    Page,
    is_id,
    new_id,
    require_version,
    seal_field,
    utcnow,
)

from . import policy, rules
from .chain import canonical_json, content_digest_input, link_hash
from .domain import ComplianceEventType, ComplianceOutcome
from .idempotency import canonical_request, fingerprint, matches_fingerprint
from .models import ComplianceLogRevisionRow, ComplianceLogRow
from .repository import (
    ChainTip,
    ComplianceRepository,
    CurrentLog,
    IdempotencyKeyTaken,
    LogFilter,
)

__all__ = [
    "AMENDABLE_FIELDS",
    "LOG_ID_PREFIX",
    "REVISION_ID_PREFIX",
    "ComplianceLogAmendment",
    "ComplianceService",
    "NewComplianceLog",
    "audit_key",
]

LOG_ID_PREFIX = "cpl"
REVISION_ID_PREFIX = "cpr"
ENTITY = "ComplianceLog"
# What an amendment may change (snake_case -> GraphQL name). Subjects and the event type are
# the identity of the event: a different subject or event is a different log.
AMENDABLE_FIELDS: dict[str, str] = {
    "outcome": "outcome",
    "provider": "provider",
    "log_details": "logDetails",
    "response_id": "responseId",
}
NULLABLE_FIELDS = frozenset({"provider"})
# Which owning subgraph answers for each subject, and the type it knows it as.
OWNERS: dict[str, tuple[str, str]] = {
    "userId": ("users", "User"),
    "accountId": ("investments", "InvestmentAccount"),
    "transactionId": ("transactions", "Transaction"),
}
# What each owner is asked about a subject: enough to tell whether the subjects belong together.
LINK_FIELDS: dict[str, tuple[str, ...]] = {
    "userId": ("id",),
    "accountId": ("id", "userId"),
    "transactionId": ("id", "accountId", "userId"),
}
# Accessed entity type -> the subject column it fills and its id prefix (audit records).
AUDIT_SUBJECTS: dict[str, tuple[str, str]] = {
    "User": ("user_id", "usr"),
    "InvestmentAccount": ("account_id", "acc"),
    "Transaction": ("transaction_id", "txn"),
}
MAX_PERFORMED_BY = 100
MAX_PROVIDER = 100
MAX_RESPONSE_ID = 200


@dataclass(frozen=True, slots=True)
class NewComplianceLog:
    """A log to record, as the caller sent it (not yet validated)."""

    event_type: ComplianceEventType
    outcome: ComplianceOutcome
    performed_by: str
    log_details: Any
    response_id: str
    user_id: str | None = None
    account_id: str | None = None
    transaction_id: str | None = None
    provider: str | None = None
    idempotency_key: str | None = None

    def canonical(self) -> str:
        """Return the canonical request for idempotency (GraphQL names, as sent, key excluded)."""
        return canonical_request(
            {
                "userId": self.user_id,
                "accountId": self.account_id,
                "transactionId": self.transaction_id,
                "eventType": self.event_type,
                "outcome": self.outcome,
                "provider": self.provider,
                "logDetails": self.log_details,
                "responseId": self.response_id,
                "performedBy": self.performed_by,
            }
        )


@dataclass(frozen=True, slots=True)
class ComplianceLogAmendment:
    """A new revision: ``changes`` holds only the fields the caller named (snake_case keys)."""

    log_id: str
    version: int
    performed_by: str
    changes: Mapping[str, Any] = field(default_factory=dict)


def audit_key(event_id: str, entity: str, entity_id: str) -> str:
    """Return the idempotency key of one accessed entity of one audit event."""
    return hashlib.sha256(canonical_json([event_id, entity, entity_id]).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class _Content:
    """A revision's content before it is sealed and linked."""

    outcome: ComplianceOutcome
    provider: str | None
    performed_by: str
    log_details: dict[str, Any]
    response_id: str


class ComplianceService:
    def __init__(
        self,
        repository: ComplianceRepository,
        encryption: EncryptionSession,
        owners: Mapping[str, OwnerClient] | None = None,
        *,
        principal: Principal,
    ) -> None:
        self.repository = repository
        self.encryption = encryption
        self.owners = dict(owners or {})
        self.principal = principal

    # -- authorization (policy.py) ----------------------------------------------------------------

    def authorize_read_logs(self) -> None:
        """Refuse reading compliance logs (by id, as entities, under a subject)."""
        policy.require_read_logs(self.principal)

    def authorize_kyc_status(self, user_id: str) -> None:
        policy.require_kyc_status(self.principal, user_id)

    # -- reads ------------------------------------------------------------------------------------

    async def list(
        self, filters: LogFilter, *, first: int | None, after: str | None
    ) -> Page[CurrentLog]:
        policy.require_read_logs(self.principal)
        return await self.repository.page(filters, first=first, after=after)

    # -- writes -----------------------------------------------------------------------------------

    async def create(self, data: NewComplianceLog) -> CurrentLog:
        policy.require_write(self.principal)
        self.encryption.remember_plaintext(data.response_id, data.log_details)
        issues = Issues()
        subjects = rules.check_subjects(
            issues,
            {
                "userId": data.user_id,
                "accountId": data.account_id,
                "transactionId": data.transaction_id,
            },
        )
        outcome = rules.check_kyc_outcome(issues, data.event_type, data.outcome)
        performed_by = rules.check_text(
            issues, "performedBy", data.performed_by, maximum=MAX_PERFORMED_BY
        )
        provider = rules.check_optional_text(
            issues, "provider", data.provider, maximum=MAX_PROVIDER
        )
        details = rules.check_details(issues, data.log_details)
        response_id = rules.check_text(
            issues, "responseId", data.response_id, maximum=MAX_RESPONSE_ID
        )
        key = (
            rules.check_idempotency_key(issues, data.idempotency_key)
            if data.idempotency_key is not None
            else None
        )
        issues.raise_if_any()
        assert subjects is not None and outcome is not None and performed_by is not None
        assert details is not None and response_id is not None  # for the type checker

        canonical = data.canonical() if key is not None else ""
        if key is not None:
            replay = await self._replay(key, canonical)
            if replay is not None:
                return replay

        await self._require_subjects(subjects)

        tip = await self.repository.lock_chain()
        if key is not None:
            # Appends are serialised by the lock: a racing retry with this key has committed.
            replay = await self._replay(key, canonical)
            if replay is not None:
                return replay
        now = utcnow()
        log = ComplianceLogRow(
            id=new_id(LOG_ID_PREFIX),
            created_at=now,
            updated_at=now,
            user_id=subjects.get("userId"),
            account_id=subjects.get("accountId"),
            transaction_id=subjects.get("transactionId"),
            event_type=data.event_type.value,
            idempotency_key=key,
            request_fingerprint=(
                fingerprint(self.encryption, canonical) if key is not None else None
            ),
        )
        try:
            await self.repository.insert_log(log)  # the log row first: its revisions refer to it
        except IdempotencyKeyTaken:
            # Only reachable if a writer skipped the chain lock: the unique index still decides.
            assert key is not None
            replay = await self._replay(key, canonical)
            if replay is None:  # pragma: no cover - the winner rolled back in between
                raise Conflict(
                    "Another request with this idempotency key is in progress; retry.",
                    reason="IDEMPOTENCY_KEY_REUSED",
                    field="idempotencyKey",
                ) from None
            return replay
        content = _Content(outcome, provider, performed_by, details, response_id)
        revision = await self._append(tip, log, 1, content)
        await self.repository.flush()
        return CurrentLog(log, revision)

    async def record_data_access(self, record: DataAccessEvent) -> builtins.list[CurrentLog]:
        """Append one DATA_ACCESS log per accessed entity; a re-sent event adds nothing.

        The audit comes from a trusted service after the owner itself served the data, so the
        subjects are not checked with their owners (an audit record must never be lost to an
        owner's outage). Each log names the accessed entity as its subject when it is a user,
        account or transaction, so ``User.complianceLogs(eventType: DATA_ACCESS)`` answers "who
        read this person's data"; the details hold who, which fields, when and the request id,
        never a value. The response id is the audit event's id.
        """
        return (await self.record_data_access_events([record]))[0]

    async def record_data_access_events(
        self, records: Sequence[DataAccessEvent]
    ) -> builtins.list[builtins.list[CurrentLog]]:
        """Record several events as :meth:`record_data_access` does, all in one append.

        A relay's delivery holds every event due: they are checked first (one bad event refuses
        the delivery, and the relay then sends them one at a time), then looked up, locked,
        sealed, linked and inserted together: one look-up of their audit keys, one hold of the
        chain lock, two multi-row INSERTs and one tip update, whatever their number (ADR 0019).
        """
        policy.require_record_data_access(self.principal)
        issues = Issues()
        for record in records:
            rules.check_text(issues, "eventId", record.event_id, maximum=64)
            rules.check_text(issues, "subgraph", record.subgraph, maximum=MAX_PROVIDER)
            rules.check_text(issues, "principalSub", record.principal_sub, maximum=200)
            if record.principal_user_id is not None:
                rules.check_text(issues, "principalUserId", record.principal_user_id, maximum=64)
        issues.raise_if_any()
        wanted: dict[str, tuple[DataAccessEvent, AccessedEntity]] = {}
        keys_of: builtins.list[builtins.list[str]] = []
        for record in records:
            keys: builtins.list[str] = []
            for item in record.accessed:
                key = audit_key(record.event_id, item.entity, item.id)
                wanted.setdefault(key, (record, item))
                if key not in keys:
                    keys.append(key)
            keys_of.append(keys)
        if not wanted:
            return [[] for _ in records]
        found = await self.repository.find_by_audit_keys(list(wanted))
        if len(found) < len(wanted):
            tip = await self.repository.lock_chain()
            # Another replica may have recorded the same events while this one waited.
            found = await self.repository.find_by_audit_keys(list(wanted))
            # Built as plain rows and inserted in two statements (not one ORM flush of two
            # objects per log): a PII read of a list appends one log per entity it decrypted.
            logs: builtins.list[ComplianceLogRow] = []
            revisions: builtins.list[ComplianceLogRevisionRow] = []
            for key, (record, item) in wanted.items():
                if key in found:
                    continue
                log = self._audit_log_row(key, item)
                content = _Content(
                    outcome=ComplianceOutcome.CLEAR,
                    provider=record.subgraph.strip(),
                    performed_by=record.principal_sub.strip()[:MAX_PERFORMED_BY],
                    log_details=_audit_details(record, item),
                    response_id=record.event_id.strip(),
                )
                revision = self._link(tip, log, 1, content)
                tip = ChainTip(revision.chain_index, revision.hash)
                logs.append(log)
                revisions.append(revision)
                found[key] = CurrentLog(log, revision)
            if logs:
                await self.repository.insert_appended(logs, revisions)
                await self.repository.advance_chain(tip)  # once, for the last link appended
        return [[found[key] for key in keys] for keys in keys_of]

    def _audit_log_row(self, key: str, item: AccessedEntity) -> ComplianceLogRow:
        subject = AUDIT_SUBJECTS.get(item.entity)
        subject_id = item.id if subject and is_id(subject[1], item.id) else None
        now = utcnow()
        return ComplianceLogRow(
            id=new_id(LOG_ID_PREFIX),
            created_at=now,
            updated_at=now,
            user_id=subject_id if subject and subject[0] == "user_id" else None,
            account_id=subject_id if subject and subject[0] == "account_id" else None,
            transaction_id=subject_id if subject and subject[0] == "transaction_id" else None,
            event_type=ComplianceEventType.DATA_ACCESS.value,
            audit_key=key,
            version=1,
        )

    async def amend(self, amendment: ComplianceLogAmendment) -> CurrentLog:
        policy.require_write(self.principal)
        unknown = set(amendment.changes) - set(AMENDABLE_FIELDS)
        if unknown:
            raise ValueError(f"not amendable: {sorted(unknown)}")
        self.encryption.remember_plaintext(*amendment.changes.values())
        issues = Issues()
        performed_by = rules.check_text(
            issues, "performedBy", amendment.performed_by, maximum=MAX_PERFORMED_BY
        )
        values = self._validated_changes(issues, amendment.changes)
        issues.raise_if_any()
        assert performed_by is not None

        # Lock before reading, so the version compared is the one the new revision follows.
        tip = await self.repository.lock_chain()
        current = await self.repository.get_current(amendment.log_id)
        if current is None:
            raise NotFound(ENTITY, amendment.log_id)
        require_version(
            "The compliance log", current.log.version, amendment.version, verb="amended"
        )
        before = current.revision
        outcome = values.get("outcome", ComplianceOutcome(before.outcome))
        event_type = ComplianceEventType(current.log.event_type)
        if rules.check_kyc_outcome(issues, event_type, outcome) is None:
            issues.raise_if_any()
        content = _Content(
            outcome=outcome,
            provider=values.get("provider", before.provider),
            performed_by=performed_by,
            log_details=(
                values["log_details"]
                if "log_details" in values
                else self._open(before, "log_details")
            ),
            response_id=(
                values["response_id"]
                if "response_id" in values
                else str(self._open(before, "response_id"))
            ),
        )
        log = current.log
        number = log.version + 1
        revision = await self._append(tip, log, number, content)
        log.updated_at = revision.created_at
        await self.repository.flush()  # bumps log.version (checked against the old value)
        if log.version != number:  # pragma: no cover - version_id_col keeps them in step
            raise RuntimeError("log version and revision number diverged")
        return CurrentLog(log, revision)

    # -- helpers ----------------------------------------------------------------------------------

    async def _replay(self, key: str, canonical: str) -> CurrentLog | None:
        """Return the log an earlier request with ``key`` created, if its request was the same.

        The log is returned as it is now (its latest revision), as a transaction replay is.
        """
        existing = await self.repository.find_by_idempotency_key(key)
        if existing is None:
            return None
        stored = existing.log.request_fingerprint or ""
        if not matches_fingerprint(self.encryption, canonical, stored):
            raise Conflict(
                "This idempotency key was already used for a different request.",
                reason="IDEMPOTENCY_KEY_REUSED",
                field="idempotencyKey",
            )
        return existing

    async def _append(
        self, tip: ChainTip, log: ComplianceLogRow, number: int, content: _Content
    ) -> ComplianceLogRevisionRow:
        """Seal, link and add revision ``number`` of ``log``; advance the locked tip."""
        revision = self._link(tip, log, number, content)
        self.repository.add(revision)
        await self.repository.advance_chain(ChainTip(revision.chain_index, revision.hash))
        return revision

    def _link(
        self, tip: ChainTip, log: ComplianceLogRow, number: int, content: _Content
    ) -> ComplianceLogRevisionRow:
        """Return revision ``number`` of ``log``, sealed and linked after ``tip`` (not added)."""
        revision = ComplianceLogRevisionRow(
            id=new_id(REVISION_ID_PREFIX),
            log_id=log.id,
            revision=number,
            chain_index=tip.length + 1,
            user_id=log.user_id,
            account_id=log.account_id,
            transaction_id=log.transaction_id,
            event_type=log.event_type,
            outcome=content.outcome.value,
            provider=content.provider,
            performed_by=content.performed_by,
            created_at=utcnow(),
            previous_hash=tip.head_hash,
        )
        seal_field(self.encryption, revision, "log_details", content.log_details)
        seal_field(self.encryption, revision, "response_id", content.response_id)
        revision.content_digest = self.encryption.blind_index_reference(
            content_digest_input(content.log_details, content.response_id)
        )
        revision.hash = link_hash(revision)
        return revision

    def _open(self, revision: ComplianceLogRevisionRow, column: str) -> Any:
        return self.encryption.open(
            getattr(revision, column),
            table=revision.__tablename__,
            column=column,
            row_id=revision.id,
            entity=ENTITY,
        )

    def _validated_changes(self, issues: Issues, changes: Mapping[str, Any]) -> dict[str, Any]:
        if not changes:
            issues.add(
                "outcome",
                "an amendment must change at least one of outcome, provider, logDetails, "
                "responseId",
            )
            return {}
        values: dict[str, Any] = {}
        for name, value in changes.items():
            graphql_name = AMENDABLE_FIELDS[name]
            if value is None and name not in NULLABLE_FIELDS:
                issues.add(graphql_name, "may not be null; omit it to leave it unchanged")
                continue
            before = len(issues)
            match name:
                case "outcome":
                    checked: Any = value
                case "provider":
                    checked = rules.check_optional_text(
                        issues, "provider", value, maximum=MAX_PROVIDER
                    )
                case "log_details":
                    checked = rules.check_details(issues, value)
                case "response_id":
                    checked = rules.check_text(issues, "responseId", value, maximum=MAX_RESPONSE_ID)
            if len(issues) == before:
                values[name] = checked
        return values

    async def _require_subjects(self, subjects: Mapping[str, str]) -> None:
        """Ask each subject's owner that it exists and that the subjects belong together.

        Any status will do (see the ADR). An account must be the named user's, a transaction
        the named account's and user's: a log that ties unrelated subjects would surface under
        the wrong user.
        """
        found: dict[str, dict[str, Any]] = {}
        for graphql_field, subject_id in subjects.items():
            owner_name, typename = OWNERS[graphql_field]
            owner = self.owners.get(owner_name)
            if owner is None:
                raise RuntimeError(f"no {owner_name} owner client configured")
            found[graphql_field] = await owner.require(
                typename, subject_id, field=graphql_field, fields=LINK_FIELDS[graphql_field]
            )
        issues = Issues()
        user_id, account_id = subjects.get("userId"), subjects.get("accountId")
        account, transaction = found.get("accountId"), found.get("transactionId")
        if account is not None and user_id is not None and account.get("userId") != user_id:
            issues.add("accountId", "belongs to another user than userId")
        if transaction is not None:
            if account_id is not None and transaction.get("accountId") != account_id:
                issues.add("transactionId", "belongs to another account than accountId")
            if user_id is not None and transaction.get("userId") != user_id:
                issues.add("transactionId", "belongs to another user than userId")
        issues.raise_if_any()


def _audit_details(record: DataAccessEvent, item: AccessedEntity) -> dict[str, Any]:
    return {
        "source": "access-audit",
        "subgraph": record.subgraph,
        "entity": item.entity,
        "entityId": item.id,
        "fields": list(item.fields),
        "occurredAt": record.occurred_at.isoformat(),
        "requestId": record.request_id,
        "principalSub": record.principal_sub,
        "principalRoles": list(record.principal_roles),
        # A client reading its own data (issue 13.10): no staff scope was needed.
        "selfAccess": record.self_access,
        "principalUserId": record.principal_user_id,
    }
