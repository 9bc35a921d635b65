"""Field rules of a user profile (DESIGN §3), each a small pure function.

Each ``check_*`` records a problem under the field's GraphQL name in an :class:`Issues` and
returns the normalised value (or ``None`` when invalid). Messages describe the rule, never the
value: the value may be sensitive.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from decimal import Decimal

from subgraphs.kit import Issues, Money, check_money

from .countries import ISO_3166_ALPHA_2
from .domain import SourceOfWealth

__all__ = [
    "ADULT_AGE",
    "check_date_of_birth",
    "check_email",
    "check_income",
    "check_name",
    "check_nationality",
    "check_sources_of_wealth",
    "check_telephone",
    "check_title",
    "normalise_email",
]

ADULT_AGE = 18
OLDEST_BIRTH_DATE = dt.date(1900, 1, 1)
_EMAIL_LOCAL = re.compile(r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*\Z")
_EMAIL_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\Z")
_E164 = re.compile(r"^\+[1-9]\d{6,14}\Z")
_PHONE_DECORATION = re.compile(r"[\s\-.()/]")


def _has_control_characters(value: str) -> bool:
    return any(unicodedata.category(char).startswith("C") for char in value)


def check_name(issues: Issues, field: str, value: str) -> str | None:
    """Check a first or last name: 1 to 50 characters after trimming, no control characters."""
    name = value.strip()
    if not 1 <= len(name) <= 50:
        issues.add(field, "must be 1 to 50 characters")
        return None
    if _has_control_characters(name):
        issues.add(field, "must not contain control characters")
        return None
    return name


def check_title(issues: Issues, value: str | None) -> str | None:
    """Check an optional title (Mr, Ms, Dr, ...): null, or 1 to 20 characters."""
    if value is None:
        return None
    title = value.strip()
    if not 1 <= len(title) <= 20 or _has_control_characters(title):
        issues.add("title", "must be 1 to 20 characters, or null")
        return None
    return title


def check_date_of_birth(issues: Issues, value: dt.date, today: dt.date) -> dt.date | None:
    """Check that the user is an adult today, and born no earlier than 1900."""
    try:
        adult_on = value.replace(year=value.year + ADULT_AGE)
    except ValueError:  # born on 29 February: adult on 1 March
        adult_on = dt.date(value.year + ADULT_AGE, 3, 1)
    if value < OLDEST_BIRTH_DATE:
        issues.add("dateOfBirth", "must be on or after 1900-01-01")
        return None
    if adult_on > today:
        issues.add("dateOfBirth", f"the user must be at least {ADULT_AGE} years old")
        return None
    return value


def check_nationality(issues: Issues, value: str) -> str | None:
    """Check an ISO 3166-1 alpha-2 code; accepted in any case, stored upper-case."""
    code = value.strip().upper()
    if code not in ISO_3166_ALPHA_2:
        issues.add("nationality", "must be an ISO 3166-1 alpha-2 country code such as GB")
        return None
    return code


def normalise_email(value: str) -> str:
    """Trim and lower-case an e-mail address (how it is stored and indexed)."""
    return value.strip().lower()


def check_email(issues: Issues, value: str) -> str | None:
    """Check for a plausible address (local@domain.tld, RFC 5321 lengths), lower-cased."""
    email = normalise_email(value)
    local, at, domain = email.rpartition("@")
    labels = domain.split(".")
    valid = (
        at == "@"
        and len(email) <= 254
        and 1 <= len(local) <= 64
        and _EMAIL_LOCAL.match(local) is not None
        and len(labels) >= 2
        and all(_EMAIL_LABEL.match(label) for label in labels)
        and labels[-1].isalpha()
        and len(labels[-1]) >= 2
    )
    if not valid:
        issues.add("emailAddress", "must be a valid e-mail address")
        return None
    return email


def check_telephone(issues: Issues, value: str) -> str | None:
    """Check an international number and normalise it to E.164 (``+447700900123``).

    Spaces, dashes, dots, slashes and brackets are dropped and a leading ``00`` becomes ``+``;
    a national number without its country code is refused (we cannot guess the country).
    """
    number = _PHONE_DECORATION.sub("", value.strip())
    if number.startswith("00"):
        number = "+" + number[2:]
    if not _E164.match(number):
        issues.add(
            "telephoneNumber",
            "must be an international number in E.164 form, e.g. +447700900123",
        )
        return None
    return number


def check_income(issues: Issues, amount: Decimal, currency: str) -> Money | None:
    """Check annual income: zero or more, in an ISO 4217 currency, within its minor units."""
    return check_money(issues, "annualIncome", amount, currency, minimum=Decimal(0))


def check_sources_of_wealth(
    issues: Issues, values: Iterable[SourceOfWealth]
) -> list[SourceOfWealth] | None:
    """Check for a non-empty set; duplicates collapse, order is the enum's."""
    chosen = set(values)
    if not chosen:
        issues.add("sourcesOfWealth", "must name at least one source of wealth")
        return None
    return [source for source in SourceOfWealth if source in chosen]
