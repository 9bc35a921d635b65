"""The router's front door: one ASGI middleware in front of ``/graphql`` and ``/api/*``.

In order, for each request to those paths:

1. body size (``413 PAYLOAD_TOO_LARGE``), read at most once and replayed to the endpoint;
2. CSRF prevention on ``/graphql`` (``400 BAD_REQUEST``, see :mod:`router.limits.csrf`);
3. authentication: ``Authorization: Bearer <JWT>`` (``401 UNAUTHENTICATED`` with
   ``WWW-Authenticate``), so an anonymous caller learns nothing about limits or the schema;
   skipped when authentication is off (``ROUTER_AUTH_MODE=off``: no verifier);
4. operation limits on ``/graphql`` (depth, aliases, tokens, page size, introspection:
   ``400`` with the code of :mod:`router.limits.checks`);
5. identity for the subgraphs: the caller's ``X-Internal-Token`` (minted, or reused while it has
   half its life left: :class:`~router.auth.internal.InternalTokenSigner`) and an
   ``X-Request-Id`` replace whatever the client sent under those names, and the endpoint forwards
   them (``RouterSettings.forward_headers``); the client's ``Authorization`` is never forwarded.
   The response carries the same ``X-Request-Id``. With authentication off, the internal token
   is minted only when a signing key is configured, for one fixed identity (``anonymous``); a
   client's own ``X-Internal-Token`` is dropped either way.

The GraphiQL page itself (``GET /graphql`` without ``query``) needs no token (a browser cannot
send one on navigation) and is ``404`` when GraphiQL is switched off. Other paths (``/healthz``,
``/readyz``, ``/openapi.json``, ``/docs``, assets) pass untouched.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from starlette.datastructures import Headers, QueryParams
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crypto import is_valid_request_id
from router.auth.internal import InternalTokenSigner
from router.auth.verifier import AuthenticationError, Caller, TokenVerifier
from router.http.protocol import (
    BadRequest,
    GraphQLParams,
    accepts_html,
    params_from_json_body,
    params_from_query_string,
)
from router.limits import CSRF_MESSAGE, Limits, LimitViolation, check_operation, is_csrf_risk
from router.security.responses import graphql_refusal, rest_refusal
from telemetry import current_request

__all__ = ["CALLER_STATE_KEY", "SecurityMiddleware"]

log = logging.getLogger(__name__)

CALLER_STATE_KEY = "caller"
INTERNAL_TOKEN = b"x-internal-token"
REQUEST_ID = b"x-request-id"
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_NO_QUERY_PARAMS = QueryParams(b"")


class _Refused(Exception):
    def __init__(self, status: int, code: str, message: str, *, has_token: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.has_token = has_token


class SecurityMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        verifier: TokenVerifier | None,
        signer: InternalTokenSigner | None,
        limits: Limits,
        anonymous: Caller | None = None,
        csrf_prevention: bool = True,
        graphiql: bool = True,
        graphql_path: str = "/graphql",
        rest_prefix: str = "/api/",
    ) -> None:
        self.app = app
        self._verifier = verifier
        self._signer = signer
        self._limits = limits
        self._anonymous = anonymous
        self._csrf = csrf_prevention
        self._graphiql = graphiql
        self._graphql_path = graphql_path
        self._rest_prefix = rest_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        is_graphql = path == self._graphql_path
        if not is_graphql and not path.startswith(self._rest_prefix):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        method: str = scope["method"]
        query_string: bytes = scope.get("query_string", b"")
        query_params = QueryParams(query_string) if query_string else _NO_QUERY_PARAMS
        if is_graphql and method in ("GET", "HEAD") and "query" not in query_params:
            # The GraphiQL page (or a 400 for a missing query): no operation runs.
            if not self._graphiql and accepts_html(headers.get("accept")):
                await Response("Not Found", status_code=404)(scope, receive, send)
                return
            await self.app(_without_identity(scope), receive, send)
            return
        try:
            body = await self._body(method, headers, receive)
            if is_graphql and self._csrf and is_csrf_risk(method, headers):
                raise _Refused(400, "BAD_REQUEST", CSRF_MESSAGE)
            verifier = self._verifier
            caller = self._anonymous if verifier is None else await _authenticate(verifier, headers)
            if caller is not None and (record := current_request.get()) is not None:
                record.subject = caller.sub  # for the access log (telemetry, ADR 0020)
            if is_graphql:
                self._check_limits(method, headers, body, query_params)
        except _Refused as refused:
            response = self._refusal(refused, is_graphql, headers, path)
            await response(scope, receive, send)
            return
        inner, request_id = self._with_identity(scope, headers, caller)
        await self.app(inner, _replay(body, receive), _tagged(send, request_id))

    async def _body(self, method: str, headers: Headers, receive: Receive) -> bytes | None:
        if method not in _BODY_METHODS:
            return None
        limit = self._limits.max_body_bytes
        declared = headers.get("content-length")
        if limit and declared is not None and declared.isdigit() and int(declared) > limit:
            raise _Refused(413, "PAYLOAD_TOO_LARGE", _too_large(limit))
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if limit and size > limit:
                raise _Refused(413, "PAYLOAD_TOO_LARGE", _too_large(limit))
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    def _check_limits(
        self, method: str, headers: Headers, body: bytes | None, query_params: QueryParams
    ) -> None:
        params: GraphQLParams
        try:
            if method == "POST":
                params = params_from_json_body(headers.get("content-type"), body or b"")
            else:
                params = params_from_query_string(query_params)
        except BadRequest:
            return  # the endpoint answers a malformed request with its own error
        try:
            check_operation(self._limits, params.query, params.variables, params.operation_name)
        except LimitViolation as violation:
            raise _Refused(violation.status, violation.code, violation.message) from None

    def _with_identity(
        self, scope: Scope, headers: Headers, caller: Caller | None
    ) -> tuple[Scope, str]:
        incoming = headers.get("x-request-id")
        request_id = (
            incoming
            if incoming is not None and is_valid_request_id(incoming)
            else os.urandom(16).hex()  # as random as a uuid4, and a quarter of its cost
        )
        forwarded = [
            (name, value)
            for name, value in scope["headers"]
            if name not in (INTERNAL_TOKEN, REQUEST_ID)
        ]
        if caller is not None and self._signer is not None:
            forwarded.append((INTERNAL_TOKEN, self._signer.mint(caller).encode("ascii")))
        forwarded.append((REQUEST_ID, request_id.encode("ascii")))
        state: dict[str, Any] = dict(scope.get("state") or {})
        if caller is not None:
            state[CALLER_STATE_KEY] = caller
        return {**scope, "headers": forwarded, "state": state}, request_id

    def _refusal(
        self, refused: _Refused, is_graphql: bool, headers: Headers, path: str
    ) -> Response:
        if is_graphql:
            return graphql_refusal(
                refused.status,
                refused.code,
                refused.message,
                headers.get("accept"),
                has_token=refused.has_token,
            )
        return rest_refusal(
            refused.status, refused.code, refused.message, path, has_token=refused.has_token
        )


async def _authenticate(verifier: TokenVerifier, headers: Headers) -> Caller:
    value = headers.get("authorization")
    if value is None:
        raise _Refused(401, "UNAUTHENTICATED", "A bearer token is required (Authorization).")
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _Refused(
            401,
            "UNAUTHENTICATED",
            "The Authorization header must be 'Bearer <token>'.",
            has_token=True,
        )
    try:
        return await verifier.verify(token.strip())
    except AuthenticationError as exc:
        log.info("caller token refused: %s", exc.reason)
        raise _Refused(401, "UNAUTHENTICATED", exc.message, has_token=True) from None


def _tagged(send: Send, request_id: str) -> Send:
    # The response names the request id the subgraphs (and their access audit) saw, so a client
    # or an operator can find a request's traces from either end.
    encoded = request_id.encode("ascii")

    async def tagged(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [h for h in message.get("headers", []) if h[0].lower() != REQUEST_ID]
            message = {**message, "headers": [*headers, (REQUEST_ID, encoded)]}
        await send(message)

    return tagged


def _without_identity(scope: Scope) -> Scope:
    # Whatever reaches an endpoint under the internal token's name was put there by this layer.
    headers = [(name, value) for name, value in scope["headers"] if name != INTERNAL_TOKEN]
    return {**scope, "headers": headers}


def _too_large(limit: int) -> str:
    return f"The request body is larger than {limit} bytes."


def _replay(body: bytes | None, receive: Receive) -> Receive:
    if body is None:
        return receive
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
