"""The users service app: ``create_app()``, run by ``python -m subgraphs.users``."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi import FastAPI

from crypto import EncryptionServices
from subgraphs.kit import SubgraphSettings
from subgraphs.kit import create_app as create_subgraph_app

from .schema import schema
from .settings import UsersSettings

__all__ = ["MIGRATIONS_DIR", "create_app"]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def create_app(
    settings: SubgraphSettings | None = None,
    *,
    encryption_services: EncryptionServices | None = None,
    owner_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """Return the users app; nothing is opened until its lifespan starts.

    ``owner_transport`` (tests, embedding) carries its outgoing calls (the audit relay's).
    """
    return create_subgraph_app(
        settings or UsersSettings(),
        schema,
        migrations_dir=MIGRATIONS_DIR,
        encryption_services=encryption_services,
        owner_transport=owner_transport,
    )
