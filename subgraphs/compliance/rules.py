"""Field rules of a compliance log (DESIGN §3), each a small pure function.

Each ``check_*`` records a problem under the field's GraphQL name in an :class:`Issues` and
returns the normalised value (or ``None`` when invalid). Messages describe the rule, never the
value: details and response ids are sensitive.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from subgraphs.kit import Issues, is_id
from subgraphs.kit.validation import IDEMPOTENCY_KEY_MAX_LENGTH, check_idempotency_key

from .chain import canonical_json
from .domain import KYC_REQUIRED_OUTCOME, ComplianceEventType, ComplianceOutcome

__all__ = [
    "IDEMPOTENCY_KEY_MAX_LENGTH",
    "MAX_DETAILS_BYTES",
    "SUBJECT_FIELDS",
    "check_details",
    "check_idempotency_key",
    "check_kyc_outcome",
    "check_optional_text",
    "check_subjects",
    "check_text",
]

# The same key rule as createTransaction's (subgraphs/transactions/rules.py), so a client and the
# REST shim use one key format for both.
MAX_DETAILS_BYTES = 16 * 1024
MAX_DETAILS_DEPTH = 16
# GraphQL field -> (id prefix, entity): a subject id must look like its owner's ids.
SUBJECT_FIELDS: dict[str, tuple[str, str]] = {
    "userId": ("usr", "User"),
    "accountId": ("acc", "InvestmentAccount"),
    "transactionId": ("txn", "Transaction"),
}


def _has_control_characters(value: str) -> bool:
    return any(unicodedata.category(char).startswith("C") for char in value)


def check_text(issues: Issues, field: str, value: str, *, maximum: int) -> str | None:
    """Check a required one-line text: 1 to ``maximum`` characters after trimming."""
    text = value.strip()
    if not 1 <= len(text) <= maximum or _has_control_characters(text):
        issues.add(field, f"must be 1 to {maximum} characters without control characters")
        return None
    return text


def check_optional_text(
    issues: Issues, field: str, value: str | None, *, maximum: int
) -> str | None:
    """Like :func:`check_text`, but ``None`` (absent) is allowed."""
    if value is None:
        return None
    text = value.strip()
    if not 1 <= len(text) <= maximum or _has_control_characters(text):
        issues.add(field, f"must be 1 to {maximum} characters without control characters, or null")
        return None
    return text


def check_subjects(issues: Issues, subjects: dict[str, str | None]) -> dict[str, str] | None:
    """Check that at least one subject is named and each named one is shaped like its ids.

    ``subjects`` maps the GraphQL field (``userId``, ...) to the id sent, or ``None``.
    """
    named = {field: value.strip() for field, value in subjects.items() if value is not None}
    if not named:
        for field in SUBJECT_FIELDS:
            issues.add(field, "a log must name at least one of userId, accountId, transactionId")
        return None
    valid = True
    for field, value in named.items():
        prefix, entity = SUBJECT_FIELDS[field]
        if not is_id(prefix, value):
            issues.add(field, f"must be a {entity} id ({prefix}_...)")
            valid = False
    return named if valid else None


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(item) for item in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(item) for item in value), default=0)
    return 0


def check_details(issues: Issues, value: Any) -> dict[str, Any] | None:
    """Check the details: a JSON object, at most 16 KiB as canonical JSON, nested 16 deep."""
    if not isinstance(value, dict):
        issues.add("logDetails", "must be a JSON object")
        return None
    try:
        size = len(canonical_json(value).encode("utf-8"))
    except (TypeError, ValueError):
        issues.add("logDetails", "must be plain JSON (no NaN or infinity)")
        return None
    if size > MAX_DETAILS_BYTES:
        issues.add("logDetails", f"must be at most {MAX_DETAILS_BYTES} bytes as JSON")
        return None
    if _depth(value) > MAX_DETAILS_DEPTH:
        issues.add("logDetails", f"must be nested at most {MAX_DETAILS_DEPTH} levels deep")
        return None
    return value


def check_kyc_outcome(
    issues: Issues, event_type: ComplianceEventType, outcome: ComplianceOutcome
) -> ComplianceOutcome | None:
    """Check that a KYC event carries the one outcome it states (passed: CLEAR, ...)."""
    required = KYC_REQUIRED_OUTCOME.get(event_type)
    if required is not None and outcome is not required:
        issues.add("outcome", f"a {event_type.value} event must have the outcome {required.value}")
        return None
    return outcome
