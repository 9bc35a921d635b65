"""Every input-validating pattern matches the whole value: nothing may follow, not even a newline.

In Python's ``re``, ``$`` also matches before a final ``\\n``, so ``^...$`` with ``match`` let
``"US0378331005\\n"`` pass as an ISIN and ``"key\\n"`` as an idempotency key. The patterns end in
``\\Z``; this pins it for each of them.
"""

from __future__ import annotations

import re

import pytest

from router.rest import endpoints as rest_endpoints
from subgraphs.kit import ids, money, owners, validation
from subgraphs.transactions import rules as transaction_rules
from subgraphs.users import rules as user_rules
from wealthtech_cli import token as cli_token

CASES: list[tuple[str, re.Pattern[str], str]] = [
    ("ISIN", transaction_rules._ISIN, "US0378331005"),
    ("idempotency key (transactions, compliance)", validation._IDEMPOTENCY_KEY, "key-1"),
    ("REST idempotency key", rest_endpoints._KEY_TEXT, "key-1"),
    ("REST id", rest_endpoints._ID_TEXT, "usr_01"),
    ("JSON media type", rest_endpoints._JSON_MEDIA, "application/json"),
    ("id prefix", ids._PREFIX, "usr"),
    ("decimal text", money._DECIMAL_TEXT, "12.50"),
    ("GraphQL name", owners._NAME, "User"),
    ("e-mail local part", user_rules._EMAIL_LOCAL, "ada"),
    ("e-mail domain label", user_rules._EMAIL_LABEL, "example"),
    ("E.164 phone", user_rules._E164, "+447700900123"),
    ("token ttl", cli_token._TTL, "15m"),
]


@pytest.mark.parametrize(("what", "pattern", "valid"), CASES, ids=[case[0] for case in CASES])
def test_a_trailing_newline_is_not_part_of_a_valid_value(
    what: str, pattern: re.Pattern[str], valid: str
) -> None:
    assert pattern.match(valid), what
    assert pattern.match(valid + "\n") is None, what
    assert pattern.match(valid + "\nmore") is None, what
