"""Rendering errors as GraphQL errors: expected ones with ``extensions.code``, the rest masked.

:class:`ErrorRenderingExtension` runs when an operation finishes. For every error it:

* renders a :class:`~subgraphs.kit.errors.SubgraphError` with its message and extensions;
* renders crypto's ``DecryptionError`` as ``DECRYPTION_FAILED`` with its one generic message;
* keeps request errors (syntax, validation, variable coercion) with a code, dropping any input
  value graphql-core echoes into the message (it may be sensitive);
* renders a lost database connection (the server down or restarting) as the retryable
  ``DATABASE_UNAVAILABLE``: the caller may retry (with its idempotency key, for a write);
* masks everything else as ``INTERNAL_SERVER_ERROR``: an unexpected exception's text may hold
  SQL, a plaintext, or a stack detail that is nobody's business;
* marks the request's transaction failed, so the request dependency rolls back.

:func:`log_errors` is the logging half (called by the schema before rendering): codes and paths
only, and for unexpected errors the exception type and stack, never the exception's message.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Iterator, Sequence
from typing import Any

from graphql import GraphQLError
from sqlalchemy.exc import DBAPIError
from strawberry.extensions import SchemaExtension

from crypto import DecryptionError

from .errors import SubgraphError

__all__ = ["INTERNAL_ERROR_MESSAGE", "ErrorRenderingExtension", "log_errors", "render_error"]

log = logging.getLogger("subgraphs.errors")

INTERNAL_ERROR_MESSAGE = "Internal server error."
# graphql-core quotes the offending input ("...; found: {'amount': 1.5}."): drop the quote.
_ECHOED_VALUE = re.compile(r"[;,.]?\s*\b[Ff]ound:? .*?(?=; |$)", re.DOTALL)
_AT_PATH = re.compile(r"has invalid value at \.?(\S+?):")


def _copy(error: GraphQLError, message: str, extensions: dict[str, Any]) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions=extensions,
    )


def _request_error(error: GraphQLError) -> GraphQLError:
    message = _ECHOED_VALUE.sub("", error.message).rstrip(".") + "."
    if message.startswith("Variable '$"):
        located = _AT_PATH.search(message)
        field = located.group(1) if located else message.split("'")[1].lstrip("$")
        return _copy(error, message, {"code": "BAD_USER_INPUT", "field": field})
    syntax = message.startswith("Syntax Error")
    code = "GRAPHQL_PARSE_FAILED" if syntax else "GRAPHQL_VALIDATION_FAILED"
    return _copy(error, message, {**(error.extensions or {}), "code": code})


DATABASE_UNAVAILABLE_MESSAGE = (
    "The database could not be reached. Retry later (a write with the same idempotency key)."
)


# The driver's (asyncpg's) errors for a connection the server cut or refuses, by name: the kit
# does not import a driver, and SQLAlchemy does not flag every one of them as a disconnect.
_DISCONNECTS = frozenset(
    {
        "AdminShutdownError",
        "CannotConnectNowError",
        "ConnectionDoesNotExistError",
        "ConnectionFailureError",
        "CrashShutdownError",
    }
)


def database_unavailable(exc: BaseException | None) -> bool:
    """Whether ``exc`` says the database connection was refused or lost, not a bad statement."""
    seen = 0
    while exc is not None and seen < 8:  # the error and what it wraps (SQLAlchemy -> driver)
        # Not every OperationalError: SQLite raises it for a missing table too (a bug, masked).
        if isinstance(exc, DBAPIError) and exc.connection_invalidated:
            return True
        # Opening a pool connection to a server that is down raises the socket's own error.
        if isinstance(exc, ConnectionError | TimeoutError) or type(exc).__name__ in _DISCONNECTS:
            return True
        exc = getattr(exc, "orig", None) or exc.__cause__
        seen += 1
    return False


def render_error(error: GraphQLError) -> GraphQLError:
    """Return the error as the caller may see it."""
    original = error.original_error
    if original is not None and database_unavailable(original):
        return _copy(
            error, DATABASE_UNAVAILABLE_MESSAGE, {"code": "DATABASE_UNAVAILABLE", "retryable": True}
        )
    if isinstance(original, SubgraphError):
        return _copy(error, original.message, original.extensions)
    if isinstance(original, DecryptionError):
        return _copy(
            error,
            "A stored encrypted value could not be opened.",
            {"code": "DECRYPTION_FAILED"},
        )
    if error.path is None and (
        original is None
        or error.message.startswith("Variable '$")
        # A scalar refusing a literal during validation: located in the document, no path.
        or (error.nodes and isinstance(original, ValueError | TypeError | GraphQLError))
    ):
        return _request_error(error)
    if original is None:
        # graphql-core's own field errors (a null in a non-null field) carry no input values.
        return _copy(error, error.message, {"code": "INTERNAL_SERVER_ERROR"})
    return _copy(error, INTERNAL_ERROR_MESSAGE, {"code": "INTERNAL_SERVER_ERROR"})


def log_errors(errors: Sequence[GraphQLError]) -> None:
    """Log errors without their messages' values: code and path, plus the stack if unexpected."""
    for error in errors:
        original = error.original_error
        path = ".".join(str(part) for part in error.path or ())
        if isinstance(original, SubgraphError):
            log.info("%s at %s", original.code, path or "-")
        elif isinstance(original, DecryptionError):
            log.warning("DECRYPTION_FAILED at %s (tampered, moved or unknown-key value)", path)
        elif original is not None and database_unavailable(original):
            log.warning("DATABASE_UNAVAILABLE at %s (%s)", path or "-", type(original).__qualname__)
        elif original is None or error.path is None:
            log.info("request error (invalid query or variables)")
        else:
            stack = "".join(traceback.format_tb(original.__traceback__))
            log.error("unexpected %s at %s\n%s", type(original).__qualname__, path or "-", stack)


class ErrorRenderingExtension(SchemaExtension):
    """Render, mask and count the operation's errors (see the module docstring)."""

    def on_operation(self) -> Iterator[None]:
        transaction = getattr(self.execution_context.context, "transaction", None)
        if transaction is not None:
            # Failed until proven otherwise: if the operation dies before we see its result
            # (an exception in another extension), the request must still roll back.
            transaction.failed = True
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if transaction is not None:
            transaction.failed = result is None or bool(errors)
        if errors:
            result.errors = [render_error(error) for error in errors]  # type: ignore[union-attr]
