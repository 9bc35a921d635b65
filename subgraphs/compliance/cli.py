"""``python -m subgraphs.compliance chain verify``: verify the hash chain from a shell.

Exit status: 0 when the chain is intact, 1 when a link is broken (the first one is printed),
2 when the check could not run (no database, bad arguments). By default sealed contents are
opened with the subgraph's keys (``COMPLIANCE_ENCRYPTION_*`` / ``COMPLIANCE_BLIND_INDEX_*`` or
the development key files); ``--structure-only`` checks the links without keys.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence

from sqlalchemy.exc import SQLAlchemyError

from subgraphs.kit import load_encryption_services
from subgraphs.kit.keys import development_key_files, key_variable_names

from .settings import ComplianceSettings
from .verification import ChainReport, verify_database

__all__ = ["run_chain_command"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m subgraphs.compliance chain")
    commands = parser.add_subparsers(dest="command", required=True)
    verify = commands.add_parser("verify", help="verify the whole chain; report the first break")
    verify.add_argument(
        "--structure-only",
        action="store_true",
        help="check hashes and links without opening sealed contents (no keys needed)",
    )
    verify.add_argument(
        "--expect-head",
        metavar="[POSITION:]HASH",
        help="a head hash recorded earlier that must still be in the chain",
    )
    verify.add_argument("--json", action="store_true", help="print the report as JSON")
    return parser


def _print(report: ChainReport, as_json: bool) -> None:
    if as_json:
        print(json.dumps(report.as_dict(), indent=2))
        return
    contents = "with sealed contents" if report.contents_checked else "structure only"
    if report.broken is None:
        print(f"chain intact: {report.checked} revisions ({contents}); head {report.head_hash}")
    else:
        print(f"chain BROKEN at {report.broken.describe()}")
        print(f"verified before the break: {report.checked} revisions ({contents})")


def run_chain_command(
    argv: Sequence[str],
    *,
    settings_factory: Callable[[], ComplianceSettings] = ComplianceSettings,
) -> int:
    """Run ``chain <command> ...``; return the exit status."""
    try:
        options = _parser().parse_args(list(argv))
    except SystemExit as exc:
        return 2 if exc.code else 0
    settings = settings_factory()
    encryption = None
    if not options.structure_only:
        configured = any(os.environ.get(name) for name in key_variable_names(settings.env_name))
        if not configured and not all(
            path.exists() for path in development_key_files(settings.keys_dir, settings.subgraph)
        ):
            # Generating fresh keys here would make every sealed value look tampered.
            print(
                "no compliance keys configured or found; use --structure-only to verify "
                "without them",
                file=sys.stderr,
            )
            return 2
        encryption = load_encryption_services(
            subgraph=settings.subgraph, env_name=settings.env_name, keys_dir=settings.keys_dir
        )
    try:
        report = verify_database(
            settings.resolved_database_url(), encryption=encryption, expect_head=options.expect_head
        )
    except ValueError as exc:
        print(f"cannot verify: {exc}", file=sys.stderr)
        return 2
    except SQLAlchemyError as exc:
        print(
            f"cannot verify: the compliance database could not be read ({type(exc).__name__}); "
            "is it there and migrated (`python -m subgraphs.compliance migrate`)?",
            file=sys.stderr,
        )
        return 2
    _print(report, options.json)
    return 0 if report.ok else 1
