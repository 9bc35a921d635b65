"""CSRF prevention for ``/graphql``, as Apollo Server's ``csrfPrevention``.

A browser sends a cross-site "simple" request (GET/HEAD/POST, no custom header, a form-like or
no content type) without a CORS preflight, so the server would run it before any CORS check could
stop it. Such a request is refused unless it carries a header a browser cannot add without a
preflight: a non-simple ``Content-Type`` (e.g. ``application/json``) or one of
``x-apollo-operation-name`` / ``apollo-require-preflight`` (any non-empty value).
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["CSRF_MESSAGE", "PREFLIGHT_HEADERS", "is_csrf_risk"]

PREFLIGHT_HEADERS = ("x-apollo-operation-name", "apollo-require-preflight")
_SIMPLE_METHODS = frozenset({"GET", "HEAD", "POST"})
_SIMPLE_CONTENT_TYPES = frozenset(
    {"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}
)
CSRF_MESSAGE = (
    "This operation has been blocked as a potential Cross-Site Request Forgery (CSRF). "
    "Send Content-Type: application/json, or a non-empty 'apollo-require-preflight' or "
    "'x-apollo-operation-name' header."
)


def is_csrf_risk(method: str, headers: Mapping[str, str]) -> bool:
    """Tell whether a request could have been sent cross-site without a preflight."""
    if method.upper() not in _SIMPLE_METHODS:
        return False
    if any(headers.get(name, "").strip() for name in PREFLIGHT_HEADERS):
        return False
    content_type = headers.get("content-type")
    if content_type is None:
        return True
    media = content_type.split(";")[0].strip().lower()
    return media in _SIMPLE_CONTENT_TYPES
