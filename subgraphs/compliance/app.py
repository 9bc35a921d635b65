"""The compliance service app: ``create_app()``, run by ``python -m subgraphs.compliance``."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi import FastAPI

from crypto import EncryptionServices
from subgraphs.kit import create_app as create_subgraph_app

from .audit import LocalAuditSink
from .schema import schema
from .settings import ComplianceSettings

__all__ = ["MIGRATIONS_DIR", "create_app"]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def create_app(
    settings: ComplianceSettings | None = None,
    *,
    encryption_services: EncryptionServices | None = None,
    owner_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """Return the compliance app; nothing is opened until its lifespan starts.

    ``owner_transport`` (tests, embedding) carries the owner checks instead of the network.
    """
    settings = settings or ComplianceSettings()
    return create_subgraph_app(
        settings,
        schema,
        migrations_dir=MIGRATIONS_DIR,
        owner_urls={
            "users": settings.users_url,
            "investments": settings.investments_url,
            "transactions": settings.transactions_url,
        },
        encryption_services=encryption_services,
        owner_transport=owner_transport,
        # Its own DATA_ACCESS events go to its outbox with the request, then the relay appends
        # them here, in-process: never over HTTP to itself, and a read never waits on the chain.
        local_audit_delivery=LocalAuditSink(),
    )
