"""What a running subgraph holds for its whole life: :class:`SubgraphState` at ``app.state``."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from fastapi import Request

from crypto import EncryptionServices

from .audit import AuditRelay, AuditSink
from .authentication import InternalTokenKeys
from .database import Database
from .owners import OwnerClient
from .settings import SubgraphSettings

__all__ = ["SubgraphState", "get_state"]


@dataclass
class SubgraphState:
    """What a running subgraph holds for its whole life (built in the app's lifespan)."""

    settings: SubgraphSettings
    database: Database
    encryption_services: EncryptionServices
    http: httpx.AsyncClient
    owners: dict[str, OwnerClient]
    internal_token_keys: InternalTokenKeys
    audit_sink: AuditSink
    audit_relay: AuditRelay | None


def get_state(request: Request) -> SubgraphState:
    """Return the running subgraph's state (FastAPI dependency)."""
    state: SubgraphState = request.app.state.subgraph
    return state
