"""The compliance GraphQL schema: ``ComplianceLog``, its revisions, and contributed fields.

``ComplianceLog`` is owned here; ``User``, ``InvestmentAccount`` and ``Transaction`` get
``complianceLogs`` (and ``User.kycStatus``) from this subgraph.

Resolvers are thin: they convert input, call the service or a DataLoader, and wrap rows in
types. Sealed fields (details, response id) are opened by their own resolvers, only when a
caller selects them. Every list a parent contributes goes through a per-request DataLoader, so
N parents cost one SQL query.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import strawberry
from sqlalchemy.orm import InstrumentedAttribute
from strawberry.scalars import JSON
from strawberry.types import Info

from subgraphs.kit import (
    AccessedEntity,
    Connection,
    DataAccessEvent,
    Page,
    SubgraphContext,
    check_page_size,
    connection_from_page,
    create_schema,
    decode_cursor,
    open_sensitive,
)

from .domain import ComplianceEventType, ComplianceOutcome, KycStatus, kyc_status_of
from .models import ComplianceLogRevisionRow, ComplianceLogRow
from .repository import ComplianceRepository, CurrentLog, LogFilter, ParentPageKey
from .service import ComplianceLogAmendment, ComplianceService, NewComplianceLog

__all__ = ["schema"]

# The domain enums are the GraphQL enums (same names, same members).
for _enum in (ComplianceEventType, ComplianceOutcome, KycStatus):
    strawberry.enum(_enum)

ENTITY = "ComplianceLog"


# -- DataLoader batch functions (one SQL query per batch) ---------------------------------------


async def load_logs(context: SubgraphContext, ids: list[str]) -> list[CurrentLog | None]:
    """Every log a request asks for by id, with its latest revision, in one query."""
    return await ComplianceRepository(context.session).get_many_current(ids)


async def load_revisions(
    context: SubgraphContext, log_ids: list[str]
) -> list[list[ComplianceLogRevisionRow]]:
    """Every revision of every log a request lists revisions of, in one query."""
    grouped = await ComplianceRepository(context.session).revisions_of(log_ids)
    return [grouped[log_id] for log_id in log_ids]


async def load_kyc_statuses(context: SubgraphContext, user_ids: list[str]) -> list[KycStatus]:
    """Every requested user's KYC status, from their latest KYC event, in one query."""
    latest = await ComplianceRepository(context.session).latest_kyc_events(user_ids)
    return [
        kyc_status_of(ComplianceEventType(latest[user_id]) if user_id in latest else None)
        for user_id in user_ids
    ]


PageBatch = Callable[[SubgraphContext, list[ParentPageKey]], Any]


def _pages_by(parent: InstrumentedAttribute[str | None]) -> PageBatch:
    async def load_pages(
        context: SubgraphContext, keys: list[ParentPageKey]
    ) -> list[Page[CurrentLog]]:
        # Parents asked with the same arguments (the usual case: one list field under N
        # parents) share one query.
        repository = ComplianceRepository(context.session)
        groups: dict[tuple[int | None, str | None, str | None], list[str]] = {}
        for key in keys:
            groups.setdefault((key.first, key.after, key.event_type), []).append(key.parent_id)
        pages: dict[ParentPageKey, Page[CurrentLog]] = {}
        for (first, after, event_type), parent_ids in groups.items():
            found = await repository.pages_by_parent(
                parent, parent_ids, first=first, after=after, event_type=event_type
            )
            for parent_id, page in found.items():
                pages[ParentPageKey(parent_id, first, after, event_type)] = page
        return [pages[key] for key in keys]

    return load_pages


load_pages_by_user = _pages_by(ComplianceLogRow.user_id)
load_pages_by_account = _pages_by(ComplianceLogRow.account_id)
load_pages_by_transaction = _pages_by(ComplianceLogRow.transaction_id)


def _service(info: Info[SubgraphContext, Any]) -> ComplianceService:
    context = info.context
    return ComplianceService(
        ComplianceRepository(context.session),
        context.require_encryption(),
        context.owners,
        principal=context.require_principal(),
    )


async def _contributed_logs(
    info: Info[SubgraphContext, Any],
    batch: PageBatch,
    parent_id: str,
    first: int | None,
    after: str | None,
    event_type: ComplianceEventType | None,
) -> Connection[ComplianceLog]:
    _service(info).authorize_read_logs()
    # Bad arguments are refused here, per field, before they reach a shared batch.
    check_page_size(first)
    if after is not None:
        decode_cursor(after)
    key = ParentPageKey(parent_id, first, after, event_type.value if event_type else None)
    page: Page[CurrentLog] = await info.context.loaders.get(batch).load(key)
    return connection_from_page(page, ComplianceLog.from_current)


# -- entities owned elsewhere --------------------------------------------------------------------


@strawberry.federation.type(keys=["id"], description="A user (owned by the users subgraph).")
class User:
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> User:
        return cls(id=id)

    @strawberry.field(description="The user's compliance logs, oldest first.")
    async def compliance_logs(
        self,
        info: Info[SubgraphContext, Any],
        first: int | None = 20,
        after: str | None = None,
        event_type: ComplianceEventType | None = None,
    ) -> Connection[ComplianceLog] | None:
        return await _contributed_logs(
            info, load_pages_by_user, str(self.id), first, after, event_type
        )

    @strawberry.field(
        description="Derived from the user's latest KYC event; NOT_STARTED if there is none."
    )
    async def kyc_status(self, info: Info[SubgraphContext, Any]) -> KycStatus | None:
        _service(info).authorize_kyc_status(str(self.id))
        status: KycStatus = await info.context.loaders.get(load_kyc_statuses).load(str(self.id))
        return status


@strawberry.federation.type(
    keys=["id"], description="An investment account (owned by the investments subgraph)."
)
class InvestmentAccount:
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> InvestmentAccount:
        return cls(id=id)

    @strawberry.field(description="The account's compliance logs, oldest first.")
    async def compliance_logs(
        self,
        info: Info[SubgraphContext, Any],
        first: int | None = 20,
        after: str | None = None,
        event_type: ComplianceEventType | None = None,
    ) -> Connection[ComplianceLog] | None:
        return await _contributed_logs(
            info, load_pages_by_account, str(self.id), first, after, event_type
        )


@strawberry.federation.type(
    keys=["id"], description="A transaction (owned by the transactions subgraph)."
)
class Transaction:
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Transaction:
        return cls(id=id)

    @strawberry.field(description="The transaction's compliance logs, oldest first.")
    async def compliance_logs(
        self,
        info: Info[SubgraphContext, Any],
        first: int | None = 20,
        after: str | None = None,
        event_type: ComplianceEventType | None = None,
    ) -> Connection[ComplianceLog] | None:
        return await _contributed_logs(
            info, load_pages_by_transaction, str(self.id), first, after, event_type
        )


# -- the compliance log --------------------------------------------------------------------------


def _open(info: Info[SubgraphContext, Any], row: ComplianceLogRevisionRow, column: str) -> Any:
    # Needs pii:read: without it the field is null with a FORBIDDEN error, the log still shows.
    return open_sensitive(info, row, column, entity=ENTITY)


@strawberry.type(
    description="One revision of a compliance log, as recorded; revisions are never changed."
)
class ComplianceLogRevision:
    revision: int = strawberry.field(description="1 for the original record, then 2, 3, ...")
    event_type: ComplianceEventType
    outcome: ComplianceOutcome
    provider: str | None
    performed_by: str = strawberry.field(description="Who recorded this revision.")
    created_at: dt.datetime = strawberry.field(description="When this revision was recorded.")
    chain_index: int = strawberry.field(description="Position in the compliance hash chain.")
    hash: str = strawberry.field(description="SHA-256 of this revision and the previous hash.")
    previous_hash: str
    row: strawberry.Private[ComplianceLogRevisionRow]

    @classmethod
    def from_row(cls, row: ComplianceLogRevisionRow) -> ComplianceLogRevision:
        return cls(
            revision=row.revision,
            event_type=ComplianceEventType(row.event_type),
            outcome=ComplianceOutcome(row.outcome),
            provider=row.provider,
            performed_by=row.performed_by,
            created_at=row.created_at,
            chain_index=row.chain_index,
            hash=row.hash,
            previous_hash=row.previous_hash,
            row=row,
        )

    @strawberry.field(description="The log this revision belongs to.")
    def log_id(self) -> strawberry.ID:
        return strawberry.ID(self.row.log_id)

    @strawberry.field(
        description="Details of the event (a JSON object); encrypted at rest; "
        "needs the scope pii:read."
    )
    def log_details(self, info: Info[SubgraphContext, Any]) -> JSON | None:
        value: JSON = _open(info, self.row, "log_details")
        return value

    @strawberry.field(
        description="The provider's response id; encrypted at rest; needs the scope pii:read."
    )
    def response_id(self, info: Info[SubgraphContext, Any]) -> str | None:
        return str(_open(info, self.row, "response_id"))


@strawberry.federation.type(
    keys=["id"],
    description="A compliance event or audit. Never overwritten: an amendment appends a "
    "revision, and the fields here are those of the latest one.",
)
class ComplianceLog:
    id: strawberry.ID
    event_type: ComplianceEventType
    outcome: ComplianceOutcome
    provider: str | None
    performed_by: str = strawberry.field(description="Who recorded the latest revision.")
    created_at: dt.datetime = strawberry.field(description="When the event was first logged.")
    updated_at: dt.datetime = strawberry.field(description="When the latest revision was made.")
    version: int = strawberry.field(
        description="The latest revision's number; send it back to amend."
    )
    hash: str = strawberry.field(description="The latest revision's hash in the chain.")
    current: strawberry.Private[CurrentLog]

    @classmethod
    def from_current(cls, current: CurrentLog) -> ComplianceLog:
        log, revision = current.log, current.revision
        return cls(
            id=strawberry.ID(log.id),
            event_type=ComplianceEventType(log.event_type),
            outcome=ComplianceOutcome(revision.outcome),
            provider=revision.provider,
            performed_by=revision.performed_by,
            created_at=log.created_at,
            updated_at=log.updated_at,
            version=log.version,
            hash=revision.hash,
            current=current,
        )

    @classmethod
    async def resolve_reference(
        cls, info: Info[SubgraphContext, Any], id: strawberry.ID
    ) -> ComplianceLog | None:
        _service(info).authorize_read_logs()
        current = await info.context.loaders.get(load_logs).load(str(id))
        return cls.from_current(current) if current is not None else None

    @strawberry.field(description="The user the event concerns, if any.")
    def user(self) -> User | None:
        user_id = self.current.log.user_id
        return User(id=strawberry.ID(user_id)) if user_id else None

    @strawberry.field(description="The investment account the event concerns, if any.")
    def account(self) -> InvestmentAccount | None:
        account_id = self.current.log.account_id
        return InvestmentAccount(id=strawberry.ID(account_id)) if account_id else None

    @strawberry.field(description="The transaction the event concerns, if any.")
    def transaction(self) -> Transaction | None:
        transaction_id = self.current.log.transaction_id
        return Transaction(id=strawberry.ID(transaction_id)) if transaction_id else None

    @strawberry.field(
        description="Details of the event (a JSON object); encrypted at rest; "
        "needs the scope pii:read."
    )
    def log_details(self, info: Info[SubgraphContext, Any]) -> JSON | None:
        value: JSON = _open(info, self.current.revision, "log_details")
        return value

    @strawberry.field(
        description="The provider's response id; encrypted at rest; needs the scope pii:read."
    )
    def response_id(self, info: Info[SubgraphContext, Any]) -> str | None:
        return str(_open(info, self.current.revision, "response_id"))

    @strawberry.field(description="Every revision, oldest first; the last is the current one.")
    async def revisions(self, info: Info[SubgraphContext, Any]) -> list[ComplianceLogRevision]:
        rows: Sequence[ComplianceLogRevisionRow] = await info.context.loaders.get(
            load_revisions
        ).load(str(self.id))
        return [ComplianceLogRevision.from_row(row) for row in rows]


# -- inputs, queries and mutations ---------------------------------------------------------------


@strawberry.input(description="Equality filters; omitted ones match everything.")
class ComplianceLogFilter:
    user_id: strawberry.ID | None = None
    account_id: strawberry.ID | None = None
    transaction_id: strawberry.ID | None = None
    event_type: ComplianceEventType | None = None


@strawberry.input(description="A compliance event to log; name at least one subject.")
class CreateComplianceLogInput:
    user_id: strawberry.ID | None = None
    account_id: strawberry.ID | None = None
    transaction_id: strawberry.ID | None = None
    event_type: ComplianceEventType
    outcome: ComplianceOutcome
    provider: str | None = None
    log_details: JSON = strawberry.field(description="A JSON object; encrypted at rest.")
    response_id: str = strawberry.field(description="Encrypted at rest.")
    performed_by: str
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Optional client key (1-255 printable ASCII characters, no spaces). A retry "
        "with the same key and the same input returns the log the first request created and "
        "appends nothing; the same key with another input is a CONFLICT "
        "(IDEMPOTENCY_KEY_REUSED).",
    )


@strawberry.input(
    description="A new revision of a log: the version that was read, who amends it, and only "
    "the fields to change."
)
class AmendComplianceLogInput:
    id: strawberry.ID
    version: int
    performed_by: str
    outcome: ComplianceOutcome | None = strawberry.UNSET
    provider: str | None = strawberry.UNSET
    log_details: JSON | None = strawberry.UNSET
    response_id: str | None = strawberry.UNSET


@strawberry.input(description="One entity whose sensitive fields an operation decrypted.")
class AccessedEntityInput:
    entity: str = strawberry.field(description="The GraphQL type, e.g. User.")
    id: strawberry.ID
    fields: list[str] = strawberry.field(description="Names of the decrypted columns.")


@strawberry.input(
    description="A DATA_ACCESS event of the PII access audit (sent by a subgraph's audit relay)."
)
class RecordDataAccessInput:
    event_id: strawberry.ID = strawberry.field(
        description="Idempotency key: re-sending is a no-op."
    )
    subgraph: str
    occurred_at: dt.datetime
    request_id: str | None = None
    principal_sub: str
    principal_roles: list[str]
    accessed: list[AccessedEntityInput]
    self_access: bool = strawberry.field(
        default=False, description="A client read its own data (no staff scope was needed)."
    )
    principal_user_id: str | None = strawberry.field(
        default=None, description="The user the principal is, when it is a client."
    )


@strawberry.type(description="The DATA_ACCESS logs recorded for one audit event.")
class RecordedDataAccess:
    id: strawberry.ID = strawberry.field(description="The audit event's id.")
    logs: list[ComplianceLog] = strawberry.field(description="One per accessed entity.")


def _data_access_event(value: RecordDataAccessInput) -> DataAccessEvent:
    return DataAccessEvent(
        event_id=str(value.event_id),
        subgraph=value.subgraph,
        occurred_at=value.occurred_at,
        request_id=value.request_id,
        principal_sub=value.principal_sub,
        principal_roles=tuple(value.principal_roles),
        accessed=tuple(
            AccessedEntity(item.entity, str(item.id), tuple(item.fields)) for item in value.accessed
        ),
        self_access=value.self_access,
        principal_user_id=value.principal_user_id,
    )


def _optional_id(value: strawberry.ID | None) -> str | None:
    return str(value).strip() if value is not None else None


@strawberry.type
class Query:
    @strawberry.field(description="A compliance log by id (its latest revision); null if none.")
    async def compliance_log(
        self, info: Info[SubgraphContext, Any], id: strawberry.ID
    ) -> ComplianceLog | None:
        return await ComplianceLog.resolve_reference(info, id)

    @strawberry.field(description="One revision of a compliance log; null if there is none.")
    async def compliance_log_revision(
        self, info: Info[SubgraphContext, Any], id: strawberry.ID, revision: int
    ) -> ComplianceLogRevision | None:
        _service(info).authorize_read_logs()
        row = await ComplianceRepository(info.context.session).revision(str(id), revision)
        return ComplianceLogRevision.from_row(row) if row is not None else None

    @strawberry.field(
        description="Compliance logs in the order they were logged, a page at a time."
    )
    async def compliance_logs(
        self,
        info: Info[SubgraphContext, Any],
        first: int | None = 20,
        after: str | None = None,
        filter: ComplianceLogFilter | None = None,
    ) -> Connection[ComplianceLog]:
        filters = LogFilter(
            user_id=_optional_id(filter.user_id) if filter else None,
            account_id=_optional_id(filter.account_id) if filter else None,
            transaction_id=_optional_id(filter.transaction_id) if filter else None,
            event_type=filter.event_type.value if filter and filter.event_type else None,
        )
        page = await _service(info).list(filters, first=first, after=after)
        return connection_from_page(page, ComplianceLog.from_current)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Log a compliance event; its subjects must exist in their subgraphs. "
        "Idempotent when input.idempotencyKey is given."
    )
    async def create_compliance_log(
        self, info: Info[SubgraphContext, Any], input: CreateComplianceLogInput
    ) -> ComplianceLog:
        current = await _service(info).create(
            NewComplianceLog(
                user_id=_optional_id(input.user_id),
                account_id=_optional_id(input.account_id),
                transaction_id=_optional_id(input.transaction_id),
                event_type=input.event_type,
                outcome=input.outcome,
                provider=input.provider,
                log_details=input.log_details,
                response_id=input.response_id,
                performed_by=input.performed_by,
                idempotency_key=input.idempotency_key,
            )
        )
        return ComplianceLog.from_current(current)

    @strawberry.mutation(
        description="Append a revision that changes the named fields; earlier revisions stay "
        "readable. A stale version is a CONFLICT."
    )
    async def amend_compliance_log(
        self, info: Info[SubgraphContext, Any], input: AmendComplianceLogInput
    ) -> ComplianceLog:
        changes: dict[str, Any] = {}
        for name in ("outcome", "provider", "log_details", "response_id"):
            value = getattr(input, name)
            if value is not strawberry.UNSET:
                changes[name] = value
        current = await _service(info).amend(
            ComplianceLogAmendment(
                log_id=str(input.id),
                version=input.version,
                performed_by=input.performed_by,
                changes=changes,
            )
        )
        return ComplianceLog.from_current(current)

    @strawberry.mutation(
        description="Record several DATA_ACCESS events in one append (what an audit relay "
        "delivers at once): as recordDataAccess for each, in order; one refused event refuses "
        "them all. Service (or admin) callers only."
    )
    async def record_data_access_events(
        self, info: Info[SubgraphContext, Any], inputs: list[RecordDataAccessInput]
    ) -> list[RecordedDataAccess]:
        recorded = await _service(info).record_data_access_events(
            [_data_access_event(value) for value in inputs]
        )
        return [
            RecordedDataAccess(
                id=value.event_id, logs=[ComplianceLog.from_current(log) for log in logs]
            )
            for value, logs in zip(inputs, recorded, strict=True)
        ]

    @strawberry.mutation(
        description="Record a DATA_ACCESS event of the PII access audit, one log per accessed "
        "entity; idempotent on eventId. Service (or admin) callers only."
    )
    async def record_data_access(
        self, info: Info[SubgraphContext, Any], input: RecordDataAccessInput
    ) -> RecordedDataAccess:
        logs = await _service(info).record_data_access(_data_access_event(input))
        return RecordedDataAccess(
            id=input.event_id, logs=[ComplianceLog.from_current(log) for log in logs]
        )


schema = create_schema(
    query=Query,
    mutation=Mutation,
    types=[ComplianceLog, User, InvestmentAccount, Transaction],
)
