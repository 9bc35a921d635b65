"""The FastAPI app of a subgraph: ``/graphql`` (``_service``, ``_entities``) and ``/healthz``.

Every ``/graphql`` request must carry a valid internal token (:mod:`.authentication`); without
one it is refused with HTTP 401 before a database session is opened. ``/healthz`` stays open.

Everything with a lifetime is built in the lifespan, never at import time: the database engine
(and pending migrations applied), the encryption services (from the environment or generated
development keys), and the HTTP client for owner checks. They live on one typed
:class:`SubgraphState` at ``app.state.subgraph``.

Each request gets one database session from :func:`unit_of_work`: it commits when the operation
reported no error and rolls back otherwise, before the response is sent (``scope="function"``),
so services never commit and a refused mutation leaves nothing behind. The same unit of work
writes the operation's DATA_ACCESS audit event (:mod:`.audit`): in the request's transaction when
it commits, in a transaction of its own when the request rolls back.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import httpx
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.fastapi import GraphQLRouter

from crypto import EncryptionServices

from .audit import (
    AuditRelay,
    AuditSink,
    LogOnlySink,
    OutboxSink,
    data_access_event,
    outbox_exists,
)
from .authentication import (
    AuthenticationFailed,
    Caller,
    InternalTokenKeys,
    authenticate,
    load_internal_token_keys,
    unauthenticated_response,
)
from .context import RequestTransaction, SubgraphContext
from .database import Database
from .keys import load_encryption_services
from .migrations import upgrade
from .owners import OwnerClient
from .schema import SubgraphSchema
from .settings import SubgraphSettings

__all__ = ["SubgraphState", "UnitOfWork", "create_app", "get_state", "unit_of_work"]

log = logging.getLogger(__name__)
# How long shutdown waits for the audit relay to finish its round before cancelling it.
RELAY_STOP_SECONDS = 10.0


@dataclass
class SubgraphState:
    """What a running subgraph holds for its whole life."""

    settings: SubgraphSettings
    database: Database
    encryption_services: EncryptionServices
    http: httpx.AsyncClient
    owners: dict[str, OwnerClient]
    internal_token_keys: InternalTokenKeys
    audit_sink: AuditSink
    audit_relay: AuditRelay | None


@dataclass
class UnitOfWork:
    """One request's session and the flag that decides commit or rollback."""

    session: AsyncSession
    transaction: RequestTransaction
    context: SubgraphContext | None = None


def get_state(request: Request) -> SubgraphState:
    """Return the running subgraph's state (FastAPI dependency)."""
    state: SubgraphState = request.app.state.subgraph
    return state


async def unit_of_work(
    state: Annotated[SubgraphState, Depends(get_state)],
) -> AsyncIterator[UnitOfWork]:
    """Yield the request's session; commit if the operation succeeded, else roll back."""
    async with state.database.session() as session:
        work = UnitOfWork(session, RequestTransaction())
        try:
            yield work
        except BaseException:
            await session.rollback()
            raise
        context = work.context
        event = (
            data_access_event(
                state.settings.subgraph,
                context.principal,
                context.encryption.accessed if context.encryption is not None else (),
            )
            if context is not None
            else None
        )
        if work.transaction.failed:
            await session.rollback()
            if event is not None:
                # The response may still carry what was decrypted: the event must outlive the
                # rollback, so it gets a transaction of its own.
                async with state.database.session() as audit_session:
                    await state.audit_sink.record(audit_session, event, state.encryption_services)
                    await audit_session.commit()
        else:
            if event is not None:
                await state.audit_sink.record(session, event, state.encryption_services)
            await session.commit()
        if event is not None and state.audit_relay is not None:
            state.audit_relay.wake()


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
) -> FastAPI:
    """Return the subgraph's FastAPI app.

    ``owner_urls`` maps an owner's name (``"users"``) to its GraphQL URL, for owner checks.
    ``encryption_services`` and ``owner_transport`` are for tests and embedding: without them
    keys come from the environment (or development files) and owners are called over the network
    (the audit relay too, to ``settings.audit_url``, through the same transport).
    ``audit_sink`` replaces the default outbox; ``local_audit_delivery`` makes the relay hand
    outbox rows to this sink in-process instead of sending them to ``settings.audit_url`` (the
    compliance subgraph appends its own events so, without calling itself over HTTP).
    """
    owner_urls = dict(owner_urls or {})

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

    app = FastAPI(
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
    app.add_exception_handler(AuthenticationFailed, unauthenticated_response)

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
