"""``python -m subgraphs.transactions [serve|migrate|print-sdl|write-sdl|revision]``."""

from __future__ import annotations

import sys

from fastapi import FastAPI

from subgraphs.kit import SubgraphSettings
from subgraphs.kit.cli import run_cli

from .app import MIGRATIONS_DIR, create_app
from .schema import schema
from .settings import TransactionsSettings


def _create_app(settings: SubgraphSettings) -> FastAPI:
    if not isinstance(settings, TransactionsSettings):  # pragma: no cover - run_cli passes ours
        raise TypeError("the transactions app needs TransactionsSettings")
    return create_app(settings)


if __name__ == "__main__":
    sys.exit(
        run_cli(
            settings_factory=TransactionsSettings,
            app_factory=_create_app,
            schema=schema,
            migrations_dir=MIGRATIONS_DIR,
        )
    )
