"""Problem documents (RFC 9457) and the one table from error codes to HTTP statuses.

Every REST error is ``application/problem+json``::

    {"type": "urn:wealthtech:problem:bad-user-input", "title": "Invalid input", "status": 422,
     "detail": "...", "instance": "/api/user", "code": "BAD_USER_INPUT",
     "errors": [{"field": "email_address", "message": "must be a valid e-mail address"}]}

``code`` is stable: the GraphQL ``extensions.code`` the operation failed with, or one of the REST
layer's own codes (malformed body, idempotency key problems). ``errors`` names each bad field in the
REST (snake_case) spelling. Messages never quote submitted values: they may be sensitive.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from router.rest.naming import field_path_to_snake

__all__ = [
    "PROBLEM_JSON",
    "STATUS_BY_CODE",
    "FieldError",
    "Problem",
    "ProblemDetails",
    "problem_from_graphql_errors",
    "problem_response",
]

PROBLEM_JSON = "application/problem+json"
RETRY_AFTER_SECONDS = 5

# GraphQL extensions.code (subgraph, router) or REST code -> (HTTP status, title).
STATUS_BY_CODE: Mapping[str, tuple[int, str]] = {
    # the request itself
    "MALFORMED_REQUEST": (400, "Malformed request"),
    "IDEMPOTENCY_KEY_REQUIRED": (400, "Idempotency-Key required"),
    "IDEMPOTENCY_KEY_INVALID": (400, "Invalid Idempotency-Key"),
    "UNAUTHENTICATED": (401, "Authentication required"),
    "FORBIDDEN": (403, "Forbidden"),
    "NOT_FOUND": (404, "Not found"),
    # collisions with the current state
    "CONFLICT": (409, "Conflict"),
    "IDEMPOTENCY_KEY_REUSED": (409, "Idempotency-Key reused with another request"),
    "IDEMPOTENCY_REQUEST_IN_PROGRESS": (409, "A request with this Idempotency-Key is in progress"),
    # well-formed but refused
    "BAD_USER_INPUT": (422, "Invalid input"),
    "RULE_VIOLATION": (422, "Refused by a business rule"),
    # someone else's trouble: retry later
    "DEPENDENCY_UNAVAILABLE": (503, "A service is unavailable"),
    "SUBREQUEST_HTTP_ERROR": (503, "A service is unavailable"),
    # our trouble
    "DECRYPTION_FAILED": (500, "Stored data could not be opened"),
    "INTERNAL_SERVER_ERROR": (500, "Internal server error"),
}
_FALLBACK = (500, "Internal server error")
_RETRYABLE_STATUS = 503


@dataclass(frozen=True, slots=True)
class FieldError:
    """One bad field: its REST (snake_case, dotted) path and what is wrong with it."""

    field: str
    message: str


@dataclass
class Problem(Exception):
    """An error answer of the REST API, raised anywhere below an endpoint and rendered once."""

    code: str
    detail: str
    errors: Sequence[FieldError] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> int:
        return status_of(self.code)


class ProblemFieldError(BaseModel):
    field: str = Field(description="The bad field, snake_case, dotted for nested values.")
    message: str = Field(description="What is wrong with it (never quotes the value).")


class ProblemDetails(BaseModel):
    """An RFC 9457 problem document."""

    model_config = ConfigDict(title="Problem", extra="allow")

    type: str = Field(description="A URI naming the kind of problem.")
    title: str
    status: int
    detail: str
    instance: str = Field(description="The path of the request that failed.")
    code: str = Field(description="Stable machine-readable error code.")
    errors: list[ProblemFieldError] | None = Field(
        default=None, description="Every bad field, for input errors."
    )
    reason: str | None = Field(
        default=None, description="A finer machine-readable reason (e.g. STALE_VERSION)."
    )


def status_of(code: str) -> int:
    """Return the HTTP status of an error code (500 for a code this table does not know)."""
    return STATUS_BY_CODE.get(code, _FALLBACK)[0]


def _type_uri(code: str) -> str:
    return "urn:wealthtech:problem:" + code.lower().replace("_", "-")


def problem_response(problem: Problem, instance: str) -> Response:
    """Render ``problem`` as an ``application/problem+json`` response."""
    status, title = STATUS_BY_CODE.get(problem.code, _FALLBACK)
    body: dict[str, Any] = {
        "type": _type_uri(problem.code),
        "title": title,
        "status": status,
        "detail": problem.detail,
        "instance": instance,
        "code": problem.code,
    }
    if problem.errors:
        body["errors"] = [{"field": e.field, "message": e.message} for e in problem.errors]
    body.update({k: v for k, v in problem.extra.items() if k not in body})
    headers = {"retry-after": str(RETRY_AFTER_SECONDS)} if status == _RETRYABLE_STATUS else None
    return Response(
        orjson.dumps(body), status_code=status, media_type=PROBLEM_JSON, headers=headers
    )


# The router's own coercion errors name the field only inside the message.
_VARIABLE_PATH = re.compile(r"at '([A-Za-z0-9_.\[\]]+)'")


def _field_errors(error: Mapping[str, Any]) -> list[FieldError]:
    extensions = error.get("extensions") or {}
    listed = extensions.get("fields")
    if isinstance(listed, list):
        return [
            FieldError(field_path_to_snake(str(item.get("field", ""))), str(item.get("message")))
            for item in listed
            if isinstance(item, dict)
        ]
    single = extensions.get("field")
    if isinstance(single, str):
        return [FieldError(field_path_to_snake(single), str(error.get("message", "is invalid")))]
    found = _VARIABLE_PATH.search(str(error.get("message", "")))
    if found:
        return [FieldError(field_path_to_snake(found.group(1)), "has an invalid value")]
    return []


def problem_from_graphql_errors(errors: Iterable[Mapping[str, Any]]) -> Problem:
    """Turn the errors of a failed fixed operation into one problem (the first error decides)."""
    listed = list(errors)
    first = listed[0] if listed else {}
    extensions = first.get("extensions") or {}
    code = str(extensions.get("code") or "INTERNAL_SERVER_ERROR")
    status = status_of(code)
    if status >= 500 and status != _RETRYABLE_STATUS:
        # A failed fixed operation is the router's fault; its message may carry internals.
        known = code if code in STATUS_BY_CODE else "INTERNAL_SERVER_ERROR"
        return Problem(known, "The request could not be completed.")
    extra: dict[str, Any] = {}
    reason = extensions.get("reason")
    if isinstance(reason, str):
        extra["reason"] = reason
    if code == "BAD_USER_INPUT" and "fields" not in extensions and "field" not in extensions:
        # graphql-core's coercion messages may quote the value: keep only the field name.
        detail = "Invalid input."
    else:
        detail = str(first.get("message") or "The request failed.")
    if code == "SUBREQUEST_HTTP_ERROR":
        # The router's message names internals (the subgraph); the client only needs to retry.
        detail = "A service this request needs could not be reached. Retry later."
    names_fields = code == "BAD_USER_INPUT" or "field" in extensions
    return Problem(code, detail, _field_errors(first) if names_fields else (), extra)
