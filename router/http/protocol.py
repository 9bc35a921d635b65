"""GraphQL-over-HTTP request parsing and content negotiation, as pure functions.

Follows the GraphQL-over-HTTP specification: a request carries ``query``, ``variables``,
``operationName`` and ``extensions`` (JSON body for POST, URL parameters for GET); the response is
``application/graphql-response+json`` when the client accepts it, ``application/json`` otherwise.
Problems with the request itself (not with the GraphQL document) are ``BadRequest`` with a message
that tells the client what to fix.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
APPLICATION_JSON = "application/json"


class BadRequest(Exception):
    """The HTTP request is not a well-formed GraphQL-over-HTTP request."""

    def __init__(self, message: str, *, status: int = 400, code: str = "BAD_REQUEST") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code


@dataclass(frozen=True, slots=True)
class GraphQLParams:
    query: str
    variables: dict[str, Any] | None = None
    operation_name: str | None = None
    extensions: dict[str, Any] | None = None


def negotiate_media_type(accept: str | None) -> str | None:
    """Choose the response media type for an ``Accept`` header; ``None`` if nothing fits.

    No ``Accept`` header means a legacy client: it gets ``application/json``, as the specification
    recommends. Wildcards (``*/*``, ``application/*``, what curl and many HTTP libraries send) get
    ``application/json`` too, like the reference implementation (graphql-http) and Hive Gateway: a
    client must ask for ``application/graphql-response+json`` to get its 4xx status codes.
    """
    if accept is None or not accept.strip():
        return APPLICATION_JSON
    ranges: list[tuple[float, int, str]] = []
    for index, item in enumerate(accept.split(",")):
        parts = [part.strip() for part in item.split(";")]
        media = parts[0].lower()
        quality = 1.0
        for parameter in parts[1:]:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media and quality > 0:
            ranges.append((-quality, index, media))
    for _, _, media in sorted(ranges):
        if media == GRAPHQL_RESPONSE_JSON:
            return GRAPHQL_RESPONSE_JSON
        if media == APPLICATION_JSON:
            return APPLICATION_JSON
        if media in ("*/*", "application/*"):
            return APPLICATION_JSON
    return None


def accepts_html(accept: str | None) -> bool:
    """Tell whether the client is a browser asking for a page (accepts ``text/html``)."""
    if not accept:
        return False
    return any(item.split(";")[0].strip().lower() == "text/html" for item in accept.split(","))


def params_from_json_body(content_type: str | None, body: bytes) -> GraphQLParams:
    """Parse a POST body; raise ``BadRequest`` (415 for a wrong content type, else 400)."""
    media = (content_type or "").split(";")[0].strip().lower()
    if media != APPLICATION_JSON:
        shown = media or "none"
        raise BadRequest(
            f"Content-Type must be application/json for POST requests (got {shown}).",
            status=415,
            code="UNSUPPORTED_MEDIA_TYPE",
        )
    try:
        decoded = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"The request body is not valid JSON: {exc}.") from exc
    if not isinstance(decoded, dict):
        raise BadRequest(
            "The request body must be a JSON object with a 'query' string "
            f"(got a JSON {_json_kind(decoded)})."
        )
    return _params(decoded, variables_as_text=False)


def params_from_query_string(arguments: Mapping[str, str]) -> GraphQLParams:
    """Parse GET URL parameters (``variables`` and ``extensions`` are JSON-encoded strings)."""
    return _params(dict(arguments), variables_as_text=True)


def _params(raw: dict[str, Any], *, variables_as_text: bool) -> GraphQLParams:
    query = raw.get("query")
    if query is None:
        raise BadRequest("The 'query' parameter is required.")
    if not isinstance(query, str):
        raise BadRequest(
            f"The 'query' parameter must be a string (got a JSON {_json_kind(query)})."
        )
    operation_name = raw.get("operationName")
    if operation_name == "" and variables_as_text:
        operation_name = None
    if operation_name is not None and not isinstance(operation_name, str):
        raise BadRequest("The 'operationName' parameter must be a string or null.")
    variables = _object_parameter(raw, "variables", variables_as_text)
    extensions = _object_parameter(raw, "extensions", variables_as_text)
    return GraphQLParams(query, variables, operation_name, extensions)


def _object_parameter(raw: dict[str, Any], name: str, as_text: bool) -> dict[str, Any] | None:
    value = raw.get(name)
    if as_text and isinstance(value, str):
        if not value:
            return None
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError as exc:
            raise BadRequest(f"The '{name}' parameter is not valid JSON: {exc}.") from exc
    if value is None:
        return None
    if not isinstance(value, dict):
        raise BadRequest(
            f"The '{name}' parameter must be a JSON object or null "
            f"(got a JSON {_json_kind(value)})."
        )
    return value


def _json_kind(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if value is None:
        return "null"
    return "object"


def error_body(message: str, code: str) -> bytes:
    """Encode a request-level error as a GraphQL response without ``data``."""
    return orjson.dumps({"errors": [{"message": message, "extensions": {"code": code}}]})
