"""The investments service app: ``create_app()``, run by ``python -m subgraphs.investments``."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi import FastAPI

from crypto import EncryptionServices
from subgraphs.kit import SubgraphSettings
from subgraphs.kit import create_app as create_subgraph_app

from .schema import schema
from .settings import InvestmentsSettings

__all__ = ["MIGRATIONS_DIR", "create_app"]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def create_app(
    settings: SubgraphSettings | None = None,
    *,
    encryption_services: EncryptionServices | None = None,
    owner_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """Return the investments app; nothing is opened until its lifespan starts.

    ``owner_transport`` carries the calls to the users subgraph (tests pass an in-process one).
    """
    settings = settings or InvestmentsSettings()
    if not isinstance(settings, InvestmentsSettings):
        raise TypeError("the investments app needs InvestmentsSettings (it has the users URL)")
    return create_subgraph_app(
        settings,
        schema,
        migrations_dir=MIGRATIONS_DIR,
        owner_urls={"users": settings.users_url},
        encryption_services=encryption_services,
        owner_transport=owner_transport,
    )
