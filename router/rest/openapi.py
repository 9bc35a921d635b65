"""The REST shims' OpenAPI document and its HTML reference page (``/openapi.json``, ``/docs``).

FastAPI documents paths, parameters and responses from the routes; the request bodies are added
here from the same pydantic models the handlers validate with (the handlers read bodies themselves,
to keep amounts exact, so FastAPI never sees those models). Error responses are documented as
``application/problem+json``. The reference page is rendered on the server from this document, so
it needs no script or stylesheet from the internet.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema
from starlette.routing import BaseRoute

from router.rest.problems import PROBLEM_JSON, ProblemDetails

__all__ = [
    "IDEMPOTENCY_KEY",
    "REPLAYED_HEADER",
    "build_openapi",
    "create_responses",
    "docs_page",
    "idempotency_parameter",
    "read_responses",
    "request_body",
    "update_responses",
]

IDEMPOTENCY_KEY = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
_REF = "#/components/schemas/{model}"

_PROBLEM_DESCRIPTIONS = {
    400: "Malformed request: not JSON, not an object, or a missing or invalid Idempotency-Key.",
    401: "No valid bearer token (`WWW-Authenticate` says why).",
    403: "The caller may not do this.",
    404: "No entity with this id.",
    409: "Conflict: stale `version`, a duplicate (e.g. e-mail), or an Idempotency-Key clash.",
    413: "The request body is too large.",
    422: "Invalid input or a refused change; `errors` lists each bad field.",
    500: "Internal error.",
    503: "A service this request needs is unavailable; retry after `Retry-After` seconds.",
}


def idempotency_parameter(*, required: bool, description: str) -> dict[str, Any]:
    """Describe the ``Idempotency-Key`` header parameter of a POST."""
    return {
        "name": IDEMPOTENCY_KEY,
        "in": "header",
        "required": required,
        "description": description,
        "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"^[!-~]+$"},
    }


def request_body(model: type[BaseModel]) -> dict[str, Any]:
    """Describe a required JSON body of ``model`` (build_openapi adds it to components)."""
    return {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": _REF.format(model=model.__name__)}}},
    }


def _problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    responses: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        response: dict[str, Any] = {
            "model": ProblemDetails,
            "description": _PROBLEM_DESCRIPTIONS[status],
        }
        if status == 401:
            response["headers"] = {
                "WWW-Authenticate": {
                    "description": "The bearer challenge (RFC 6750).",
                    "schema": {"type": "string"},
                }
            }
        if status == 503:
            response["headers"] = {
                "Retry-After": {
                    "description": "Seconds to wait before retrying.",
                    "schema": {"type": "string"},
                }
            }
        responses[status] = response
    return responses


def create_responses(model: type[BaseModel]) -> dict[int | str, dict[str, Any]]:
    """Return the documented responses of ``POST /api/<name>``."""
    return {
        201: {
            "model": model,
            "description": (
                "Created (or the first response, replayed for the same Idempotency-Key)."
            ),
            "headers": {
                "Location": {
                    "description": "The new entity's URL.",
                    "schema": {"type": "string"},
                },
                REPLAYED_HEADER: {
                    "description": "`true` when this is a stored response replayed for a retry.",
                    "schema": {"type": "string", "enum": ["true"]},
                },
            },
        },
        **_problems(400, 401, 403, 409, 413, 422, 500, 503),
    }


def read_responses(model: type[BaseModel]) -> dict[int | str, dict[str, Any]]:
    """Return the documented responses of ``GET /api/<name>/{id}``."""
    return {
        200: {
            "model": model,
            "description": "The entity. For a caller without pii:read, its sensitive fields are "
            "left out and named in `withheld_fields` (a client reading its own data gets them).",
        },
        **_problems(401, 403, 404, 500, 503),
    }


def update_responses(model: type[BaseModel]) -> dict[int | str, dict[str, Any]]:
    """Return the documented responses of ``PATCH /api/<name>/{id}``."""
    return {
        200: {"model": model, "description": "The entity after the change."},
        **_problems(400, 401, 403, 404, 409, 413, 422, 500, 503),
    }


def build_openapi(
    routes: Sequence[BaseRoute], request_models: Iterable[type[BaseModel]], *, version: str
) -> dict[str, Any]:
    """Return the OpenAPI document of ``routes`` with ``request_models`` as components."""
    document = get_openapi(
        title="WealthTech REST API",
        version=version,
        description=(
            "REST shims over the federated GraphQL API: each route is one fixed GraphQL operation "
            "run through the router. Bodies use snake_case; amounts are decimal strings in "
            "responses and exact decimals (strings or JSON numbers) in requests. Errors are "
            "RFC 9457 problem documents with a stable `code`."
        ),
        routes=list(routes),
    )
    document.setdefault("components", {})["securitySchemes"] = {
        "bearer": {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "A caller token (the router verifies it; `wealthtech token` makes "
            "development ones).",
        }
    }
    document["security"] = [{"bearer": []}]
    components = document["components"].setdefault("schemas", {})
    _, definitions = models_json_schema(
        [(model, "validation") for model in request_models], ref_template=_REF
    )
    for name, schema in definitions.get("$defs", {}).items():
        components.setdefault(name, schema)
    problem_ref = {"$ref": _REF.format(model=ProblemDetails.__name__)}
    for operation in _operations(document):
        responses = operation.get("responses", {})
        if "422" in responses and "Problem" not in json.dumps(responses["422"]):
            del responses["422"]  # FastAPI's own validation error: never sent, we render problems
        for status, response in responses.items():
            if int(status) >= 400:
                response["content"] = {PROBLEM_JSON: {"schema": problem_ref}}
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    return document


def _operations(document: dict[str, Any]) -> Iterable[dict[str, Any]]:
    for item in document.get("paths", {}).values():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield operation


# ---- the reference page ------------------------------------------------------------------------

_STYLE = """
body { font: 15px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 60rem; padding: 1rem 2rem; }
h2 { border-bottom: 1px solid #ccc; margin-top: 2.5rem; }
.op { border: 1px solid #ddd; border-radius: 6px; margin: 1rem 0; padding: .5rem 1rem; }
.method { font-weight: bold; font-family: monospace; padding: 0 .4rem; color: #fff; }
.post { background: #2f7d32; } .get { background: #1565c0; } .patch { background: #ad6800; }
code, pre { font-family: ui-monospace, monospace; font-size: 13px; }
table { border-collapse: collapse; margin: .5rem 0; }
td, th { border: 1px solid #ddd; padding: .2rem .5rem; text-align: left; vertical-align: top; }
"""


def _schema_text(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f'<a href="#schema-{escape(name)}">{escape(name)}</a>'
    if "anyOf" in schema:
        return " | ".join(_schema_text(s) for s in schema["anyOf"])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"array of {_schema_text(schema.get('items', {}))}"
    if "enum" in schema:
        return " | ".join(f"<code>{escape(json.dumps(v))}</code>" for v in schema["enum"])
    if "const" in schema:
        return f"<code>{escape(json.dumps(schema['const']))}</code>"
    extra = f" ({escape(schema['format'])})" if "format" in schema else ""
    return f"{escape(str(kind))}{extra}"


def _operation_html(path: str, method: str, operation: dict[str, Any]) -> str:
    parts = [
        f'<div class="op"><p><span class="method {method}">{method.upper()}</span> '
        f"<code>{escape(path)}</code> &mdash; {escape(operation.get('summary', ''))}</p>"
    ]
    if operation.get("description"):
        parts.append(f"<p>{escape(operation['description'])}</p>")
    parameters = operation.get("parameters", [])
    if parameters:
        rows = "".join(
            f"<tr><td><code>{escape(p['name'])}</code></td><td>{escape(p['in'])}</td>"
            f"<td>{'yes' if p.get('required') else 'no'}</td>"
            f"<td>{escape(p.get('description', ''))}</td></tr>"
            for p in parameters
        )
        parts.append(
            f"<table><tr><th>parameter</th><th>in</th><th>required</th><th></th></tr>{rows}</table>"
        )
    body = operation.get("requestBody")
    if body:
        for media_type, content in body.get("content", {}).items():
            parts.append(
                f"<p>Request body ({escape(media_type)}): {_schema_text(content['schema'])}</p>"
            )
    response_rows: list[str] = []
    for status, response in operation.get("responses", {}).items():
        contents = ", ".join(
            f"{escape(media)}: {_schema_text(c.get('schema', {}))}"
            for media, c in response.get("content", {}).items()
        )
        headers = ", ".join(f"<code>{escape(h)}</code>" for h in response.get("headers", {}))
        response_rows.append(
            f"<tr><td>{escape(status)}</td><td>{escape(response.get('description', ''))}</td>"
            f"<td>{contents}</td><td>{headers}</td></tr>"
        )
    parts.append(
        "<table><tr><th>status</th><th>meaning</th><th>body</th><th>headers</th></tr>"
        f"{''.join(response_rows)}</table></div>"
    )
    return "".join(parts)


def _schema_html(name: str, schema: dict[str, Any]) -> str:
    required = set(schema.get("required", []))
    rows = "".join(
        f"<tr><td><code>{escape(field)}</code></td><td>{_schema_text(spec)}</td>"
        f"<td>{'yes' if field in required else 'no'}</td>"
        f"<td>{escape(spec.get('description', ''))}</td></tr>"
        for field, spec in schema.get("properties", {}).items()
    )
    description = escape(schema.get("description", ""))
    return (
        f'<h3 id="schema-{escape(name)}">{escape(name)}</h3><p>{description}</p>'
        "<table><tr><th>field</th><th>type</th><th>required</th><th></th></tr>"
        f"{rows}</table>"
    )


def docs_page(document: dict[str, Any], openapi_url: str) -> str:
    """Render the OpenAPI document as a self-contained HTML reference."""
    info = document.get("info", {})
    operations = "".join(
        _operation_html(path, method, operation)
        for path, item in document.get("paths", {}).items()
        for method, operation in item.items()
    )
    schemas = "".join(
        _schema_html(name, schema)
        for name, schema in sorted(document.get("components", {}).get("schemas", {}).items())
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(info.get('title', 'API'))}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{escape(info.get('title', 'API'))}</h1><p>{escape(info.get('description', ''))}</p>"
        f'<p>Machine-readable: <a href="{escape(openapi_url)}">{escape(openapi_url)}</a> '
        f"(OpenAPI {escape(document.get('openapi', ''))}).</p>"
        f"<h2>Operations</h2>{operations}<h2>Schemas</h2>{schemas}</body></html>"
    )
