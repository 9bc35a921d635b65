"""``wealthtech keys generate|rotate|status|re-encrypt``: each subgraph's encryption keys.

The work is done by :mod:`subgraphs.kit.rotation`; this module finds, for each subgraph, where its
keys come from (the same variables and development files the service reads, see
:mod:`subgraphs.kit.keys`) and its database, and prints the results.

A rotation, end to end (docs/operations.md): ``keys rotate`` adds a key to the keyring file,
restart the services so that they write with it and can read it, ``keys re-encrypt`` moves the
stored values, ``keys status`` shows nothing left under the old key, then the old key may go.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from crypto import CryptoError, EncryptionServices
from subgraphs.kit import SubgraphSettings, load_encryption_services
from subgraphs.kit.keys import development_key_files, key_variable_names
from subgraphs.kit.rotation import (
    ColumnStatus,
    ReencryptProgress,
    ReencryptReport,
    generate_keyring_files,
    key_status,
    reencrypt,
    rotate_keyring_file,
)

from .errors import CommandError
from .progress import ProgressBar
from .subgraph_modules import SUBGRAPH_NAMES, check_names, load_metadata, load_settings

__all__ = ["KeySource", "data_key_source", "register", "run"]


@dataclass(frozen=True, slots=True)
class KeySource:
    """Where a subgraph's data keyring comes from.

    ``kind`` is ``"file"`` (``<PREFIX>_ENCRYPTION_KEYRING_FILE``), ``"development"`` (the
    generated file in the data folder, used when no key variable is set) or ``"variable"`` (a key
    held in an environment variable, which this tool cannot change).
    """

    kind: Literal["file", "development", "variable"]
    where: str
    path: Path | None = None
    blind_index_path: Path | None = None


def data_key_source(settings: SubgraphSettings, environ: Mapping[str, str]) -> KeySource:
    """Return where ``settings``' subgraph reads its data keys, in the order crypto reads them."""
    env = settings.env_name
    configured = [name for name in key_variable_names(env) if environ.get(name)]
    if not configured:
        data, blind = development_key_files(settings.keys_dir, settings.subgraph)
        return KeySource("development", str(data), data, blind)
    if environ.get(f"{env}_ENCRYPTION_KEYRING"):
        return KeySource("variable", f"{env}_ENCRYPTION_KEYRING")
    if path := environ.get(f"{env}_ENCRYPTION_KEYRING_FILE"):
        blind_file = environ.get(f"{env}_BLIND_INDEX_KEYRING_FILE")
        return KeySource(
            "file",
            f"{env}_ENCRYPTION_KEYRING_FILE ({path})",
            Path(path),
            Path(blind_file) if blind_file else None,
        )
    for name in (f"{env}_ENCRYPTION_SECRET_KEY", "ENCRYPTION_SECRET_KEY"):
        if environ.get(name):
            return KeySource("variable", name)
    return KeySource("variable", ", ".join(configured))


def _existing_services(
    settings: SubgraphSettings, environ: Mapping[str, str]
) -> EncryptionServices:
    """Load the subgraph's keys; never generate them (fresh keys would open nothing)."""
    source = data_key_source(settings, environ)
    if source.kind == "development" and not all(
        path.exists() for path in (source.path, source.blind_index_path) if path is not None
    ):
        raise CommandError(
            f"{settings.subgraph}: no keys configured and no development keys in "
            f"{settings.keys_dir} (run `wealthtech keys generate` or set "
            f"{settings.env_name}_ENCRYPTION_KEYRING_FILE)"
        )
    try:
        return load_encryption_services(
            subgraph=settings.subgraph,
            env_name=settings.env_name,
            keys_dir=settings.keys_dir,
            environ=environ,
        )
    except CryptoError as exc:
        raise CommandError(f"{settings.subgraph}: {exc}") from None


def _engine(settings: SubgraphSettings) -> AsyncEngine:
    url = settings.resolved_database_url()
    parsed = make_url(url)
    database = parsed.database if parsed.get_backend_name() == "sqlite" else None
    if database not in (None, "", ":memory:") and not Path(str(database)).exists():
        raise CommandError(
            f"{settings.subgraph}: no database at {database} (start the service once "
            f"or run `python -m subgraphs.{settings.subgraph} migrate`)"
        )
    # hide_parameters: a failing statement's message must not list the values it carried.
    return create_async_engine(url, hide_parameters=True)


# -- generate --------------------------------------------------------------------------------


def _generate(names: list[str], environ: Mapping[str, str]) -> int:
    for name in names:
        settings = load_settings(name)
        source = data_key_source(settings, environ)
        if source.kind == "variable":
            print(f"{name}: keys come from {source.where}; nothing to generate")
            continue
        assert source.path is not None
        blind = source.blind_index_path
        if blind is None:
            # A keyring file without a blind-index file variable: put it beside the keyring.
            blind = source.path.with_name(f"{name}.blind-index-keyring.json")
        created = generate_keyring_files(source.path, blind)
        for path in (source.path, blind):
            state = "created" if path in created else "exists, kept"
            print(f"{name}: {path} ({state})")
        if source.kind == "file" and source.blind_index_path is None:
            print(f"{name}: set {settings.env_name}_BLIND_INDEX_KEYRING_FILE={blind}")
    return 0


# -- rotate ----------------------------------------------------------------------------------


def _rotate(names: list[str], environ: Mapping[str, str], key_id: str | None) -> int:
    for name in names:
        settings = load_settings(name)
        source = data_key_source(settings, environ)
        if source.kind == "variable" or source.path is None:
            raise CommandError(
                f"{name}: the data keys come from {source.where}, which this tool cannot change; "
                f"move them into a keyring file ({settings.env_name}_ENCRYPTION_KEYRING_FILE) "
                "and rotate that, or add a key to the variable yourself"
            )
        if not source.path.exists():
            raise CommandError(f"{name}: no keyring file at {source.path} (run `keys generate`)")
        try:
            keyring = rotate_keyring_file(source.path, key_id)
        except (CryptoError, ValueError) as exc:
            raise CommandError(f"{name}: {exc}") from None
        print(
            f"{name}: {keyring.active_key_id} is now the active key of {source.path} "
            f"(keys: {', '.join(keyring.key_ids)})"
        )
        print(
            f"{name}: restart the {name} service so that it uses the new key, then run "
            f"`wealthtech keys re-encrypt --subgraph {name}`"
        )
    return 0


# -- status ----------------------------------------------------------------------------------


async def _status_of(settings: SubgraphSettings) -> list[ColumnStatus]:
    engine = _engine(settings)
    try:
        return await key_status(engine, load_metadata(settings.subgraph))
    except DBAPIError as exc:
        raise CommandError(
            f"{settings.subgraph}: cannot read the database ({type(exc.orig).__name__}); "
            f"is it migrated? (`python -m subgraphs.{settings.subgraph} migrate`)"
        ) from None
    finally:
        await engine.dispose()


def _active_key(settings: SubgraphSettings, environ: Mapping[str, str]) -> str | None:
    try:
        return _existing_services(settings, environ).cipher.active_key_id
    except CommandError:
        return None


def _status(names: list[str], environ: Mapping[str, str], as_json: bool) -> int:
    report: dict[str, object] = {}
    for name in names:
        settings = load_settings(name)
        statuses = asyncio.run(_status_of(settings))
        active = _active_key(settings, environ)
        report[name] = {
            "activeKey": active,
            "columns": {f"{s.table}.{s.column}": dict(sorted(s.counts.items())) for s in statuses},
        }
        if as_json:
            continue
        print(f"{name} (active key: {active or 'unknown, no keys found'})")
        width = max((len(f"{s.table}.{s.column}") for s in statuses), default=0)
        for status in statuses:
            counts = "  ".join(f"{k}: {v}" for k, v in sorted(status.counts.items()))
            label = f"{status.table}.{status.column}"
            pending = f"  ({status.not_under(active)} not under {active})" if active else ""
            print(f"  {label:<{width}}  {counts or 'no values'}{pending}")
    if as_json:
        print(json.dumps(report, indent=2, sort_keys=True))
    return 0


# -- re-encrypt ------------------------------------------------------------------------------


class _StopAfterBatches(Exception):
    pass


async def _reencrypt_one(
    settings: SubgraphSettings,
    services: EncryptionServices,
    batch_size: int,
    max_batches: int | None,
    bar: ProgressBar,
) -> tuple[ReencryptReport | None, int]:
    batches = 0

    def on_batch(progress: ReencryptProgress) -> None:
        nonlocal batches
        batches += 1
        bar.update(progress.done, progress.total, f"{settings.subgraph} {progress.column}")
        if max_batches is not None and batches >= max_batches:
            raise _StopAfterBatches

    engine = _engine(settings)
    try:
        report = await reencrypt(
            engine,
            load_metadata(settings.subgraph),
            services.cipher,
            settings.subgraph,
            batch_size=batch_size,
            progress=on_batch,
        )
        return report, batches
    except _StopAfterBatches:
        return None, batches
    except DBAPIError as exc:
        raise CommandError(
            f"{settings.subgraph}: database error during re-encryption "
            f"({type(exc.orig).__name__}); committed batches are kept, run again to resume"
        ) from None
    finally:
        bar.finish()
        await engine.dispose()


def _reencrypt(
    names: list[str], environ: Mapping[str, str], batch_size: int, max_batches: int | None
) -> int:
    if batch_size < 1:
        raise CommandError("--batch-size must be at least 1")
    if max_batches is not None and max_batches < 1:
        raise CommandError("--max-batches must be at least 1")
    status = 0
    for name in names:
        settings = load_settings(name)
        services = _existing_services(settings, environ)
        active = services.cipher.active_key_id
        try:
            report, batches = asyncio.run(
                _reencrypt_one(settings, services, batch_size, max_batches, ProgressBar())
            )
        except KeyboardInterrupt:
            print(f"{name}: interrupted; committed batches are kept, run again to resume")
            return 130
        if report is None:
            print(f"{name}: stopped after {batches} batches (--max-batches); run again to resume")
            return 3
        print(
            f"{name}: {report.moved} values moved to {active}, {report.already_active} already "
            f"under it, {report.skipped_changed} changed meanwhile (left as written)"
        )
        if report.failed:
            status = 1
            print(f"{name}: {len(report.failed)} values did not open and were left as they are:")
            for place in report.failed:
                print(f"  {place}")
    return status


# -- wiring ----------------------------------------------------------------------------------


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``keys`` and its sub-commands to the top-level parser."""
    keys = commands.add_parser("keys", help="generate, rotate, count and re-encrypt with keys")
    actions = keys.add_subparsers(dest="keys_command", required=True)

    def with_subgraphs(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
        parser.add_argument(
            "--subgraph",
            action="append",
            choices=SUBGRAPH_NAMES,
            help="only this subgraph (repeatable; default: all four)",
        )
        return parser

    with_subgraphs(actions.add_parser("generate", help="create missing keyring files"))
    rotate = with_subgraphs(actions.add_parser("rotate", help="add a new active data key"))
    rotate.add_argument("--key-id", help="id of the new key (default: the next kN)")
    status = with_subgraphs(actions.add_parser("status", help="values per key id per column"))
    status.add_argument("--json", action="store_true", help="print JSON")
    again = with_subgraphs(
        actions.add_parser("re-encrypt", help="move every value to the active key (resumable)")
    )
    again.add_argument("--batch-size", type=int, default=500, help="values per transaction")
    again.add_argument(
        "--max-batches", type=int, help="stop after this many batches (resume by running again)"
    )
    keys.set_defaults(handler=run)


def run(options: argparse.Namespace, environ: Mapping[str, str] | None = None) -> int:
    """Run one ``keys`` sub-command; return the exit status."""
    env = os.environ if environ is None else environ
    try:
        names = check_names(options.subgraph)
        if options.keys_command == "generate":
            return _generate(names, env)
        if options.keys_command == "rotate":
            return _rotate(names, env, options.key_id)
        if options.keys_command == "status":
            return _status(names, env, options.json)
        return _reencrypt(names, env, options.batch_size, options.max_batches)
    except (CommandError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
