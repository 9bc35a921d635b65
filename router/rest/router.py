"""``create_rest_router()``: the REST routes, their OpenAPI document, and the store's lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse, Response

from router.rest.endpoints import REST_STATE_KEY, add_resource_routes
from router.rest.idempotency import IdempotencyStore
from router.rest.openapi import build_openapi, docs_page
from router.rest.resources import RESOURCES
from router.rest.settings import RestSettings

__all__ = ["API_VERSION", "DOCS_PATH", "OPENAPI_PATH", "create_rest_router"]

API_VERSION = "1.0.0"
OPENAPI_PATH = "/openapi.json"
DOCS_PATH = "/docs"


def create_rest_router(settings: RestSettings | None = None) -> APIRouter:
    """Return the REST shims as a router to include in the router's app.

    Its lifespan (merged into the app's by ``include_router``) opens the idempotency store from
    ``settings`` (default: read from the environment) and closes it on shutdown. The database
    itself is opened on the first POST that carries an ``Idempotency-Key``, so a router that never
    gets one never creates the file.
    """
    settings = settings or RestSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = IdempotencyStore(
            settings.resolved_idempotency_url(),
            retention_seconds=settings.idempotency_retention_seconds,
            lock_seconds=settings.idempotency_lock_seconds,
        )
        setattr(app.state, REST_STATE_KEY, store)
        try:
            yield
        finally:
            await store.aclose()

    api = APIRouter(lifespan=lifespan)
    for resource in RESOURCES:
        add_resource_routes(api, resource)
    request_models = [m for r in RESOURCES for m in (r.create_model, r.patch_model)]
    cached: dict[str, Any] = {}

    def document() -> dict[str, Any]:
        if not cached:
            cached.update(build_openapi(api.routes, request_models, version=API_VERSION))
        return cached

    @api.get(OPENAPI_PATH, include_in_schema=False)
    async def openapi_json() -> Response:
        return Response(orjson.dumps(document()), media_type="application/json")

    @api.get(DOCS_PATH, include_in_schema=False)
    async def docs() -> HTMLResponse:
        return HTMLResponse(docs_page(document(), OPENAPI_PATH))

    return api
