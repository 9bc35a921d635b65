"""HTTP endpoints: ``/graphql`` (GraphQL over HTTP and GraphiQL), ``/healthz`` and ``/readyz``.

Status codes follow the GraphQL-over-HTTP specification. With ``application/graphql-response+json``
a document that fails to parse or validate is a 400 and an executed operation is a 200 even when it
carries errors (partial data); with legacy ``application/json`` every well-formed request is a 200.
A request that is not well-formed (wrong content type, broken JSON, no query) is a 4xx either way.
"""

from __future__ import annotations

from typing import Any

import orjson
from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route, request_response
from starlette.types import Receive, Scope, Send

from router.execution import RequestContext
from router.http.graphiql import assets_installed, graphiql_page, missing_assets_page
from router.http.health import check_subgraphs
from router.http.protocol import (
    APPLICATION_JSON,
    GRAPHQL_RESPONSE_JSON,
    BadRequest,
    GraphQLParams,
    accepts_html,
    error_body,
    negotiate_media_type,
    params_from_json_body,
    params_from_query_string,
)
from router.http.state import RouterState, router_state

PLAN_HEADER = "x-debug-plan"
QUERIES_ONLY = frozenset({"query"})


class GraphQLPost:
    """``POST /graphql`` as a plain ASGI app.

    It is the router's hot path, so it takes the raw ASGI scope rather than a Starlette
    ``Request`` and is reached without Starlette's routing and exception layers
    (:class:`router.http.app.RouterApp`); as a ``Route`` endpoint it also works behind them.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope)
        response = await self._respond(scope["app"].state.router, headers, receive)
        await response(scope, receive, send)

    async def _respond(self, state: RouterState, headers: Headers, receive: Receive) -> Response:
        media_type = negotiate_media_type(headers.get("accept"))
        if media_type is None:
            return _not_acceptable()
        try:
            params = params_from_json_body(headers.get("content-type"), await _body(receive))
        except BadRequest as exc:
            return _bad_request(exc, media_type)
        return await _execute(state, headers, params, media_type, allowed=None)


async def _body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def graphql_get(request: Request) -> Response:
    accept = request.headers.get("accept")
    if "query" not in request.query_params and accepts_html(accept):
        return _graphiql(router_state(request))
    media_type = negotiate_media_type(accept)
    if media_type is None:
        return _not_acceptable()
    try:
        params = params_from_query_string(request.query_params)
    except BadRequest as exc:
        return _bad_request(exc, media_type)
    kind = _operation_kind(params)
    if kind is not None and kind != "query":
        # GET must not change state: the spec makes this a 405 pointing the client at POST.
        return Response(
            error_body(
                f"Only queries may be sent with GET; send this {kind} with POST.",
                "METHOD_NOT_ALLOWED",
            ),
            status_code=405,
            media_type=media_type,
            headers={"allow": "POST"},
        )
    return await _execute(
        router_state(request), request.headers, params, media_type, allowed=QUERIES_ONLY
    )


async def healthz(_request: Request) -> Response:
    return _json({"status": "ok"})


async def readyz(request: Request) -> Response:
    state = router_state(request)
    results = await check_subgraphs(
        state.transport,
        state.subgraph_urls,
        state.settings.readiness_timeout,
        _probe_context(request),
    )
    failed = {name: reason for name, reason in results.items() if reason is not None}
    # Degraded, not unready: with some subgraphs down the router still answers everything that
    # does not need them (nullable cross-subgraph fields, ADR 0023), so a load balancer must keep
    # sending traffic. Only a router that reaches no subgraph at all is unavailable.
    status = "ok" if not failed else "unavailable" if len(failed) == len(results) else "degraded"
    body: dict[str, object] = {
        "status": status,
        "subgraphs": {name: reason or "ok" for name, reason in results.items()},
    }
    if failed:
        body["degraded"] = sorted(failed)
    breakers = getattr(state.transport, "breakers", None)
    if callable(breakers):
        body["circuits"] = {name: snap.state.value for name, snap in sorted(breakers().items())}
    return _json(body, status_code=503 if status == "unavailable" else 200)


def _probe_context(request: Request) -> RequestContext:
    # Subgraphs refuse requests without an internal token: the probe carries the router's own
    # (no role, no scope), minted by the security layer's signer (router/security/install.py).
    signer = getattr(request.app.state, "internal_token_signer", None)
    if signer is None:  # an app built without the security layer
        return RequestContext()
    return RequestContext(headers={"x-internal-token": signer.mint_for_router("readiness")})


async def _execute(
    state: RouterState,
    headers: Headers,
    params: GraphQLParams,
    media_type: str,
    allowed: frozenset[str] | None,
) -> Response:
    context = request_context(state, headers)
    outcome = await state.gateway.execute(
        params.query,
        params.variables,
        params.operation_name,
        context,
        allowed_operation_kinds=allowed,
    )
    body = outcome.response
    if outcome.phase == "execute" and _wants_plan(headers, state):
        plan = state.gateway.plan(params.query, params.operation_name)
        body = {**body, "extensions": {**body.get("extensions", {}), "queryPlan": str(plan)}}
    return Response(
        orjson.dumps(body),
        status_code=_status(outcome.phase, body, media_type),
        media_type=media_type,
    )


def request_context(state: RouterState, headers: Headers) -> RequestContext:
    """Return what travels to the subgraphs with this request: its headers, by the rules."""
    plan = state.header_plan
    return RequestContext(
        headers=plan.headers(headers),
        request_id=headers.get("x-request-id"),
        subgraph_headers=plan.subgraph_headers(headers) if plan.per_subgraph else {},
    )


def _status(phase: str, body: dict[str, Any], media_type: str) -> int:
    if media_type == APPLICATION_JSON or "data" in body:
        return 200
    # graphql-response+json without data: the request failed before execution.
    return 400 if phase in ("parse", "validate") else 500


def _wants_plan(headers: Headers, state: RouterState) -> bool:
    if not state.expose_query_plan:
        return False
    return headers.get(PLAN_HEADER, "").strip().lower() in ("1", "true", "yes")


def _operation_kind(params: GraphQLParams) -> str | None:
    # Only to refuse mutations over GET early; a broken or ambiguous document is left to the
    # gateway, which reports it with the proper GraphQL error.
    try:
        document = parse(params.query)
    except GraphQLError:
        return None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if params.operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == params.operation_name]
    if len(operations) != 1:
        return None
    operation: OperationType = operations[0].operation
    return operation.value


def _graphiql(state: RouterState) -> Response:
    if assets_installed(state.graphiql_assets_dir):
        return HTMLResponse(graphiql_page())
    return HTMLResponse(missing_assets_page(state.graphiql_assets_dir), status_code=503)


def _bad_request(exc: BadRequest, media_type: str) -> Response:
    return Response(
        error_body(exc.message, exc.code), status_code=exc.status, media_type=media_type
    )


def _not_acceptable() -> Response:
    message = f"Accept must allow {GRAPHQL_RESPONSE_JSON} or {APPLICATION_JSON}."
    return Response(
        error_body(message, "NOT_ACCEPTABLE"), status_code=406, media_type=APPLICATION_JSON
    )


# Plain Starlette routes inside the FastAPI app: these endpoints take the raw request and need none
# of FastAPI's parameter resolution, which cost ~0.1 ms per request on the hot path.
# ``RouterApp`` sends POST /graphql straight to GRAPHQL_POST; the one /graphql route here serves
# both methods behind Starlette's layers (so a 405 names both in ``Allow``).
GRAPHQL_POST = GraphQLPost()
_GRAPHQL_GET = request_response(graphql_get)


class _GraphQLRoute:
    # A class, not a function: Starlette treats a function endpoint as a request handler.
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] == "POST":
            await GRAPHQL_POST(scope, receive, send)
        else:
            await _GRAPHQL_GET(scope, receive, send)


ROUTES = [
    Route("/graphql", _GraphQLRoute(), methods=["GET", "POST"], include_in_schema=False),
    Route("/healthz", healthz, methods=["GET"], include_in_schema=False),
    Route("/readyz", readyz, methods=["GET"], include_in_schema=False),
]


def _json(body: dict[str, Any], status_code: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status_code, media_type=APPLICATION_JSON)
