"""The router's ASGI app: ``create_app(supergraph, settings)``.

The supergraph is loaded when the app is created, so a broken file fails before the server listens;
the subgraph connection pools and the gateway are built in the app's lifespan and closed with it.

``POST /graphql`` is the hot path: :class:`RouterApp` sends it through the app's own middleware
(CORS, the security layer) straight to its endpoint, past FastAPI's and Starlette's own layers,
which cost about a tenth of a millisecond per request (ADR 0013). Everything else takes the normal
FastAPI path.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from os import PathLike
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from router.auth.settings import SecuritySettings
from router.execution import SubgraphTransport
from router.http.endpoints import GRAPHQL_POST, ROUTES
from router.http.graphiql import ASSETS_URL_PATH, DEFAULT_ASSETS_DIR
from router.http.reload import StateFactory, SupergraphReloader
from router.observability import RouterObserver
from router.rest import create_rest_router
from router.rest.settings import RestSettings
from router.settings import RouterSettings
from router.subgraph_client import SubgraphClient
from router.supergraph import Supergraph
from telemetry import Telemetry, TelemetryMiddleware, TelemetrySettings

_INTERNAL_ERROR = (
    b'{"errors":[{"message":"Internal server error.",'
    b'"extensions":{"code":"INTERNAL_SERVER_ERROR"}}]}'
)


class RouterApp(FastAPI):
    """The FastAPI app, with ``POST /graphql`` dispatched before FastAPI's and Starlette's layers.

    That request goes through the app's user middleware (CORS, the security layer: same classes,
    same arguments, so the same verifier and signer) straight to its endpoint, with a guard that
    answers an unexpected failure with a 500 GraphQL error (JSON, where Starlette's error layer
    would send plain text) and lets the exception reach the server's log. Both stacks are built
    together, so Starlette's "no middleware after start" rule covers this one too. Not on that
    path: FastAPI's native telemetry spans. Everything takes the normal path when something would
    make it differ: a ``root_path``, ``debug``, or a 500/``Exception`` handler of the app's own.
    """

    graphql_path = "/graphql"
    _graphql_stack: ASGIApp | None = None

    def build_middleware_stack(self) -> ASGIApp:
        stack = super().build_middleware_stack()
        self._graphql_stack = None
        if not (
            self.debug
            or self.root_path
            or 500 in self.exception_handlers
            or Exception in self.exception_handlers
        ):
            graphql: ASGIApp = GRAPHQL_POST
            for cls, args, kwargs in reversed(self.user_middleware):
                graphql = cls(graphql, *args, **kwargs)
            self._graphql_stack = graphql
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
            # What Starlette's ServerErrorMiddleware does on the other routes: a 500 when nothing
            # was sent yet, and the exception goes on to the server, which logs it.
            if not started:
                await _internal_error(send)
            raise


async def _internal_error(send: Send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(_INTERNAL_ERROR)).encode("ascii")),
            ],
        }
    )
    await send({"type": "http.response.body", "body": _INTERNAL_ERROR})


def load_supergraph(path: str | PathLike[str]) -> Supergraph:
    """Read and load a supergraph SDL file (``SupergraphError`` explains a bad one)."""
    return Supergraph.from_sdl(Path(path).read_text(encoding="utf-8"))


def create_app(
    supergraph: Supergraph | str | PathLike[str] | None = None,
    settings: RouterSettings | None = None,
    *,
    transport: SubgraphTransport | None = None,
    security: SecuritySettings | None = None,
    rest: RestSettings | None = None,
    watch: str | PathLike[str] | None = None,
    reload_on_sighup: bool = False,
    freeze_gc: bool = False,
    telemetry: TelemetrySettings | None = None,
) -> RouterApp:
    """Build the router app for a supergraph (object or file path; default: the settings' path).

    Subgraph URLs come from the supergraph, overridden by settings. ``transport`` replaces the HTTP
    subgraph client (for example with one whose httpx transports are in-process); by default the app
    owns a ``SubgraphClient`` and closes it on shutdown. ``security`` configures authentication,
    limits, CSRF and CORS (default: ``SecuritySettings()`` from the ``ROUTER_*`` environment); its
    keys are loaded here, so a misconfiguration fails before the server listens. ``rest``
    configures the REST shims' idempotency store (default: from the environment). ``watch``
    names the supergraph file to reload when it changes (and on SIGHUP with
    ``reload_on_sighup``: :mod:`router.http.reload`). ``freeze_gc``
    moves everything alive at startup out of the garbage collector's reach (``gc.freeze()``),
    process-wide: for a process that serves this one app. ``telemetry`` says what is traced,
    measured and logged (default: ``ROUTER_OTEL_*``, ``ROUTER_METRICS_*``, ``ROUTER_LOG_FORMAT``
    from the environment; ADR 0020); with all of it off, no telemetry layer is installed.
    """
    # Imported here: router.security uses router.http.protocol, so a module-level import would
    # make the two packages import each other.
    from router.security import install_security

    settings = settings or RouterSettings()
    security = security or SecuritySettings()
    if supergraph is None:
        supergraph = settings.supergraph_path
    if not isinstance(supergraph, Supergraph):
        supergraph = load_supergraph(supergraph)
    loaded: Supergraph = supergraph
    assets_dir = settings.graphiql_assets_dir or DEFAULT_ASSETS_DIR
    telemetry_settings = telemetry or TelemetrySettings.from_env("ROUTER", "router")
    observer = RouterObserver(Telemetry(telemetry_settings)) if telemetry_settings.active else None
    factory = StateFactory(
        settings=settings,
        expose_query_plan=settings.query_plan_exposed(production=security.production),
        authorization_allowed=not security.authentication_required,
        graphiql_assets_dir=assets_dir,
        observer=observer,
    )
    prepared = factory.prepare(loaded)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        client: SubgraphClient | None = None
        used: SubgraphTransport
        if transport is None:
            used = client = factory.client(prepared)
        else:
            used = transport
        if observer is not None:
            observer.watch_breakers(used)
        app.state.router = factory.state(prepared, used)
        reloader: SupergraphReloader | None = None
        if watch is not None:
            reloader = SupergraphReloader.for_app(
                app,
                Path(watch),
                factory,
                prepared,
                used,
                client,
                poll_seconds=settings.supergraph_poll_seconds,
                handle_sighup=reload_on_sighup,
            )
            app.state.supergraph_reloader = reloader
            if observer is not None:
                reloader.add_listener(observer.reload_attempted)
            await reloader.start()
        if freeze_gc:
            # Everything built so far (schema, supergraph, plans' building blocks) lives as long
            # as the process: moved out of the collector's reach, so that full collections, which
            # per-request garbage triggers from time to time, no longer walk all of it. Only for
            # a process that serves this one app (python -m router): it is process-wide.
            gc.collect()
            gc.freeze()
        try:
            yield
        finally:
            if reloader is not None:
                await reloader.stop()  # closes the pools it serves with, and retired ones
            elif client is not None:
                await client.aclose()

    app = RouterApp(
        title="WealthTech router",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.router.routes.extend(ROUTES)
    # The REST shims (/api/*, /openapi.json, /docs); their lifespan opens the idempotency store.
    app.include_router(create_rest_router(rest))
    app.mount(ASSETS_URL_PATH, StaticFiles(directory=assets_dir, check_dir=False), name="graphiql")
    install_security(app, security, forward_headers=settings.forward_headers)
    if observer is not None:
        # Added last, so it is the outermost layer: it times and traces the whole request.
        app.add_middleware(
            TelemetryMiddleware,
            telemetry=observer.telemetry,
            paths=("/graphql",),
            prefixes=("/api/",),
            assign_request_id=True,
        )
    return app
