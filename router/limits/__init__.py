"""Limits the router applies before planning, and its CSRF rule.

Size, depth, aliases, tokens, page size and introspection: see ``checks`` for the codes and
``csrf`` for the rule.
"""

from router.limits.analysis import DocumentFacts, TooManyTokens, analyse
from router.limits.checks import Limits, LimitViolation, check_operation
from router.limits.csrf import CSRF_MESSAGE, PREFLIGHT_HEADERS, is_csrf_risk

__all__ = [
    "CSRF_MESSAGE",
    "PREFLIGHT_HEADERS",
    "DocumentFacts",
    "LimitViolation",
    "Limits",
    "TooManyTokens",
    "analyse",
    "check_operation",
    "is_csrf_risk",
]
