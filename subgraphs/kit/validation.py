"""Collecting input problems so that one refusal lists every bad field.

Services validate the whole input first, then raise once::

    issues = Issues()
    issues.check(1 <= len(name) <= 50, "firstName", "must be 1 to 50 characters")
    issues.raise_if_any()     # BadUserInput naming every failed field; nothing has been written
"""

from __future__ import annotations

import re

from .errors import BadUserInput, FieldIssue

__all__ = ["IDEMPOTENCY_KEY_MAX_LENGTH", "Issues", "check_idempotency_key"]

IDEMPOTENCY_KEY_MAX_LENGTH = 255
_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]+\Z")  # printable ASCII without spaces


class Issues:
    """An ordered collection of :class:`FieldIssue` for one input."""

    def __init__(self) -> None:
        self._issues: list[FieldIssue] = []

    def add(self, field: str, message: str) -> None:
        """Record that ``field`` is invalid; ``message`` says why without quoting the value."""
        self._issues.append(FieldIssue(field, message))

    def check(self, condition: bool, field: str, message: str) -> bool:
        """Record an issue unless ``condition`` holds; return ``condition``."""
        if not condition:
            self.add(field, message)
        return condition

    def has(self, field: str) -> bool:
        """Tell whether ``field`` already has an issue (to skip dependent checks)."""
        return any(issue.field == field for issue in self._issues)

    def __bool__(self) -> bool:
        return bool(self._issues)

    def __len__(self) -> int:
        return len(self._issues)

    def raise_if_any(self) -> None:
        """Raise :class:`BadUserInput` listing every recorded issue, if there is one."""
        if self._issues:
            raise BadUserInput(self._issues)


def check_idempotency_key(issues: Issues, value: str) -> str | None:
    """Check a client's idempotency key: 1 to 255 printable ASCII characters, no spaces.

    One rule for every subgraph that takes such a key (transactions, compliance), so a client
    can use the same key generator for both.
    """
    if not 1 <= len(value) <= IDEMPOTENCY_KEY_MAX_LENGTH or not _IDEMPOTENCY_KEY.fullmatch(value):
        issues.add(
            "idempotencyKey",
            f"must be 1 to {IDEMPOTENCY_KEY_MAX_LENGTH} printable ASCII characters without spaces",
        )
        return None
    return value
