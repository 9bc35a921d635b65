"""The PII access audit: every operation that decrypts sensitive fields leaves a DATA_ACCESS event.

What is recorded: who (the principal's ``sub`` and roles; for a client reading its own data, its
user id and ``selfAccess``), which entities (type and id) and which
fields were decrypted, when, and the request id; never a value. The source is the operation's
encryption session (``accessed``), so only real decryptions count: a read of non-sensitive fields
leaves nothing, and a sensitive field refused for lack of scope is never decrypted.

Durable, through an outbox:

1. :func:`record_access` (called by the request's unit of work) hands the event to the app's
   :class:`AuditSink`. The default, :class:`OutboxSink`, inserts a row into the subgraph's own
   ``audit_outbox`` table in the request's own transaction; if the operation failed and its
   transaction rolls back, the event is written in a transaction of its own, because the
   response may still carry decrypted fields;
2. :class:`AuditRelay`, a background task of the app, sends pending rows to the compliance
   subgraph (``recordDataAccess``, with a ``service`` token it signs), marks each sent when
   compliance acknowledges it, and otherwise retries with exponential backoff. Compliance dedupes
   on the outbox row id, so a row sent twice (a lost acknowledgement, two replicas) is recorded
   once. A restart loses nothing: pending rows stay pending until acknowledged.

The compliance subgraph uses a sink of its own that appends its events locally.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from crypto import (
    INTERNAL_TOKEN_HEADER,
    EncryptionServices,
    FieldAccess,
    Principal,
    mint_internal_token,
)

from .authorization import is_self_access
from .database import Database, UTCDateTime, make_metadata, utcnow
from .ids import new_id

__all__ = [
    "OUTBOX_TABLE",
    "AccessedEntity",
    "AuditRelay",
    "AuditSink",
    "DataAccessEvent",
    "LogOnlySink",
    "OutboxSink",
    "audit_outbox_table",
    "data_access_event",
    "outbox_exists",
]

log = logging.getLogger(__name__)

OUTBOX_TABLE = "audit_outbox"
RECORD_DATA_ACCESS = (
    "mutation RecordDataAccess($input: RecordDataAccessInput!) "
    "{ recordDataAccess(input: $input) { id } }"
)
MAX_BACKOFF = dt.timedelta(minutes=5)
# After a request wakes the relay, it waits this long so that the rows of requests arriving
# meanwhile go in the same delivery (under load: tens of events per request to compliance).
GATHER_SECONDS = 0.05


# Every event of a delivery in one field: compliance appends them under one hold of its chain
# lock, with one look-up and one multi-row insert (aliased recordDataAccess fields would run one
# after the other, each paying its own look-ups, lock and inserts).
RECORD_DATA_ACCESS_EVENTS = (
    "mutation RecordDataAccessEvents($inputs: [RecordDataAccessInput!]!) "
    "{ recordDataAccessEvents(inputs: $inputs) { id } }"
)


def audit_outbox_table(metadata: MetaData) -> Table:
    """Declare the ``audit_outbox`` table in a subgraph's metadata (its migration creates it)."""
    return Table(
        OUTBOX_TABLE,
        metadata,
        Column("id", String(48), primary_key=True),
        Column("created_at", UTCDateTime(), nullable=False),
        # JSON of DataAccessEvent: ids, field names, principal; never a sensitive value.
        Column("payload", Text(), nullable=False),
        Column("attempts", Integer(), nullable=False),
        Column("next_attempt_at", UTCDateTime(), nullable=False),
        Column("sent_at", UTCDateTime(), nullable=True, index=True),
    )


# The kit's own handle on the table, for its queries (same name and columns in every subgraph).
_OUTBOX = audit_outbox_table(make_metadata())


@dataclass(frozen=True, slots=True)
class AccessedEntity:
    """One row whose sensitive fields were decrypted."""

    entity: str
    id: str
    fields: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DataAccessEvent:
    """One operation's decryptions: who, what, when, which request."""

    event_id: str
    subgraph: str
    occurred_at: dt.datetime
    request_id: str | None
    principal_sub: str
    principal_roles: tuple[str, ...]
    accessed: tuple[AccessedEntity, ...]
    # A client reading its own data (kit authorization: is_self_access), and which user it is.
    self_access: bool = False
    principal_user_id: str | None = None

    def to_json(self) -> str:
        return json.dumps(self.as_input(), separators=(",", ":"))

    def as_input(self) -> dict[str, Any]:
        """Return the event as ``RecordDataAccessInput`` (GraphQL names)."""
        fields: dict[str, Any] = {
            "eventId": self.event_id,
            "subgraph": self.subgraph,
            "occurredAt": self.occurred_at.isoformat(),
            "requestId": self.request_id,
            "principalSub": self.principal_sub,
            "principalRoles": list(self.principal_roles),
            "accessed": [
                {"entity": item.entity, "id": item.id, "fields": list(item.fields)}
                for item in self.accessed
            ],
        }
        # Only when set: a compliance subgraph that predates them still takes every other event.
        if self.self_access:
            fields["selfAccess"] = True
        if self.principal_user_id is not None:
            fields["principalUserId"] = self.principal_user_id
        return fields

    @classmethod
    def from_json(cls, text: str) -> DataAccessEvent:
        data = json.loads(text)
        return cls(
            event_id=data["eventId"],
            subgraph=data["subgraph"],
            occurred_at=dt.datetime.fromisoformat(data["occurredAt"]),
            request_id=data["requestId"],
            principal_sub=data["principalSub"],
            principal_roles=tuple(data["principalRoles"]),
            accessed=tuple(
                AccessedEntity(item["entity"], item["id"], tuple(item["fields"]))
                for item in data["accessed"]
            ),
            # Absent from rows written before self-access was recorded.
            self_access=bool(data.get("selfAccess", False)),
            principal_user_id=data.get("principalUserId"),
        )


def data_access_event(
    subgraph: str, principal: Principal | None, accessed: Sequence[FieldAccess]
) -> DataAccessEvent | None:
    """Return the event for an operation's decryptions, or ``None`` if it decrypted nothing."""
    if not accessed:
        return None
    fields: dict[tuple[str, str], list[str]] = {}
    for access in accessed:
        names = fields.setdefault((access.entity, access.row_id), [])
        if access.field not in names:
            names.append(access.field)
    return DataAccessEvent(
        event_id=new_id("aud"),
        subgraph=subgraph,
        occurred_at=utcnow(),
        request_id=principal.request_id if principal else None,
        # A decryption without a principal happens only outside requests (CLI tools); say so.
        principal_sub=principal.sub if principal else "unauthenticated",
        principal_roles=tuple(sorted(principal.roles)) if principal else (),
        accessed=tuple(
            AccessedEntity(entity, row_id, tuple(names))
            for (entity, row_id), names in fields.items()
        ),
        self_access=principal is not None and is_self_access(principal),
        principal_user_id=principal.user_id if principal else None,
    )


class AuditSink(Protocol):
    """Where a subgraph's DATA_ACCESS events go, inside a database transaction it is given."""

    relays: bool  # whether an AuditRelay must forward what this sink writes

    async def record(
        self, session: AsyncSession, event: DataAccessEvent, encryption: EncryptionServices
    ) -> None:
        """Write ``event`` in ``session``'s transaction (``encryption``: to seal, if needed)."""


class OutboxSink:
    """The default sink: one ``audit_outbox`` row per event, relayed to compliance later."""

    relays = True

    async def record(
        self, session: AsyncSession, event: DataAccessEvent, encryption: EncryptionServices
    ) -> None:
        await session.execute(
            insert(_OUTBOX).values(
                id=event.event_id,
                created_at=event.occurred_at,
                payload=event.to_json(),
                attempts=0,
                next_attempt_at=event.occurred_at,
                sent_at=None,
            )
        )


class LogOnlySink:
    """The last resort of a subgraph without an ``audit_outbox`` table: log each event.

    Not durable. Used only when the app was given no sink and its database has no outbox (a
    subgraph whose migrations predate the audit); every event is logged at ERROR so it shows.
    """

    relays = False

    async def record(
        self, session: AsyncSession, event: DataAccessEvent, encryption: EncryptionServices
    ) -> None:
        log.error("no audit outbox in %s: DATA_ACCESS event %s", event.subgraph, event.to_json())


async def outbox_exists(database: Database) -> bool:
    """Whether the subgraph's database has the ``audit_outbox`` table (its migration ran)."""
    async with database.engine.connect() as connection:
        return bool(await connection.run_sync(lambda sync: inspect(sync).has_table(OUTBOX_TABLE)))


class AuditRelay:
    """Sends pending outbox rows to the compliance subgraph until each is acknowledged."""

    def __init__(
        self,
        *,
        subgraph: str,
        database: Database,
        http: httpx.AsyncClient,
        url: str,
        signing_key: Ed25519PrivateKey | None,
        interval: dt.timedelta,
        batch_size: int = 200,
        local_delivery: AuditSink | None = None,
        encryption: EncryptionServices | None = None,
    ) -> None:
        self.subgraph = subgraph
        self._database = database
        self._http = http
        self._url = url
        self._signing_key = signing_key
        self._interval = interval
        self._batch_size = batch_size
        self._wake = asyncio.Event()
        self._stopping = False
        # Compliance delivers its own events in-process (no HTTP to itself).
        self._local_delivery = local_delivery
        self._encryption = encryption

    def __repr__(self) -> str:
        return f"AuditRelay({self.subgraph!r}, {self._url!r})"

    def wake(self) -> None:
        """Ask the running relay to look for new rows now (a request just wrote one)."""
        self._wake.set()

    def stop(self) -> None:
        """Ask the running relay to return after its current round.

        Shutdown asks rather than cancels: a task cancelled in the middle of a database call can
        leave the asyncpg connection waiting on the server, and the pool's disposal behind it.
        """
        self._stopping = True
        self._wake.set()

    async def pending_count(self) -> int:
        async with self._database.session() as session:
            count = await session.scalar(
                select(func.count()).select_from(_OUTBOX).where(_OUTBOX.c.sent_at.is_(None))
            )
        return int(count or 0)

    async def relay_once(self, *, now: dt.datetime | None = None) -> int:
        """Send every due pending row once; return how many compliance acknowledged.

        The due rows go in one delivery (one HTTP request, or one local transaction), marked
        sent with one UPDATE. If that delivery is refused, the rows are sent one at a time, so
        that one row compliance refuses cannot hold back the others.
        """
        current = now or utcnow()
        async with self._database.session() as session:
            rows = (
                await session.execute(
                    select(_OUTBOX.c.id, _OUTBOX.c.payload, _OUTBOX.c.attempts)
                    .where(_OUTBOX.c.sent_at.is_(None), _OUTBOX.c.next_attempt_at <= current)
                    .order_by(_OUTBOX.c.id)
                    .limit(self._batch_size)
                )
            ).all()
        if not rows:
            return 0
        if len(rows) > 1 and await self._deliver(
            [(row_id, payload) for row_id, payload, _ in rows]
        ):
            await self._mark_sent([row_id for row_id, _, _ in rows])
            return len(rows)
        sent: list[str] = []
        for row_id, payload, attempts in rows:
            if await self._deliver([(row_id, payload)]):
                sent.append(row_id)
            else:
                delay = min(self._interval * 2 ** (attempts + 1), MAX_BACKOFF)
                await self._mark(row_id, attempts=attempts + 1, next_attempt_at=current + delay)
                break  # compliance is unwell: leave the rest for the next round
        if sent:
            await self._mark_sent(sent)
        return len(sent)

    async def _mark_sent(self, row_ids: Sequence[str]) -> None:
        async with self._database.session() as session:
            await session.execute(
                update(_OUTBOX).where(_OUTBOX.c.id.in_(row_ids)).values(sent_at=utcnow())
            )
            await session.commit()

    async def _mark(self, row_id: str, **values: Any) -> None:
        # The relay's own small transaction (no request here): one row's outcome at a time.
        async with self._database.session() as session:
            await session.execute(update(_OUTBOX).where(_OUTBOX.c.id == row_id).values(**values))
            await session.commit()

    async def _deliver(self, rows: Sequence[tuple[str, str]]) -> bool:
        """Hand these rows to compliance in one go; whether all of them were acknowledged."""
        if self._local_delivery is not None:
            return await self._deliver_locally([payload for _, payload in rows])
        if self._signing_key is None:
            log.error("audit relay has no signing key: set <PREFIX>_AUDIT_SIGNING_KEY")
            return False
        token = mint_internal_token(
            self._signing_key,
            sub=f"service:{self.subgraph}",
            roles=["service"],
            scope="",
            request_id=rows[0][0],
        )
        if len(rows) == 1:
            query, field = RECORD_DATA_ACCESS, "recordDataAccess"
            variables: dict[str, Any] = {"input": json.loads(rows[0][1])}
        else:
            query, field = RECORD_DATA_ACCESS_EVENTS, "recordDataAccessEvents"
            variables = {"inputs": [json.loads(payload) for _, payload in rows]}
        try:
            response = await self._http.post(
                self._url,
                json={"query": query, "variables": variables},
                headers={INTERNAL_TOKEN_HEADER: token, "accept": "application/json"},
            )
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("audit relay: compliance unreachable (%s)", type(exc).__name__)
            return False
        data = body.get("data") if isinstance(body, dict) else None
        answer = data.get(field) if isinstance(data, dict) else None
        answers = answer if isinstance(answer, list) else [answer]  # one per event, in order
        acknowledged = (
            response.status_code == 200
            and not body.get("errors")
            and len(answers) == len(rows)
            and all(isinstance(item, dict) for item in answers)
        )
        if not acknowledged:
            log.warning("audit relay: compliance refused events (HTTP %s)", response.status_code)
        return acknowledged

    async def _deliver_locally(self, payloads: Sequence[str]) -> bool:
        assert self._local_delivery is not None and self._encryption is not None
        try:
            async with self._database.session() as session:
                for payload in payloads:
                    await self._local_delivery.record(
                        session, DataAccessEvent.from_json(payload), self._encryption
                    )
                await session.commit()
        except Exception as exc:  # kept pending and retried, like an unreachable compliance
            log.warning("audit relay: local delivery failed (%s)", type(exc).__name__)
            return False
        return True

    async def run(self) -> None:
        """Relay until stopped: after each request that wrote a row, and every interval."""
        while not self._stopping:
            try:
                await self.relay_once()
            except Exception as exc:  # a database hiccup must not kill the relay for good
                log.warning("audit relay round failed: %s", type(exc).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._interval.total_seconds())
            if self._stopping:
                return
            await asyncio.sleep(GATHER_SECONDS)
            self._wake.clear()
