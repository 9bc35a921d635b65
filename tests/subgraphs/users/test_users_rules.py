"""Properties of the user field rules (pure functions, no app needed)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from subgraphs.kit import Issues
from subgraphs.users import rules

DIGITS = st.text(alphabet="0123456789", min_size=6, max_size=13)
DECORATION = st.sampled_from(["", " ", "-", ".", " (", ") ", "/"])


@settings(max_examples=60)
@given(
    first=st.sampled_from("123456789"),
    rest=DIGITS,
    seps=st.lists(DECORATION, min_size=20, max_size=20),
)
def test_decorated_international_numbers_normalise_to_e164(
    first: str, rest: str, seps: list[str]
) -> None:
    digits = first + rest
    decorated = "+" + "".join(d + s for d, s in zip(digits, seps, strict=False))
    issues = Issues()
    assert rules.check_telephone(issues, decorated) == "+" + digits
    assert rules.check_telephone(issues, "00" + digits) == "+" + digits
    assert not issues


ATOM = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_%+-",
    min_size=1,
    max_size=10,
)
LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
TLD = st.from_regex(r"[a-zA-Z]{2,6}", fullmatch=True)


@settings(max_examples=60)
@given(
    local=st.lists(ATOM, min_size=1, max_size=3),
    labels=st.lists(LABEL, min_size=1, max_size=3),
    tld=TLD,
)
def test_ordinary_addresses_are_accepted_and_lower_cased(
    local: list[str], labels: list[str], tld: str
) -> None:
    email = ".".join(local) + "@" + ".".join([*labels, tld])
    issues = Issues()
    assert rules.check_email(issues, f"  {email} ") == email.lower()
    assert not issues


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 1, 1)))
def test_adulthood_is_exactly_eighteen_years(birth: dt.date) -> None:
    today = dt.date(2026, 6, 15)
    issues = Issues()
    accepted = rules.check_date_of_birth(issues, birth, today) is not None
    age = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
    assert accepted == (age >= 18)
