"""``python -m subgraphs.compliance [serve|migrate|print-sdl|write-sdl|revision|chain verify]``."""

from __future__ import annotations

import sys

from fastapi import FastAPI

from subgraphs.kit import SubgraphSettings
from subgraphs.kit.cli import run_cli

from .app import MIGRATIONS_DIR, create_app
from .cli import run_chain_command
from .schema import schema
from .settings import ComplianceSettings


def _app(settings: SubgraphSettings) -> FastAPI:
    assert isinstance(settings, ComplianceSettings)
    return create_app(settings)


def main(argv: list[str]) -> int:
    """Dispatch ``chain ...`` here and every other command to the kit's CLI."""
    if argv[:1] == ["chain"]:
        return run_chain_command(argv[1:])
    return run_cli(
        settings_factory=ComplianceSettings,
        app_factory=_app,
        schema=schema,
        migrations_dir=MIGRATIONS_DIR,
        argv=argv,
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
