"""The FastAPI app of a subgraph: ``/graphql`` (``_service``, ``_entities``) and ``/healthz``.

Every ``/graphql`` request must carry a valid internal token (:mod:`.authentication`); without
one it is refused with HTTP 401 before a database session is opened. ``/healthz`` stays open.

Everything with a lifetime is built in the lifespan, never at import time: the database engine
(and pending migrations applied), the encryption services (from the environment or generated
development keys), and the HTTP client for owner checks. They live on one typed
:class:`SubgraphState` at ``app.state.subgraph``.

Each request gets one database session from its unit of work (:mod:`.unit_of_work`): it commits
when the operation reported no error and rolls back otherwise, before the response is sent, so
services never commit and a refused mutation leaves nothing behind; the same unit of work writes
the operation's DATA_ACCESS audit event (:mod:`.audit`).

``POST /graphql`` with a JSON body (every request the router sends) takes a lean ASGI path
(:mod:`.graphql_http`, ADR 0018); the FastAPI route below serves every other form of request.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import httpx
from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import text
from strawberry.fastapi import GraphQLRouter

from crypto import EncryptionServices
from telemetry import Telemetry, TelemetrySettings

from .audit import AuditRelay, AuditSink, LogOnlySink, OutboxSink, outbox_exists
from .authentication import (
    AuthenticationFailed,
    Caller,
    authenticate,
    load_internal_token_keys,
    unauthenticated_response,
)
from .context import SubgraphContext
from .database import Database
from .graphql_http import SubgraphApp, build_context
from .keys import load_encryption_services
from .migrations import upgrade
from .observability import SubgraphObserver, SubgraphTelemetryMiddleware
from .owners import OwnerClient
from .schema import SubgraphSchema
from .settings import SubgraphSettings
from .state import SubgraphState, get_state
from .unit_of_work import UnitOfWork, unit_of_work

__all__ = ["SubgraphState", "UnitOfWork", "create_app", "get_state", "unit_of_work"]

log = logging.getLogger(__name__)
# How long shutdown waits for the audit relay to finish its round before cancelling it.
RELAY_STOP_SECONDS = 10.0


def create_app(
    settings: SubgraphSettings,
    schema: SubgraphSchema,
    *,
    migrations_dir: Path,
    owner_urls: Mapping[str, str] | None = None,
    encryption_services: EncryptionServices | None = None,
    owner_transport: httpx.AsyncBaseTransport | None = None,
    audit_sink: AuditSink | None = None,
    local_audit_delivery: AuditSink | None = None,
    telemetry: TelemetrySettings | None = None,
) -> FastAPI:
    """Return the subgraph's FastAPI app.

    ``owner_urls`` maps an owner's name (``"users"``) to its GraphQL URL, for owner checks.
    ``encryption_services`` and ``owner_transport`` are for tests and embedding: without them
    keys come from the environment (or development files) and owners are called over the network
    (the audit relay too, to ``settings.audit_url``, through the same transport).
    ``audit_sink`` replaces the default outbox; ``local_audit_delivery`` makes the relay hand
    outbox rows to this sink in-process instead of sending them to ``settings.audit_url`` (the
    compliance subgraph appends its own events so, without calling itself over HTTP).
    ``telemetry`` says what is traced, measured and logged (default: ``<PREFIX>_OTEL_*``,
    ``<PREFIX>_METRICS_*``, ``<PREFIX>_LOG_FORMAT`` from the environment; ADR 0020).
    """
    owner_urls = dict(owner_urls or {})
    telemetry_settings = telemetry or TelemetrySettings.from_env(
        settings.env_name, settings.subgraph
    )
    observer = (
        SubgraphObserver(Telemetry(telemetry_settings), settings.subgraph)
        if telemetry_settings.active
        else None
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database = Database(settings.resolved_database_url(), echo=settings.sql_echo)
        http = httpx.AsyncClient(timeout=settings.owner_timeout_seconds, transport=owner_transport)
        relay_task: asyncio.Task[None] | None = None
        relay: AuditRelay | None = None
        try:
            if settings.migrate_on_startup:
                await upgrade(database.engine, migrations_dir)
            services = encryption_services or load_encryption_services(
                subgraph=settings.subgraph, env_name=settings.env_name, keys_dir=settings.keys_dir
            )
            token_keys = load_internal_token_keys(settings)
            sink: AuditSink
            if audit_sink is not None:
                sink = audit_sink
            elif await outbox_exists(database):
                sink = OutboxSink()
            else:
                log.error(
                    "%s has no audit_outbox table: audit events are only logged", settings.subgraph
                )
                sink = LogOnlySink()
            if observer is not None:
                observer.attach(database, outbox=isinstance(sink, OutboxSink))
            relay = (
                AuditRelay(
                    subgraph=settings.subgraph,
                    database=database,
                    http=http,
                    url=settings.audit_url,
                    signing_key=token_keys.signing_key,
                    interval=dt.timedelta(seconds=settings.audit_relay_interval_seconds),
                    local_delivery=local_audit_delivery,
                    encryption=services,
                )
                if sink.relays
                else None
            )
            app.state.subgraph = SubgraphState(
                settings=settings,
                database=database,
                encryption_services=services,
                http=http,
                owners={name: OwnerClient(name, url, http) for name, url in owner_urls.items()},
                internal_token_keys=token_keys,
                audit_sink=sink,
                audit_relay=relay,
            )
            if relay is not None and settings.audit_relay_enabled:
                relay_task = asyncio.create_task(relay.run(), name=f"{settings.subgraph}-audit")
            log.info("%s subgraph ready", settings.subgraph)
            yield
        finally:
            if relay_task is not None and relay is not None:
                relay.stop()
                try:
                    # A round is bounded by the HTTP timeout; cancel only if it overruns that.
                    await asyncio.wait_for(asyncio.shield(relay_task), RELAY_STOP_SECONDS)
                except TimeoutError:
                    relay_task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await relay_task
            await http.aclose()
            await database.dispose()

    async def context_getter(
        # First: an unauthenticated request is refused before a session is opened.
        caller: Annotated[Caller, Depends(authenticate)],
        work: Annotated[UnitOfWork, Depends(unit_of_work, scope="function")],
        state: Annotated[SubgraphState, Depends(get_state)],
    ) -> SubgraphContext:
        return build_context(state, caller, work)

    app = SubgraphApp(
        title=f"{settings.subgraph} subgraph",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    graphql: GraphQLRouter[Any, Any] = GraphQLRouter(
        schema, context_getter=context_getter, graphql_ide=None
    )
    app.include_router(graphql, prefix="/graphql")
    app.graphql_schema = schema  # POST /graphql (JSON) takes the lean path (graphql_http.py)
    app.add_exception_handler(AuthenticationFailed, unauthenticated_response)
    if observer is not None:
        app.add_middleware(SubgraphTelemetryMiddleware, observer=observer)

    @app.get("/healthz")
    async def healthz(state: Annotated[SubgraphState, Depends(get_state)]) -> JSONResponse:
        try:
            async with state.database.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as exc:
            log.warning("health check failed: %s", type(exc).__name__)
            return JSONResponse(
                {"status": "unavailable", "subgraph": settings.subgraph}, status_code=503
            )
        return JSONResponse({"status": "ok", "subgraph": settings.subgraph})

    return app
