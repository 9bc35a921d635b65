"""Refusals of the security layer, in the shape each API uses.

``/graphql`` gets a GraphQL response without ``data`` (``{"errors": [{"message", "extensions":
{"code"}}]}``) in the media type the client accepts; ``/api/*`` gets an RFC 9457 problem document
like every other REST error. ``401`` answers carry ``WWW-Authenticate: Bearer`` (RFC 6750).
"""

from __future__ import annotations

import orjson
from starlette.responses import Response

from router.http.protocol import APPLICATION_JSON, error_body, negotiate_media_type

__all__ = ["graphql_refusal", "rest_refusal"]

PROBLEM_JSON = "application/problem+json"
_TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    413: "Request body too large",
}


def _challenge(status: int, has_token: bool) -> dict[str, str]:
    if status != 401:
        return {}
    # RFC 6750 section 3: no error attribute when the request carried no token at all.
    value = 'Bearer realm="wealthtech"'
    if has_token:
        value += ', error="invalid_token"'
    return {"www-authenticate": value}


def graphql_refusal(
    status: int, code: str, message: str, accept: str | None, *, has_token: bool = False
) -> Response:
    media_type = negotiate_media_type(accept) or APPLICATION_JSON
    return Response(
        error_body(message, code),
        status_code=status,
        media_type=media_type,
        headers=_challenge(status, has_token),
    )


def rest_refusal(
    status: int, code: str, message: str, path: str, *, has_token: bool = False
) -> Response:
    body = {
        "type": "urn:wealthtech:problem:" + code.lower().replace("_", "-"),
        "title": _TITLES.get(status, "Request refused"),
        "status": status,
        "detail": message,
        "instance": path,
        "code": code,
    }
    return Response(
        orjson.dumps(body),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=_challenge(status, has_token),
    )
