"""``python -m subgraphs.investments [serve|migrate|print-sdl|write-sdl|revision]``."""

from __future__ import annotations

import sys

from subgraphs.kit.cli import run_cli

from .app import MIGRATIONS_DIR, create_app
from .schema import schema
from .settings import InvestmentsSettings

if __name__ == "__main__":
    sys.exit(
        run_cli(
            settings_factory=InvestmentsSettings,
            app_factory=create_app,
            schema=schema,
            migrations_dir=MIGRATIONS_DIR,
        )
    )
