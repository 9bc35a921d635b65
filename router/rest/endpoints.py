"""The REST endpoints: create, read and change each resource through its fixed GraphQL operation.

Every write first checks that one of the caller's roles may make it at all (a 403 before any 400
or 422, see ``WriteRule``). Every handler then reads its own body (so amounts are parsed exactly,
see ``values``), validates it with the resource's request model, runs the operation through the
router's gateway with the same headers a GraphQL client's request would forward, and renders
either the REST representation or one problem document. Routes are added per resource by
:func:`add_resource_routes`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import quote

import orjson
from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError

from router.execution import RequestContext
from router.rest.idempotency import IdempotencyStore, Reserved, StoredResponse, request_fingerprint
from router.rest.naming import camel_to_snake
from router.rest.openapi import (
    IDEMPOTENCY_KEY,
    REPLAYED_HEADER,
    create_responses,
    idempotency_parameter,
    read_responses,
    request_body,
    update_responses,
)
from router.rest.problems import FieldError, Problem, problem_from_graphql_errors, problem_response
from router.rest.resources import Resource, WriteRule
from router.rest.values import MalformedBody, parse_json_body

if TYPE_CHECKING:
    # Not imported at run time: router.http imports this package to mount it.
    from router.http.state import RouterState

__all__ = ["REST_STATE_KEY", "add_resource_routes", "rest_store"]

REST_STATE_KEY = "rest_idempotency"
_KEY_TEXT = re.compile(r"^[\x21-\x7e]{1,255}\Z")
_ID_TEXT = re.compile(r"^[A-Za-z0-9_-]{1,64}\Z")
_JSON_MEDIA = re.compile(r"^application/(?:[\w.+-]+\+)?json\Z")

Handler = Callable[..., Awaitable[Response]]


def rest_store(request: Request) -> IdempotencyStore:
    """Return the idempotency store that the REST router's lifespan opened."""
    store = getattr(request.app.state, REST_STATE_KEY, None)
    if not isinstance(store, IdempotencyStore):  # pragma: no cover - only outside the lifespan
        raise RuntimeError("the REST shims were not started through the app's lifespan")
    return store


def router_state(request: Request) -> RouterState:
    """Return the router's state (gateway, settings) that the app's lifespan set."""
    state: RouterState = request.app.state.router
    return state


async def _json_body(request: Request) -> dict[str, Any]:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not _JSON_MEDIA.match(media_type):
        raise Problem(
            "MALFORMED_REQUEST", "The request body must be JSON (Content-Type: application/json)."
        )
    try:
        return parse_json_body(await request.body())
    except MalformedBody as exc:
        raise Problem("MALFORMED_REQUEST", f"Malformed request body: {exc}.") from None


def _field(location: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in location) or "body"


def _validated(model: type[BaseModel], body: dict[str, Any]) -> BaseModel:
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        errors = [
            FieldError(_field(error["loc"]), error["msg"].removeprefix("Value error, "))
            for error in exc.errors(include_input=False, include_url=False)
        ]
        raise Problem("BAD_USER_INPUT", "Invalid input.", errors) from None


def _idempotency_key(request: Request, *, required: bool) -> str | None:
    key = request.headers.get(IDEMPOTENCY_KEY)
    if key is None:
        if required:
            raise Problem(
                "IDEMPOTENCY_KEY_REQUIRED",
                f"This request needs an {IDEMPOTENCY_KEY} header (a unique value per new entity).",
            )
        return None
    if not _KEY_TEXT.match(key):
        raise Problem(
            "IDEMPOTENCY_KEY_INVALID",
            f"{IDEMPOTENCY_KEY} must be 1 to 255 visible ASCII characters.",
        )
    return key


def _context(request: Request, state: RouterState) -> RequestContext:
    # Imported here for the reason RouterState is: router.http imports this package.
    from router.http.endpoints import request_context

    return request_context(state, request.headers)


async def _execute(request: Request, document: str, variables: dict[str, Any]) -> dict[str, Any]:
    # The state is read once: a supergraph reload meanwhile does not split this request.
    state = router_state(request)
    outcome = await state.gateway.execute(document, variables, None, _context(request, state))
    return outcome.response


async def _run(
    request: Request, document: str, variables: dict[str, Any], field: str
) -> dict[str, Any] | None:
    response = await _execute(request, document, variables)
    errors = response.get("errors")
    if errors:
        raise problem_from_graphql_errors(errors)
    data = response.get("data") or {}
    node = data.get(field)
    return node if isinstance(node, dict) else None


def _json(body: dict[str, Any], status_code: int, location: str | None = None) -> Response:
    headers = {"location": location} if location else None
    return Response(
        orjson.dumps(body), status_code=status_code, media_type="application/json", headers=headers
    )


def _location(resource: Resource, entity_id: str) -> str:
    return f"{resource.path}/{quote(entity_id, safe='')}"


def _scope(request: Request, resource: Resource) -> str:
    # Keys belong to a caller: two clients choosing the same key must not see each other's answers.
    # The verified caller (the security layer puts it on the request state) is the stable identity:
    # a client that refreshes its token between two retries is still the same caller. Without
    # that layer, the Authorization header is the best identity there is.
    caller = getattr(request.state, "caller", None)
    subject = getattr(caller, "sub", None)
    identity = (
        f"sub:{subject}"
        if isinstance(subject, str)
        else ("authorization:" + request.headers.get("authorization", ""))
    )
    digest = hashlib.sha256(identity.encode("utf-8")).hexdigest()[:32]
    return f"POST {resource.path} {digest}"


def _operation_key(request: Request, resource: Resource, key: str | None) -> str | None:
    """Return the key handed to the create operation (``None``: the operation takes none)."""
    if key is None or not resource.key_in_input:
        return key
    # The subgraph's keys are global, the router's belong to (route, caller): a digest of both
    # keeps two callers' equal keys apart in the subgraph too, and is the same on every retry of
    # one caller, so the subgraph's own check holds when the router's store has lost the key.
    digest = hashlib.sha256(f"{_scope(request, resource)}\n{key}".encode()).hexdigest()
    return f"rest-{digest}"


def _authorize(request: Request, rule: WriteRule) -> None:
    """Refuse a write none of the caller's roles may ever make, before its body is looked at.

    A caller without a verified token here (the router's authentication switched off) is left to
    the subgraph, which decides every write in full anyway.
    """
    caller = getattr(request.state, "caller", None)
    roles = getattr(caller, "roles", None)
    if isinstance(roles, frozenset) and roles.isdisjoint(rule.roles):
        raise Problem("FORBIDDEN", f"Your role may not {rule.action}.", extra={"reason": "ROLE"})


async def _create(request: Request, resource: Resource) -> Response:
    _authorize(request, resource.create_rule)
    key = _idempotency_key(request, required=resource.key_in_operation)
    body = await _json_body(request)
    validated = _validated(resource.create_model, body)
    if key is None or resource.key_in_operation:
        return await _create_now(request, resource, validated, key)
    store = rest_store(request)
    found = await store.reserve(_scope(request, resource), key, request_fingerprint(body))
    if isinstance(found, StoredResponse):
        headers = {REPLAYED_HEADER: "true"}
        if found.location:
            headers["location"] = found.location
        return Response(
            found.body,
            status_code=found.status_code,
            media_type="application/json",
            headers=headers,
        )
    return await _create_once(request, resource, validated, key, store, found)


async def _create_once(
    request: Request,
    resource: Resource,
    validated: BaseModel,
    key: str,
    store: IdempotencyStore,
    reserved: Reserved,
) -> Response:
    try:
        response = await _create_now(request, resource, validated, key)
    except BaseException:
        await store.release(reserved)
        raise
    await store.complete(
        reserved,
        StoredResponse(
            response.status_code, response.headers.get("location"), bytes(response.body)
        ),
    )
    return response


async def _create_now(
    request: Request, resource: Resource, validated: BaseModel, key: str | None
) -> Response:
    node = await _run(
        request,
        resource.create_document,
        resource.create_variables(validated, _operation_key(request, resource, key)),
        resource.create_field,
    )
    if node is None:  # a non-null mutation field without errors: the router broke its contract
        raise Problem("INTERNAL_SERVER_ERROR", "The request could not be completed.")
    return _json(resource.to_rest(node), 201, _location(resource, str(node["id"])))


async def _read(request: Request, resource: Resource, entity_id: str) -> Response:
    response = await _execute(request, resource.read_document, {"id": entity_id})
    data = response.get("data") or {}
    node = data.get(resource.read_field)
    errors = response.get("errors") or []
    withheld = withheld_paths(errors, resource.read_field) if isinstance(node, dict) else None
    if errors and withheld is None:
        raise problem_from_graphql_errors(errors)
    if not isinstance(node, dict):
        # Ids are not sensitive, but a path can hold anything: quote only what looks like an id.
        shown = f" {entity_id}" if _ID_TEXT.match(entity_id) else ""
        raise Problem("NOT_FOUND", f"{resource.label}{shown} was not found.")
    for path in withheld or ():
        _drop(node, path)
    body = resource.to_rest(node)
    if withheld:
        # Issue 13.11: the resource without what this reader may not see, and which fields those
        # are, rather than refusing the whole resource.
        body["withheld_fields"] = sorted({_rest_name(path) for path in withheld})
    return _json(body, 200)


def withheld_paths(errors: list[dict[str, Any]], field: str) -> list[tuple[str | int, ...]] | None:
    """Return where sensitive fields were refused for want of a scope, if that is all that failed.

    Each path is relative to the read's root ``field``. ``None`` when some error is anything else
    (the read then fails as a whole, as before).
    """
    paths: list[tuple[str | int, ...]] = []
    for error in errors:
        extensions = error.get("extensions") or {}
        path = error.get("path") or []
        if (
            extensions.get("code") != "FORBIDDEN"
            or extensions.get("reason") != "SCOPE"
            or len(path) < 2
            or path[0] != field
        ):
            return None
        paths.append(tuple(path[1:]))
    return paths


def _drop(node: Any, path: tuple[str | int, ...]) -> None:
    *parents, last = path
    for step in parents:
        if isinstance(node, dict) and isinstance(step, str):
            node = node.get(step)
        elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
            node = node[step]
        else:
            return
    if isinstance(node, dict) and isinstance(last, str):
        node.pop(last, None)


def _rest_name(path: tuple[str | int, ...]) -> str:
    return ".".join(camel_to_snake(step) for step in path if isinstance(step, str))


async def _update(request: Request, resource: Resource, entity_id: str) -> Response:
    _authorize(request, resource.update_rule)
    body = await _json_body(request)
    validated = _validated(resource.patch_model, body)
    node = await _run(
        request,
        resource.update_document,
        resource.update_variables(entity_id, validated),
        resource.update_field,
    )
    if node is None:  # pragma: no cover - see _create_now
        raise Problem("INTERNAL_SERVER_ERROR", "The request could not be completed.")
    return _json(resource.to_rest(node), 200)


async def _answer(request: Request, work: Awaitable[Response]) -> Response:
    try:
        return await work
    except Problem as problem:
        return problem_response(problem, request.url.path)


IdPath = Annotated[str, Path(description="The entity's id.")]


def add_resource_routes(router: APIRouter, resource: Resource) -> None:
    """Add ``POST /api/<name>``, ``GET`` and ``PATCH /api/<name>/{id}`` for ``resource``."""
    label = resource.label
    tag = resource.name

    async def create(request: Request) -> Response:
        return await _answer(request, _create(request, resource))

    async def read(request: Request, id: IdPath) -> Response:
        return await _answer(request, _read(request, resource, id))

    async def change(request: Request, id: IdPath) -> Response:
        return await _answer(request, _update(request, resource, id))

    key_doc = (
        "Required: a retry with the same key and body returns the first result and creates "
        "nothing; the same key with another body is a 409."
        if resource.key_in_operation
        else "Optional: a retry with the same key and body replays the first response "
        f"(with `{REPLAYED_HEADER}: true`); the same key with another body is a 409."
        + (
            " The subgraph also records the key, so a retry never creates a second entity "
            "(without the replay header if the router no longer holds the response)."
            if resource.key_in_input
            else ""
        )
    )
    router.add_api_route(
        resource.path,
        create,
        methods=["POST"],
        status_code=201,
        summary=f"Create a {label}",
        operation_id=f"create_{resource.name}",
        tags=[tag],
        responses=create_responses(resource.response_model),
        openapi_extra={
            "parameters": [
                idempotency_parameter(required=resource.key_in_operation, description=key_doc)
            ],
            "requestBody": request_body(resource.create_model),
        },
    )
    router.add_api_route(
        f"{resource.path}/{{id}}",
        read,
        methods=["GET"],
        summary=f"Read a {label}",
        operation_id=f"read_{resource.name}",
        tags=[tag],
        responses=read_responses(resource.response_model),
    )
    router.add_api_route(
        f"{resource.path}/{{id}}",
        change,
        methods=["PATCH"],
        summary=f"{resource.patch_verb} a {label}",
        description="Send the `version` you read and only the fields to change; a stale "
        "`version` is a 409.",
        operation_id=f"update_{resource.name}",
        tags=[tag],
        responses=update_responses(resource.response_model),
        openapi_extra={"requestBody": request_body(resource.patch_model)},
    )
