"""``POST /graphql`` on a lean ASGI path, past FastAPI's routing, dependencies and view layers.

Every operation the router sends is a ``POST`` with a JSON body, so that request gets a short
path (:class:`SubgraphApp` dispatches it to :class:`GraphQLEndpoint`): read the body, verify the
internal token (401 before anything else), open the unit of work, build the context, let the
schema execute (its extensions still run: encryption session, error rendering), commit or roll
back, then answer with the JSON body, encoded by orjson. What it saves per request, against
FastAPI's dependency resolution and Strawberry's HTTP view: see ADR 0018.

It is the same pipeline as the FastAPI route it stands in front of (same authentication, unit of
work and context, :func:`build_context`), and that route still serves everything else: ``GET``,
other content types, batches, streaming ``Accept`` headers, a body that is not one JSON operation.
Those requests are handed over with their body replayed, so both paths answer alike.

Per-request hooks (tracing, metrics) go in one of two places, which both paths share: ASGI
middleware added with ``app.add_middleware`` (the lean path is built through the app's user
middleware, as on the router), or a Strawberry schema extension (``create_schema(extensions=)``).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import orjson
from fastapi import FastAPI
from fastapi.middleware.asyncexitstack import AsyncExitStackMiddleware
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.exceptions import MissingQueryError
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.graphql import OperationType

from crypto import INTERNAL_TOKEN_HEADER, REQUEST_ID_HEADER

from .authentication import UNAUTHENTICATED_ERRORS, AuthenticationFailed, Caller, verify_caller
from .context import SubgraphContext
from .observability import note_caller, note_operation
from .unit_of_work import UnitOfWork, open_unit_of_work

if TYPE_CHECKING:
    from strawberry.types import ExecutionResult

    from .schema import SubgraphSchema
    from .state import SubgraphState

__all__ = ["GraphQLEndpoint", "SubgraphApp", "build_context"]

log = logging.getLogger(__name__)

_POST_OPERATIONS = OperationType.from_http("POST")
_TOKEN_HEADER = INTERNAL_TOKEN_HEADER.lower().encode("latin-1")
_REQUEST_ID_HEADER = REQUEST_ID_HEADER.lower().encode("latin-1")
_JSON_HEADERS = [(b"content-type", b"application/json")]
_TEXT_HEADERS = [(b"content-type", b"text/plain; charset=utf-8")]
_INTERNAL_ERROR = orjson.dumps(
    {
        "errors": [
            {"message": "Internal server error.", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}
        ]
    }
)
_UNAUTHENTICATED = orjson.dumps(UNAUTHENTICATED_ERRORS)
# Accept values that ask Strawberry's view for a streamed answer: left to it.
_STREAMING = (b"multipart/mixed", b"text/event-stream")
_OPERATION_KEYS = frozenset({"query", "variables", "operationName", "extensions"})


def build_context(state: SubgraphState, caller: Caller, work: UnitOfWork) -> SubgraphContext:
    """Return the request's context (both HTTP paths build it here, and only here)."""
    context = SubgraphContext(
        session=work.session,
        encryption_services=state.encryption_services,
        settings=state.settings,
        transaction=work.transaction,
        owners={
            name: owner.with_token(caller.token, caller.principal.request_id)
            for name, owner in state.owners.items()
        },
        principal=caller.principal,
    )
    work.context = context
    return context


def _operation(body: bytes) -> dict[str, Any] | None:
    """Return the body as one operation, or ``None`` when Strawberry's view should judge it."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("query"), str):
        return None
    if not data.keys() <= _OPERATION_KEYS:
        return None
    if not isinstance(data.get("variables"), dict | None):
        return None
    if not isinstance(data.get("extensions"), dict | None):
        return None
    if not isinstance(data.get("operationName"), str | None):
        return None
    return data


def encode_result(result: ExecutionResult) -> bytes:
    """Return the JSON body of a result, shaped as Strawberry's ``process_result`` shapes it."""
    payload: dict[str, Any] = {"data": result.data}
    if result.errors:
        payload["errors"] = [error.formatted for error in result.errors]
    if result.extensions:
        payload["extensions"] = result.extensions
    return orjson.dumps(payload)


async def _respond(
    send: Send,
    status: int,
    body: bytes,
    headers: list[tuple[bytes, bytes]] = _JSON_HEADERS,
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*headers, (b"content-length", str(len(body)).encode("latin-1"))],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away
            raise ConnectionError("client disconnected")
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """Return a ``receive`` that hands ``body`` over again, then waits on the real one."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


class GraphQLEndpoint:
    """The lean ``POST /graphql`` (see the module docstring); ``fallback`` serves the rest."""

    def __init__(self, schema: SubgraphSchema, fallback: ASGIApp) -> None:
        self.schema = schema
        self.fallback = fallback

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state: SubgraphState = scope["app"].state.subgraph
        token = request_id = None
        for name, value in scope["headers"]:
            if name == _TOKEN_HEADER:
                token = value.decode("latin-1")
            elif name == _REQUEST_ID_HEADER:
                request_id = value.decode("latin-1")
        try:
            # First: an unauthenticated request is refused before the body is read or a
            # session opened (as on the FastAPI route, where this is the first dependency).
            caller = verify_caller(state.internal_token_keys, token, request_id)
        except AuthenticationFailed:
            headers = [*_JSON_HEADERS, (b"www-authenticate", INTERNAL_TOKEN_HEADER.encode())]
            await _respond(send, 401, _UNAUTHENTICATED, headers)
            return
        note_caller(caller.principal.sub)
        try:
            body = await _read_body(receive)
        except ConnectionError:
            return
        operation = _operation(body)
        if operation is None:
            await self.fallback(scope, _replaying(body, receive), send)
            return
        try:
            async with open_unit_of_work(state) as work:
                result = await self.schema.execute(
                    operation["query"],
                    variable_values=operation.get("variables"),
                    context_value=build_context(state, caller, work),
                    operation_name=operation.get("operationName"),
                    allowed_operation_types=_POST_OPERATIONS,
                    operation_extensions=operation.get("extensions"),
                )
        except (CannotGetOperationTypeError, InvalidOperationTypeError) as exc:
            reason = (
                exc.as_http_error_reason("POST")
                if isinstance(exc, InvalidOperationTypeError)
                else exc.as_http_error_reason()
            )
            await _respond(send, 400, reason.encode(), _TEXT_HEADERS)
            return
        except MissingQueryError:  # pragma: no cover - _operation requires a query string
            await _respond(send, 400, b"No GraphQL query found in the request")
            return
        note_operation(
            operation.get("operationName"), errors=bool(result.errors), data=result.data is not None
        )
        # Encoded after the unit of work: the answer leaves only once its transaction is settled.
        await _respond(send, 200, encode_result(result))


class SubgraphApp(FastAPI):
    """The subgraph's FastAPI app, with ``POST /graphql`` (JSON) on :class:`GraphQLEndpoint`.

    The lean endpoint is built with the app's user middleware around it (same classes, same
    arguments), so middleware added with ``add_middleware`` sees both paths; everything else,
    and everything when the app has ``debug``, a ``root_path`` or a 500/``Exception`` handler
    of its own, takes FastAPI's path.
    """

    graphql_path = "/graphql"
    graphql_schema: SubgraphSchema | None = None
    _graphql_stack: ASGIApp | None = None

    def build_middleware_stack(self) -> ASGIApp:
        stack = super().build_middleware_stack()
        self._graphql_stack = None
        if self.graphql_schema is not None and not (
            self.debug
            or self.root_path
            or 500 in self.exception_handlers
            or Exception in self.exception_handlers
        ):
            # A request the lean endpoint hands over has been through the user middleware once
            # already: it goes on through FastAPI's inner layers only (exception handlers, the
            # exit stack of dependencies with ``yield``), then the routes.
            handlers = {key: value for key, value in self.exception_handlers.items()}
            fallback = ExceptionMiddleware(AsyncExitStackMiddleware(self.router), handlers=handlers)
            endpoint: ASGIApp = GraphQLEndpoint(self.graphql_schema, fallback=fallback)
            for cls, args, kwargs in reversed(self.user_middleware):
                endpoint = cls(endpoint, *args, **kwargs)
            self._graphql_stack = endpoint
        return stack

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.middleware_stack is None:
            self.middleware_stack = self.build_middleware_stack()
        stack = self._graphql_stack
        if (
            stack is None
            or scope["type"] != "http"
            or scope["method"] != "POST"
            or scope["path"] != self.graphql_path
            or scope.get("root_path")
            or not _is_plain_json(scope)
        ):
            await super().__call__(scope, receive, send)
            return
        scope["app"] = self
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await stack(scope, receive, tracked)
        except Exception:
            # What Starlette's error layer does on the other routes: a 500 when nothing was sent
            # yet, and the exception goes on to the server, which logs it.
            if not started:
                await _respond(send, 500, _INTERNAL_ERROR)
            raise


def _is_plain_json(scope: Scope) -> bool:
    """Tell whether the request has a JSON body and asks for no streamed answer."""
    json_body = False
    for name, value in scope["headers"]:
        if name == b"content-type":
            json_body = value.split(b";", 1)[0].strip().lower() == b"application/json"
        elif name == b"accept" and any(kind in value for kind in _STREAMING):
            return False
    return json_body
