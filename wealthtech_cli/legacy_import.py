"""``wealthtech import-legacy ENTITY FILE``: bring the seed's Node service exports in.

The export format is in docs/operations.md: JSON lines (``.jsonl``) or CSV with a header, one
user per record, snake_case field names, and the five sensitive fields (``date_of_birth``,
``email_address``, ``telephone_number``, ``annual_income``, ``sources_of_wealth``) as the seed
stored them: ``<iv hex>:<ciphertext hex>``, AES-256-CBC under ``ENCRYPTION_SECRET_KEY``.

Those fields are legacy by declaration of the format, not by guessing: each must have the legacy
shape and open with the legacy key, or the record is refused (nothing is ever tried "as GCM, then
as CBC"). An opened record is created through the normal API, ``createUser`` on the router (or a
users subgraph), so the users service validates it and seals it in our format, bound to the new
row, with its blind index; no database is written directly.

Re-running is safe: every created user is appended to a map file (``legacy id -> new id``) and
records already in it are skipped, so an interrupted import resumes where it stopped. Messages
name record numbers, fields and error codes, never values.

Investment accounts (``accounts``) work the same way, through ``createInvestmentAccount``: their
``client_reference`` is sealed in the seed's form, and their ``user_id`` is a legacy user id,
translated through the id map the users import wrote (``--user-map``); an account whose user is
not in that map is refused before anything is opened.

Transactions (``transactions``) go through ``createTransaction``: ``consideration_amount`` and
``charges_amount`` are sealed, ``account_id`` is translated through the accounts import's id map
(``--account-map``), and each is sent with an idempotency key derived from its legacy id alone,
so a re-run whose id map lost a line gets the transaction it already created back, not a second.

Compliance logs (``compliance``) go through ``createComplianceLog``: ``log_details`` (a JSON
object) and ``response_id`` are sealed; their subjects (``user_id``, ``account_id``,
``transaction_id``) are translated through the id maps given (``--user-map``, ``--account-map``,
``--transaction-map``), and a subject not in its map refuses the record before anything opens.
Each is sent with an idempotency key derived from its legacy id alone (``idempotencyKey`` of the
input), so a re-run that lost its id map gets the log it already created back and appends
nothing to the append-only hash chain.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import hashlib
import json
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import httpx

from crypto import CryptoError
from crypto.legacy import legacy_key_from_environ, looks_like_legacy, open_legacy_cbc

from .api_client import add_token_argument, api_client

__all__ = [
    "LEGACY_ENCRYPTED_ACCOUNT_FIELDS",
    "LEGACY_ENCRYPTED_COMPLIANCE_FIELDS",
    "LEGACY_ENCRYPTED_TRANSACTION_FIELDS",
    "LEGACY_ENCRYPTED_USER_FIELDS",
    "ImportReport",
    "LegacyRecordError",
    "account_input_from_legacy",
    "compliance_input_from_legacy",
    "idempotency_key_for",
    "import_accounts",
    "import_compliance_logs",
    "import_transactions",
    "import_users",
    "read_records",
    "register",
    "run",
    "transaction_input_from_legacy",
    "user_input_from_legacy",
]

LEGACY_ENCRYPTED_USER_FIELDS = (
    "date_of_birth",
    "email_address",
    "telephone_number",
    "annual_income",
    "sources_of_wealth",
)
_REQUIRED_PLAIN_FIELDS = ("id", "first_name", "last_name", "nationality", "employment_status")

LEGACY_ENCRYPTED_ACCOUNT_FIELDS = ("client_reference",)
_REQUIRED_PLAIN_ACCOUNT_FIELDS = ("id", "user_id", "account_type", "name")

LEGACY_ENCRYPTED_TRANSACTION_FIELDS = ("consideration_amount", "charges_amount")
_REQUIRED_PLAIN_TRANSACTION_FIELDS = ("id", "account_id", "type")
_OPTIONAL_PLAIN_TRANSACTION_FIELDS = {
    "currency": "currency",
    "isin": "isin",
    "quantity": "quantity",
    "price": "price",
    "trade_date": "tradeDate",
    "settlement_date": "settlementDate",
    "reference": "reference",
}
LEGACY_ENCRYPTED_COMPLIANCE_FIELDS = ("log_details", "response_id")
_REQUIRED_PLAIN_COMPLIANCE_FIELDS = ("id", "event_type", "outcome", "performed_by")
# Each subject a log may name: the field, its GraphQL name, and the import whose map has it.
_COMPLIANCE_SUBJECTS = (
    ("user_id", "userId", "users"),
    ("account_id", "accountId", "accounts"),
    ("transaction_id", "transactionId", "transactions"),
)

CREATE_USER = """
mutation ImportLegacyUser($input: CreateUserInput!) {
  createUser(input: $input) { id }
}
"""
CREATE_ACCOUNT = """
mutation ImportLegacyAccount($input: CreateInvestmentAccountInput!) {
  createInvestmentAccount(input: $input) { id }
}
"""

CREATE_TRANSACTION = """
mutation ImportLegacyTransaction($input: CreateTransactionInput!, $key: String!) {
  createTransaction(input: $input, idempotencyKey: $key) { id }
}
"""
CREATE_COMPLIANCE_LOG = """
mutation ImportLegacyComplianceLog($input: CreateComplianceLogInput!) {
  createComplianceLog(input: $input) { id }
}
"""


class LegacyRecordError(ValueError):
    """A record that cannot be imported; the message names fields, never values."""


def read_records(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield ``(record number, fields)`` from a ``.jsonl`` or ``.csv`` export (numbered from 1)."""
    if path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8") as handle:
            for number, row in enumerate(csv.DictReader(handle), start=1):
                yield (
                    number,
                    {k: v for k, v in row.items() if k is not None and v not in (None, "")},
                )
        return
    with path.open(encoding="utf-8") as handle:
        number = 0
        for line in handle:
            if not line.strip():
                continue
            number += 1
            try:
                record = json.loads(line)
            except ValueError:
                raise LegacyRecordError(f"record {number} is not a JSON object") from None
            if not isinstance(record, dict):
                raise LegacyRecordError(f"record {number} is not a JSON object")
            yield number, {str(k): str(v) for k, v in record.items() if v is not None}


def _open_field(record: Mapping[str, str], name: str, key: bytes) -> str:
    value = record.get(name)
    if value is None:
        raise LegacyRecordError(f"{name} is missing")
    if not looks_like_legacy(value):
        raise LegacyRecordError(f"{name} is not in the seed's <iv hex>:<ciphertext hex> form")
    try:
        return open_legacy_cbc(value, key)
    except CryptoError:
        raise LegacyRecordError(
            f"{name} does not open with ENCRYPTION_SECRET_KEY (wrong key or damaged value)"
        ) from None


def _sources_of_wealth(text: str) -> list[str]:
    # The seed stored the set as a JSON array; a comma-separated list is accepted too.
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = [part for part in text.split(",")]
    if not isinstance(parsed, list) or not all(isinstance(item, str) for item in parsed):
        raise LegacyRecordError("sources_of_wealth does not hold a list of names")
    return [item.strip().upper() for item in parsed if item.strip()]


def user_input_from_legacy(record: Mapping[str, str], key: bytes) -> dict[str, Any]:
    """Return the ``CreateUserInput`` of one exported user, its sealed fields opened."""
    missing = [name for name in _REQUIRED_PLAIN_FIELDS if not record.get(name)]
    if missing:
        raise LegacyRecordError(f"missing {', '.join(missing)}")
    opened = {name: _open_field(record, name, key) for name in LEGACY_ENCRYPTED_USER_FIELDS}
    try:
        # The amount stays a decimal string end to end (never a float).
        amount = Decimal(opened["annual_income"].strip())
    except InvalidOperation:
        raise LegacyRecordError("annual_income does not hold a decimal amount") from None
    return {
        "title": record.get("title") or None,
        "firstName": record["first_name"],
        "lastName": record["last_name"],
        "dateOfBirth": opened["date_of_birth"].strip(),
        "nationality": record["nationality"].strip().upper(),
        "emailAddress": opened["email_address"].strip(),
        "telephoneNumber": opened["telephone_number"].strip(),
        "employmentStatus": record["employment_status"].strip().upper(),
        "annualIncome": {
            "amount": str(amount),
            "currency": (record.get("annual_income_currency") or "GBP").strip().upper(),
        },
        "sourcesOfWealth": _sources_of_wealth(opened["sources_of_wealth"]),
    }


def account_input_from_legacy(
    record: Mapping[str, str], key: bytes, user_ids: Mapping[str, str]
) -> dict[str, Any]:
    """Return the ``CreateInvestmentAccountInput`` of one exported account.

    ``user_ids`` maps legacy user ids to ours; the owner is checked before anything is opened.
    """
    missing = [name for name in _REQUIRED_PLAIN_ACCOUNT_FIELDS if not record.get(name)]
    if missing:
        raise LegacyRecordError(f"missing {', '.join(missing)}")
    user_id = user_ids.get(record["user_id"].strip())
    if user_id is None:
        raise LegacyRecordError("user_id is not in the users id map (import that user first)")
    opened = {name: _open_field(record, name, key) for name in LEGACY_ENCRYPTED_ACCOUNT_FIELDS}
    return {
        "userId": user_id,
        "clientReference": opened["client_reference"].strip(),
        "accountType": record["account_type"].strip().upper(),
        "name": record["name"].strip(),
        "currency": (record.get("currency") or "GBP").strip().upper(),
    }


def idempotency_key_for(legacy_id: str, entity: str = "transaction") -> str:
    """Return the idempotency key of a legacy record: the same on every run, ASCII only.

    ``entity`` ("transaction", "compliance-log") keeps the keys of different exports apart.
    """
    digest = hashlib.sha256(f"seed-{entity}:{legacy_id}".encode()).hexdigest()
    return f"legacy-{digest[:40]}"


def _decimal(name: str, text: str) -> str:
    try:
        # Decimal strings end to end (never a float); the service checks sign and scale.
        amount = Decimal(text.strip())
    except InvalidOperation:
        raise LegacyRecordError(f"{name} does not hold a decimal amount") from None
    if not amount.is_finite():
        raise LegacyRecordError(f"{name} does not hold a decimal amount")
    return str(amount)


def transaction_input_from_legacy(
    record: Mapping[str, str], key: bytes, account_ids: Mapping[str, str]
) -> dict[str, Any]:
    """Return the ``createTransaction`` variables of one exported transaction.

    ``account_ids`` maps legacy account ids to ours; checked before anything is opened. A
    missing ``charges_amount`` means none (the service's default, 0).
    """
    missing = [name for name in _REQUIRED_PLAIN_TRANSACTION_FIELDS if not record.get(name)]
    if missing:
        raise LegacyRecordError(f"missing {', '.join(missing)}")
    account_id = account_ids.get(record["account_id"].strip())
    if account_id is None:
        raise LegacyRecordError(
            "account_id is not in the accounts id map (import that account first)"
        )
    transaction: dict[str, Any] = {
        "accountId": account_id,
        "type": record["type"].strip().upper(),
        "considerationAmount": _decimal(
            "consideration_amount", _open_field(record, "consideration_amount", key)
        ),
    }
    if record.get("charges_amount"):
        transaction["chargesAmount"] = _decimal(
            "charges_amount", _open_field(record, "charges_amount", key)
        )
    for name, graphql_name in _OPTIONAL_PLAIN_TRANSACTION_FIELDS.items():
        value = (record.get(name) or "").strip()
        if value:
            transaction[graphql_name] = value.upper() if name in ("currency", "isin") else value
    return {"input": transaction, "key": idempotency_key_for(record["id"])}


def compliance_input_from_legacy(
    record: Mapping[str, str], key: bytes, id_maps: Mapping[str, Mapping[str, str]]
) -> dict[str, Any]:
    """Return the ``CreateComplianceLogInput`` of one exported compliance log.

    ``id_maps`` holds the ``users``, ``accounts`` and ``transactions`` id maps (legacy id ->
    ours); every subject the record names must be in its map, checked before anything opens.
    """
    missing = [name for name in _REQUIRED_PLAIN_COMPLIANCE_FIELDS if not record.get(name)]
    if missing:
        raise LegacyRecordError(f"missing {', '.join(missing)}")
    log: dict[str, Any] = {}
    for name, graphql_name, entity in _COMPLIANCE_SUBJECTS:
        legacy = (record.get(name) or "").strip()
        if not legacy:
            continue
        new_id = id_maps.get(entity, {}).get(legacy)
        if new_id is None:
            raise LegacyRecordError(f"{name} is not in the {entity} id map (import it first)")
        log[graphql_name] = new_id
    if not log:
        raise LegacyRecordError("names no subject (user_id, account_id or transaction_id)")
    opened = {name: _open_field(record, name, key) for name in LEGACY_ENCRYPTED_COMPLIANCE_FIELDS}
    try:
        details = json.loads(opened["log_details"])
    except ValueError:
        details = None
    if not isinstance(details, dict):
        raise LegacyRecordError("log_details does not hold a JSON object")
    log.update(
        eventType=record["event_type"].strip().upper(),
        outcome=record["outcome"].strip().upper(),
        provider=(record.get("provider") or "").strip() or None,
        logDetails=details,
        responseId=opened["response_id"].strip(),
        performedBy=record["performed_by"].strip(),
        idempotencyKey=idempotency_key_for(record["id"].strip(), "compliance-log"),
    )
    return log


@dataclass
class ImportReport:
    """What one run did; ``refused`` holds one line per record not imported."""

    created: int = 0
    skipped: int = 0
    refused: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.refused


def _read_map(path: Path | None) -> dict[str, str]:
    if path is None or not path.exists():
        return {}
    mapping: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            entry = json.loads(line)
            mapping[str(entry["legacy_id"])] = str(entry["id"])
    return mapping


def _describe_errors(errors: list[dict[str, Any]]) -> str:
    parts = []
    for error in errors:
        extensions = error.get("extensions") or {}
        code = extensions.get("code", "ERROR")
        # The service's messages are safe (it scrubs values it handled); field names help most.
        fields = extensions.get("fields") or extensions.get("issues")
        detail = f" {json.dumps(fields)}" if fields else f": {error.get('message', '')}"
        parts.append(f"{code}{detail}")
    return "; ".join(parts)


async def _import(
    path: Path,
    *,
    client: httpx.AsyncClient,
    url: str,
    mutation: str,
    field_name: str,
    to_variables: Callable[[Mapping[str, str]], dict[str, Any]],
    map_path: Path | None,
) -> ImportReport:
    """Send every record not yet in the map through ``mutation``; append each new id to it."""
    report = ImportReport()
    already = _read_map(map_path)
    map_handle = map_path.open("a", encoding="utf-8") if map_path is not None else None
    try:
        for number, record in read_records(path):
            legacy_id = record.get("id", "")
            if legacy_id and legacy_id in already:
                report.skipped += 1
                continue
            try:
                variables = to_variables(record)
            except LegacyRecordError as exc:
                report.refused.append(f"record {number} (legacy id {legacy_id or '?'}): {exc}")
                continue
            response = await client.post(url, json={"query": mutation, "variables": variables})
            try:
                body = response.json()
            except ValueError:
                body = {}
            data = body.get("data") if isinstance(body, dict) else None
            if response.status_code >= 500 or not isinstance(body, dict):
                report.refused.append(f"record {number}: HTTP {response.status_code} from {url}")
                continue
            if body.get("errors") or not data or not data.get(field_name):
                report.refused.append(
                    f"record {number} (legacy id {legacy_id}): {field_name} refused: "
                    f"{_describe_errors(list(body.get('errors') or []))}"
                )
                continue
            new_id = data[field_name]["id"]
            already[legacy_id] = new_id
            report.created += 1
            if map_handle is not None:
                map_handle.write(json.dumps({"legacy_id": legacy_id, "id": new_id}) + "\n")
                map_handle.flush()
    finally:
        if map_handle is not None:
            map_handle.close()
    return report


async def import_users(
    path: Path,
    *,
    client: httpx.AsyncClient,
    url: str,
    key: bytes,
    map_path: Path | None = None,
) -> ImportReport:
    """Create every user of the export at ``path`` through ``createUser`` at ``url``."""
    return await _import(
        path,
        client=client,
        url=url,
        mutation=CREATE_USER,
        field_name="createUser",
        to_variables=lambda record: {"input": user_input_from_legacy(record, key)},
        map_path=map_path,
    )


async def import_accounts(
    path: Path,
    *,
    client: httpx.AsyncClient,
    url: str,
    key: bytes,
    user_map_path: Path,
    map_path: Path | None = None,
) -> ImportReport:
    """Create every account of the export through ``createInvestmentAccount`` at ``url``.

    Legacy user ids are translated through ``user_map_path`` (the users import's id map).
    """
    user_ids = _read_map(user_map_path)
    return await _import(
        path,
        client=client,
        url=url,
        mutation=CREATE_ACCOUNT,
        field_name="createInvestmentAccount",
        to_variables=lambda record: {"input": account_input_from_legacy(record, key, user_ids)},
        map_path=map_path,
    )


async def import_transactions(
    path: Path,
    *,
    client: httpx.AsyncClient,
    url: str,
    key: bytes,
    account_map_path: Path,
    map_path: Path | None = None,
) -> ImportReport:
    """Create every transaction of the export through ``createTransaction`` at ``url``.

    Legacy account ids are translated through ``account_map_path`` (the accounts import's map).
    """
    account_ids = _read_map(account_map_path)
    return await _import(
        path,
        client=client,
        url=url,
        mutation=CREATE_TRANSACTION,
        field_name="createTransaction",
        to_variables=lambda record: transaction_input_from_legacy(record, key, account_ids),
        map_path=map_path,
    )


async def import_compliance_logs(
    path: Path,
    *,
    client: httpx.AsyncClient,
    url: str,
    key: bytes,
    user_map_path: Path | None = None,
    account_map_path: Path | None = None,
    transaction_map_path: Path | None = None,
    map_path: Path | None = None,
) -> ImportReport:
    """Create every compliance log of the export through ``createComplianceLog`` at ``url``.

    Subjects are translated through the users, accounts and transactions imports' id maps; a
    map not given is empty (a log naming such a subject is refused).
    """
    id_maps = {
        "users": _read_map(user_map_path),
        "accounts": _read_map(account_map_path),
        "transactions": _read_map(transaction_map_path),
    }
    return await _import(
        path,
        client=client,
        url=url,
        mutation=CREATE_COMPLIANCE_LOG,
        field_name="createComplianceLog",
        to_variables=lambda record: {"input": compliance_input_from_legacy(record, key, id_maps)},
        map_path=map_path,
    )


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``import-legacy`` to the top-level parser."""
    parser = commands.add_parser(
        "import-legacy", help="import records exported from the seed's Node service"
    )
    parser.add_argument(
        "entity",
        choices=["users", "accounts", "transactions", "compliance"],
        help="what the file holds",
    )
    parser.add_argument("file", type=Path, help="export file (.jsonl or .csv)")
    parser.add_argument(
        "--url",
        default="http://127.0.0.1:4000/graphql",
        help="GraphQL endpoint (default: the router at http://127.0.0.1:4000/graphql)",
    )
    parser.add_argument(
        "--map",
        type=Path,
        help="legacy id -> new id file, appended to and read to skip done records "
        "(default: FILE with .idmap.jsonl)",
    )
    parser.add_argument(
        "--user-map",
        type=Path,
        help="accounts (required), compliance: the users import's id map, to translate "
        "legacy user ids",
    )
    parser.add_argument(
        "--account-map",
        type=Path,
        help="transactions (required), compliance: the accounts import's id map, to "
        "translate legacy account ids",
    )
    parser.add_argument(
        "--transaction-map",
        type=Path,
        help="compliance: the transactions import's id map, to translate legacy transaction ids",
    )
    add_token_argument(parser)
    parser.set_defaults(handler=run)


async def _run_import(options: argparse.Namespace, key: bytes, map_path: Path) -> ImportReport:
    async with api_client(options.token) as client:
        if options.entity == "accounts":
            return await import_accounts(
                options.file,
                client=client,
                url=options.url,
                key=key,
                user_map_path=options.user_map,
                map_path=map_path,
            )
        if options.entity == "compliance":
            return await import_compliance_logs(
                options.file,
                client=client,
                url=options.url,
                key=key,
                user_map_path=options.user_map,
                account_map_path=options.account_map,
                transaction_map_path=options.transaction_map,
                map_path=map_path,
            )
        if options.entity == "transactions":
            return await import_transactions(
                options.file,
                client=client,
                url=options.url,
                key=key,
                account_map_path=options.account_map,
                map_path=map_path,
            )
        return await import_users(
            options.file, client=client, url=options.url, key=key, map_path=map_path
        )


def run(options: argparse.Namespace) -> int:
    """Import the file; exit 0 when every record is in, 1 when some were refused, 2 on setup."""
    try:
        key = legacy_key_from_environ()
    except CryptoError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if options.entity == "accounts" and (options.user_map is None or not options.user_map.exists()):
        print("error: accounts need --user-map, the users import's id map file", file=sys.stderr)
        return 2
    if options.entity == "transactions" and (
        options.account_map is None or not options.account_map.exists()
    ):
        print(
            "error: transactions need --account-map, the accounts import's id map file",
            file=sys.stderr,
        )
        return 2
    given = (options.user_map, options.account_map, options.transaction_map)
    if options.entity == "compliance" and any(m is not None and not m.exists() for m in given):
        print("error: an id map given to compliance does not exist", file=sys.stderr)
        return 2
    map_path: Path = options.map or options.file.with_suffix(".idmap.jsonl")
    try:
        report = asyncio.run(_run_import(options, key, map_path))
    except (OSError, LegacyRecordError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except httpx.HTTPError as exc:
        print(f"error: cannot reach {options.url} ({type(exc).__name__})", file=sys.stderr)
        return 2
    for line in report.refused:
        print(f"refused: {line}", file=sys.stderr)
    print(
        f"{options.entity}: {report.created} created, {report.skipped} already imported, "
        f"{len(report.refused)} refused; id map in {map_path}"
    )
    return 0 if report.ok else 1
