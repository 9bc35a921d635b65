"""Field rules of an investment account (DESIGN §3), each a small pure function.

Each ``check_*`` records a problem under the field's GraphQL name in an :class:`Issues` and
returns the normalised value (or ``None`` when invalid). Messages describe the rule, never the
value: a client reference is sensitive.
"""

from __future__ import annotations

import unicodedata

from subgraphs.kit import Issues, minor_units

__all__ = [
    "DEFAULT_CURRENCY",
    "check_client_reference",
    "check_currency",
    "check_name",
    "check_user_id",
    "normalise_reference",
]

DEFAULT_CURRENCY = "GBP"
REFERENCE_MAX = 50
NAME_MAX = 100
USER_ID_MAX = 48  # the width of the user_id column (the users subgraph's ids are 36 characters)


def _has_control_characters(value: str) -> bool:
    return any(unicodedata.category(char).startswith("C") for char in value)


def normalise_reference(value: str) -> str:
    """Trim and NFC-normalise a client reference, as crypto's blind index does before hashing.

    References are the client's own identifiers: their case is kept and matters.
    """
    return unicodedata.normalize("NFC", value.strip())


def check_client_reference(issues: Issues, value: str) -> str | None:
    """Check a client reference: 1 to 50 characters after trimming, no control characters."""
    reference = normalise_reference(value)
    if not 1 <= len(reference) <= REFERENCE_MAX:
        issues.add("clientReference", f"must be 1 to {REFERENCE_MAX} characters")
        return None
    if _has_control_characters(reference):
        issues.add("clientReference", "must not contain control characters")
        return None
    return reference


def check_name(issues: Issues, value: str) -> str | None:
    """Check an account name: 1 to 100 characters after trimming, no control characters."""
    name = value.strip()
    if not 1 <= len(name) <= NAME_MAX:
        issues.add("name", f"must be 1 to {NAME_MAX} characters")
        return None
    if _has_control_characters(name):
        issues.add("name", "must not contain control characters")
        return None
    return name


def check_currency(issues: Issues, value: str) -> str | None:
    """Check an ISO 4217 currency code; accepted in any case, stored upper-case."""
    code = value.strip().upper()
    if minor_units(code) is None:
        issues.add("currency", "must be an ISO 4217 currency code such as GBP")
        return None
    return code


def check_user_id(issues: Issues, value: str) -> str | None:
    """Check the shape of a user id (whether the user exists is the users subgraph's answer)."""
    user_id = value.strip()
    if not 1 <= len(user_id) <= USER_ID_MAX or _has_control_characters(user_id):
        issues.add("userId", "must be the id of a user")
        return None
    return user_id
