"""The transactions service app: ``create_app()``, run by ``python -m subgraphs.transactions``."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi import FastAPI

from crypto import EncryptionServices
from subgraphs.kit import create_app as create_subgraph_app

from .schema import schema
from .settings import TransactionsSettings

__all__ = ["MIGRATIONS_DIR", "create_app"]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def create_app(
    settings: TransactionsSettings | None = None,
    *,
    encryption_services: EncryptionServices | None = None,
    owner_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """Return the transactions app; nothing is opened until its lifespan starts.

    Accounts are checked against the investments subgraph at ``settings.investments_url``;
    ``owner_transport`` lets tests serve it in-process.
    """
    settings = settings or TransactionsSettings()
    return create_subgraph_app(
        settings,
        schema,
        migrations_dir=MIGRATIONS_DIR,
        owner_urls={"investments": settings.investments_url},
        encryption_services=encryption_services,
        owner_transport=owner_transport,
    )
