"""The compliance subgraph's own access audit: its DATA_ACCESS events are appended locally.

Every subgraph writes its events to its outbox in the request's transaction; the others relay
them here over HTTP. Compliance would be calling itself, so its relay hands each outbox row to
:class:`LocalAuditSink`, which appends the DATA_ACCESS logs in-process, through the same
``record_data_access`` as relayed events (idempotent on the event), as the compliance service
itself. Appending later rather than in the read's own transaction keeps reads off the chain lock.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from crypto import EncryptionServices, Principal
from subgraphs.kit import SERVICE, DataAccessEvent

from .repository import ComplianceRepository
from .service import ComplianceService

__all__ = ["LocalAuditSink"]

SELF = Principal(sub="service:compliance", roles=frozenset({SERVICE}), scopes=frozenset())


class LocalAuditSink:
    """Append compliance's own DATA_ACCESS events as compliance logs (no relay needed)."""

    relays = True  # used as the relay's in-process delivery

    async def record(
        self, session: AsyncSession, event: DataAccessEvent, encryption: EncryptionServices
    ) -> None:
        # A session of its own: sealing the new logs must not count as the caller's access.
        service = ComplianceService(
            ComplianceRepository(session), encryption.session(), principal=SELF
        )
        await service.record_data_access(event)
