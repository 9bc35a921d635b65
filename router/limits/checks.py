"""Request limits, checked before planning; each violation has a stable code and HTTP status.

========================  ======  =====================================================
code                      status  when
========================  ======  =====================================================
PAYLOAD_TOO_LARGE         413     body larger than ``ROUTER_MAX_BODY_BYTES``
TOO_MANY_TOKENS           400     document longer than ``ROUTER_MAX_QUERY_TOKENS`` tokens
QUERY_TOO_DEEP            400     fields nested deeper than ``ROUTER_MAX_QUERY_DEPTH``
TOO_MANY_ALIASES          400     more aliases than ``ROUTER_MAX_ALIASES``
PAGE_SIZE_TOO_LARGE       400     a ``first``/``last`` above ``ROUTER_MAX_PAGE_SIZE``
INTROSPECTION_DISABLED    400     ``__schema``/``__type`` while introspection is off
========================  ======  =====================================================

A limit set to 0 is off. ``__typename`` is never introspection here: clients need it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from router.limits.analysis import TooManyTokens, analyse

__all__ = ["LimitViolation", "Limits", "check_operation"]


class LimitViolation(Exception):
    """A request over a limit: ``code`` (stable), ``status`` (HTTP) and a message for the client."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Limits:
    max_body_bytes: int = 1_048_576
    max_query_depth: int = 12
    max_aliases: int = 30
    max_query_tokens: int = 3000
    max_page_size: int = 100
    introspection: bool = True


def check_operation(
    limits: Limits,
    query: str,
    variables: Mapping[str, Any] | None,
    operation_name: str | None,
) -> None:
    """Raise :class:`LimitViolation` if the operation is over a limit.

    A document that does not parse, or does not say which operation to run, passes: the gateway
    answers it with its own parse or validation error.
    """
    try:
        facts = analyse(query, limits.max_query_tokens or None)
    except TooManyTokens:
        raise LimitViolation(
            "TOO_MANY_TOKENS",
            f"The document has more than {limits.max_query_tokens} tokens.",
        ) from None
    operation = facts.select(operation_name) if facts is not None else None
    if operation is None:
        return
    if limits.max_query_depth and operation.depth > limits.max_query_depth:
        raise LimitViolation(
            "QUERY_TOO_DEEP",
            f"The operation is nested {operation.depth} fields deep; "
            f"the limit is {limits.max_query_depth}.",
        )
    if limits.max_aliases and operation.aliases > limits.max_aliases:
        raise LimitViolation(
            "TOO_MANY_ALIASES",
            f"The operation uses {operation.aliases} aliases; the limit is {limits.max_aliases}.",
        )
    if operation.introspection and not limits.introspection:
        raise LimitViolation("INTROSPECTION_DISABLED", "Introspection is disabled on this router.")
    if limits.max_page_size:
        for page in operation.page_arguments:
            value: Any = page.value
            if page.variable is not None:
                value = (variables or {}).get(
                    page.variable, operation.variable_defaults.get(page.variable)
                )
            is_number = isinstance(value, int) and not isinstance(value, bool)
            if is_number and value > limits.max_page_size:
                raise LimitViolation(
                    "PAGE_SIZE_TOO_LARGE",
                    f"{page.field}({page.argument}: {value}) asks for more than "
                    f"{limits.max_page_size} items; page through with 'after'.",
                )
