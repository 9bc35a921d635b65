"""The Strawberry schema extension that gives every operation an encryption session.

Add the class (not an instance) to the schema: ``strawberry.Schema(..., extensions=[
EncryptionSessionExtension])`` and put the subgraph's :class:`EncryptionServices` in the request
context (``context["encryption_services"]`` for a dict context, ``context.encryption_services``
otherwise).  For each operation the extension

* opens a session and stores it at ``context["encryption"]`` / ``context.encryption``, where
  resolvers reach it through :func:`get_session` and where the access audit reads
  ``session.accessed`` after the operation;
* scrubs every plaintext the session handled out of resolver exceptions as they are raised (so the
  error log does not see them either) and out of the final errors, including their extensions;
* masks unexpected errors: an error raised while executing a field whose original exception is
  neither a ``GraphQLError`` nor carries ``extensions["code"]`` is replaced by a generic message
  (``DecryptionError`` gets code ``DECRYPTION_FAILED``, anything else ``INTERNAL_SERVER_ERROR``).
  Subclass and set ``mask_unexpected_errors = False`` or override :meth:`is_expected_error` to
  change that.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterator
from inspect import isawaitable
from typing import Any, ClassVar

from graphql import GraphQLError, GraphQLResolveInfo
from strawberry.extensions import SchemaExtension
from strawberry.types import Info

from crypto.errors import DECRYPTION_FAILED_MESSAGE, CryptoError, DecryptionError
from crypto.session import EncryptionServices, EncryptionSession

__all__ = ["EncryptionSessionExtension", "get_session"]

SERVICES_KEY = "encryption_services"
SESSION_KEY = "encryption"
INTERNAL_ERROR_MESSAGE = "Internal server error."


def _lookup(context: object, name: str) -> Any:
    if isinstance(context, dict):
        return context.get(name)
    return getattr(context, name, None)


def _store(context: object, name: str, value: object) -> None:
    if isinstance(context, dict):
        context[name] = value
    else:
        setattr(context, name, value)


def session_from_context(context: object) -> EncryptionSession:
    """Return the operation's session from a request context; ``RuntimeError`` if none."""
    session = _lookup(context, SESSION_KEY)
    if not isinstance(session, EncryptionSession):
        raise RuntimeError(
            "no encryption session in the context: add EncryptionSessionExtension to the schema "
            f"and put EncryptionServices in the context as {SERVICES_KEY!r}"
        )
    return session


def get_session(info: Info[Any, Any]) -> EncryptionSession:
    """Return the encryption session of the running operation (for resolvers)."""
    return session_from_context(info.context)


def _scrub_value(session: EncryptionSession, value: Any) -> Any:
    if isinstance(value, str):
        return session.scrub(value)
    if isinstance(value, dict):
        return {key: _scrub_value(session, item) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub_value(session, item) for item in value]
    return value


class EncryptionSessionExtension(SchemaExtension):
    """Opens an :class:`EncryptionSession` per operation and keeps plaintext out of errors."""

    mask_unexpected_errors: ClassVar[bool] = True

    _session: EncryptionSession | None = None

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context.context
        services = _lookup(context, SERVICES_KEY) if context is not None else None
        if isinstance(services, EncryptionServices):
            self._session = services.session()
            _store(context, SESSION_KEY, self._session)
        # Without services there is no session; get_session() then fails loudly, in the one
        # resolver that needs it, instead of every operation (e.g. introspection) failing here.
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if result is not None and errors:
            result.errors = [self._clean(error) for error in errors]

    def resolve(
        self,
        _next: Callable[..., Any],
        root: Any,
        info: GraphQLResolveInfo[Any],
        *args: str,
        **kwargs: Any,
    ) -> Any:
        # Scrub at the source as well: Strawberry logs errors (with their tracebacks and chained
        # causes) before on_operation sees the result.
        try:
            result = _next(root, info, *args, **kwargs)
        except Exception as exc:
            replacement = self._scrubbed(exc)
            if replacement is exc:
                raise
            raise replacement from None
        if isawaitable(result):
            return self._await_scrubbed(result)
        return result

    async def _await_scrubbed(self, awaitable: Awaitable[Any]) -> Any:
        try:
            return await awaitable
        except Exception as exc:
            replacement = self._scrubbed(exc)
            if replacement is exc:
                raise
            raise replacement from None

    def _scrubbed(self, exc: Exception) -> Exception:
        """Return ``exc`` with plaintext removed from its message, extensions and causes.

        The exception object is kept where possible (its class and ``extensions`` drive error
        rendering); one whose ``__str__`` does not come from ``args`` is replaced by a
        ``GraphQLError`` with the scrubbed message and extensions.
        """
        session = self._session
        if session is None:
            return exc
        seen: set[int] = set()
        current: BaseException | None = exc
        while current is not None and id(current) not in seen:
            seen.add(id(current))
            _scrub_in_place(session, current)
            for link in ("__cause__", "__context__"):
                chained = getattr(current, link)
                if chained is not None and _leaks(session, chained):
                    _scrub_in_place(session, chained)
                    if _leaks(session, chained):
                        setattr(current, link, None)
            current = current.__cause__ or current.__context__
        if session.contains_plaintext(str(exc)):
            extensions = _scrub_value(session, _extensions_of(exc))
            return GraphQLError(session.scrub(str(exc)), extensions=extensions)
        return exc

    def is_expected_error(self, error: GraphQLError) -> bool:
        """Tell whether an error may reach the client with its own message."""
        original = error.original_error
        if original is None or error.path is None or isinstance(original, GraphQLError):
            return True
        if isinstance(original, CryptoError):
            return False
        extensions = _extensions_of(original)
        return extensions is not None and "code" in extensions

    def _clean(self, error: GraphQLError) -> GraphQLError:
        if self.mask_unexpected_errors and not self.is_expected_error(error):
            if isinstance(error.original_error, DecryptionError):
                message, code = DECRYPTION_FAILED_MESSAGE, "DECRYPTION_FAILED"
            else:
                message, code = INTERNAL_ERROR_MESSAGE, "INTERNAL_SERVER_ERROR"
            return _replaced(error, message, {"code": code})
        session = self._session
        if session is None:
            return error
        extensions = (
            _scrub_value(session, error.extensions) if error.extensions else error.extensions
        )
        message = session.scrub(error.message)
        if message == error.message and extensions == error.extensions:
            return error
        return _replaced(error, message, extensions)


def _replaced(error: GraphQLError, message: str, extensions: dict[str, Any] | None) -> GraphQLError:
    # Same place in the document and the response, new text; the original exception is dropped
    # (it may carry the plaintext that was scrubbed from the message).
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions=extensions,
    )


def _leaks(session: EncryptionSession, exc: BaseException) -> bool:
    extensions = _extensions_of(exc)
    return session.contains_plaintext(str(exc)) or (
        extensions is not None and _scrub_value(session, extensions) != extensions
    )


def _scrub_in_place(session: EncryptionSession, exc: BaseException) -> None:
    """Scrub an exception's args, ``message`` and ``extensions`` where they can be set.

    Read-only attributes (e.g. an ``extensions`` property) are left alone; the final pass over
    the operation's errors scrubs what reaches the client.
    """
    if not _leaks(session, exc):
        return
    exc.args = tuple(session.scrub(arg) if isinstance(arg, str) else arg for arg in exc.args) or (
        session.scrub(str(exc)),
    )
    message = getattr(exc, "message", None)
    if isinstance(message, str):
        with contextlib.suppress(AttributeError, TypeError):
            exc.message = session.scrub(message)  # type: ignore[attr-defined]
    extensions = _extensions_of(exc)
    if extensions is not None:
        with contextlib.suppress(AttributeError, TypeError):
            exc.extensions = _scrub_value(session, extensions)  # type: ignore[attr-defined]


def _extensions_of(exc: BaseException) -> dict[str, Any] | None:
    extensions = getattr(exc, "extensions", None)
    return extensions if isinstance(extensions, dict) else None
