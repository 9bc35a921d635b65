"""Supergraph hot reload: a new supergraph file replaces the served one without a restart.

:class:`StateFactory` turns a supergraph into what the app serves (:class:`RouterState`: the
gateway, subgraph URLs, header rules), checking everything that depends on the supergraph (URL
and policy overrides naming its subgraphs, header rules); the app uses it at startup and
:class:`SupergraphReloader` on every reload. The reloader polls the file (``supergraph_watch``,
every ``supergraph_poll_seconds``) and reloads on SIGHUP. A reload:

- builds the new state completely before anything changes; a file that cannot be read, parsed or
  checked is refused: the old supergraph keeps being served, the reason is logged (ERROR) and
  reported to the listeners (the metric hook), and the same file is not retried until it changes;
- swaps ``app.state.router`` in one assignment. A request reads the state once when it starts and
  keeps it, so requests in flight finish on the supergraph they started with and none is dropped;
- keeps the subgraph connection pools when the subgraphs' URLs and policies did not change; else
  opens new ones and closes the old ones once the requests that may still use them are done (after
  a grace period longer than any fetch may last), or at shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import signal
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from router.execution import SubgraphTransport
from router.gateway import Gateway
from router.headers import HeaderPlan, compile_header_rules
from router.http.state import RouterState
from router.observability import ObservedTransport, RouterObserver
from router.resilience import SubgraphPolicy
from router.settings import RouterSettings
from router.subgraph_client import SubgraphClient
from router.supergraph import Supergraph
from router.supergraph.errors import SupergraphError

__all__ = ["Prepared", "ReloadEvent", "StateFactory", "SupergraphReloader"]

log = logging.getLogger(__name__)

_MIN_GRACE_SECONDS = 30.0


@dataclass(frozen=True)
class Prepared:
    """What a supergraph needs besides itself, checked against the settings."""

    supergraph: Supergraph
    urls: Mapping[str, str]
    policies: Mapping[str, SubgraphPolicy]
    header_plan: HeaderPlan


@dataclass(frozen=True)
class StateFactory:
    """Builds the served state from a supergraph, with the app's settings."""

    settings: RouterSettings
    expose_query_plan: bool
    authorization_allowed: bool
    graphiql_assets_dir: Path
    # Spans and metrics of the gateway and its fetches (ADR 0020); None: telemetry off.
    observer: RouterObserver | None = None

    def prepare(self, supergraph: Supergraph) -> Prepared:
        """Check what depends on ``supergraph``; ``ValueError`` names the offending setting."""
        urls = self.settings.resolve_subgraph_urls(supergraph.subgraph_urls)
        return Prepared(
            supergraph=supergraph,
            urls=urls,
            policies=self.settings.resolve_subgraph_policies(urls),
            header_plan=compile_header_rules(
                self.settings.header_rules,
                urls,
                forward=self.settings.forward_headers,
                authorization_allowed=self.authorization_allowed,
            ),
        )

    def client(self, prepared: Prepared) -> SubgraphClient:
        """Open the subgraph connection pools for ``prepared``'s subgraphs."""
        return SubgraphClient(
            prepared.urls,
            max_connections=self.settings.subgraph_max_connections,
            lean_http=self.settings.subgraph_lean_http,
            policies=prepared.policies,
        )

    def state(self, prepared: Prepared, transport: SubgraphTransport) -> RouterState:
        """Return the state that serves ``prepared`` through ``transport``."""
        fetches: SubgraphTransport = transport
        if self.observer is not None:
            fetches = ObservedTransport(transport, self.observer)
        gateway = Gateway(
            prepared.supergraph, fetches, plan_cache_size=self.settings.plan_cache_size
        )
        gateway.observer = self.observer
        return RouterState(
            settings=self.settings,
            supergraph=prepared.supergraph,
            gateway=gateway,
            transport=transport,
            subgraph_urls=prepared.urls,
            graphiql_assets_dir=self.graphiql_assets_dir,
            expose_query_plan=self.expose_query_plan,
            header_plan=prepared.header_plan,
        )


@dataclass(frozen=True)
class ReloadEvent:
    """One reload attempt, for listeners (metrics): what happened and, if refused, why."""

    outcome: Literal["reloaded", "refused"]
    path: Path
    trigger: str  # "file changed", "SIGHUP", "request"
    error: str | None = None


Listener = Callable[[ReloadEvent], None]


@dataclass
class _Served:
    prepared: Prepared
    transport: SubgraphTransport
    owned: SubgraphClient | None  # the pools this reloader opened (or the app did), if any


@dataclass
class SupergraphReloader:
    """Reloads the supergraph of ``app`` from ``path``; see the module docstring."""

    app: Any  # the FastAPI app whose ``state.router`` is swapped
    path: Path
    factory: StateFactory
    served: _Served
    poll_seconds: float = 1.0
    handle_sighup: bool = False
    reloads: int = 0
    failures: int = 0
    last_error: str | None = None
    _listeners: list[Listener] = field(default_factory=list)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _task: asyncio.Task[None] | None = None
    _retired: list[SubgraphClient] = field(default_factory=list)
    _closing: set[asyncio.Future[Any]] = field(default_factory=set)
    _stat: tuple[int, int, int] | None = None
    _digest: str | None = None

    @classmethod
    def for_app(
        cls,
        app: Any,
        path: Path,
        factory: StateFactory,
        prepared: Prepared,
        transport: SubgraphTransport,
        owned: SubgraphClient | None,
        **options: Any,
    ) -> SupergraphReloader:
        return cls(app, path, factory, _Served(prepared, transport, owned), **options)

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener(event)`` after every reload attempt (it must be quick; errors logged)."""
        self._listeners.append(listener)

    async def start(self) -> None:
        """Remember the file as it is now and start watching it."""
        self._stat = _stat(self.path)
        with contextlib.suppress(OSError):
            self._digest = _digest(self.path.read_bytes())
        self._task = asyncio.create_task(self._poll(), name="supergraph-reload")
        if self.handle_sighup and threading.current_thread() is threading.main_thread():
            with contextlib.suppress(NotImplementedError, RuntimeError, AttributeError):
                asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, self._on_sighup)

    async def stop(self) -> None:
        """Stop watching and close every connection pool this reloader retired or opened."""
        if self.handle_sighup:
            with contextlib.suppress(NotImplementedError, RuntimeError, AttributeError, ValueError):
                asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for task in list(self._closing):
            task.cancel()
        clients = [*self._retired, *([self.served.owned] if self.served.owned else [])]
        self._retired.clear()
        await asyncio.gather(*(client.aclose() for client in clients), return_exceptions=True)

    async def reload(self, trigger: str = "request") -> bool:
        """Load the file now; return whether the served supergraph was replaced."""
        async with self._lock:
            self._stat = _stat(self.path)
            try:
                content = await asyncio.to_thread(self.path.read_bytes)
                digest = _digest(content)
                if digest == self._digest and self.last_error is None:
                    # WARNING like the other outcomes: a SIGHUP deserves a visible answer.
                    log.warning(
                        "supergraph %s unchanged (%s): nothing to reload", self.path, trigger
                    )
                    return False
                prepared = await asyncio.to_thread(self._prepare, content)
            except (OSError, UnicodeDecodeError, SupergraphError, ValueError) as exc:
                self._refused(trigger, exc)
                return False
            self._digest = digest
            self._swap(prepared)
            self.reloads += 1
            self.last_error = None
            names = ", ".join(sorted(prepared.urls))
            log.warning("supergraph reloaded from %s (%s): subgraphs %s", self.path, trigger, names)
            self._notify(ReloadEvent("reloaded", self.path, trigger))
            return True

    def _prepare(self, content: bytes) -> Prepared:
        return self.factory.prepare(Supergraph.from_sdl(content.decode("utf-8")))

    def _swap(self, prepared: Prepared) -> None:
        served = self.served
        same_pools = dict(prepared.urls) == dict(served.prepared.urls) and dict(
            prepared.policies
        ) == dict(served.prepared.policies)
        if served.owned is None or same_pools:
            # An injected transport (tests) or unchanged subgraphs: the same pools serve on.
            transport: SubgraphTransport = served.transport
            owned = served.owned
        else:
            owned = self.factory.client(prepared)
            transport = owned
            self._retire(served.owned)
        # The one step requests can see: a request holds the state it started with.
        self.app.state.router = self.factory.state(prepared, transport)
        self.served = _Served(prepared, transport, owned)

    def _retire(self, client: SubgraphClient) -> None:
        self._retired.append(client)
        settings = self.factory.settings
        # Longer than one request may use the old pools: sequential fetches of a plan, each
        # bounded by the whole-fetch timeout.
        grace = max(_MIN_GRACE_SECONDS, 4 * settings.subgraph_fetch_timeout)

        async def close_later() -> None:
            await asyncio.sleep(grace)
            if client in self._retired:
                self._retired.remove(client)
                await client.aclose()

        task = asyncio.create_task(close_later(), name="close-retired-subgraph-pools")
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    def _refused(self, trigger: str, exc: BaseException) -> None:
        reason = f"cannot read it: {exc.strerror or exc}" if isinstance(exc, OSError) else str(exc)
        self.failures += 1
        self.last_error = reason
        log.error(
            "supergraph reload from %s (%s) refused, still serving the previous one: %s",
            self.path,
            trigger,
            reason,
        )
        self._notify(ReloadEvent("refused", self.path, trigger, reason))

    def _notify(self, event: ReloadEvent) -> None:
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:  # a metrics hook must never break a reload
                log.exception("supergraph reload listener failed")

    def _on_sighup(self) -> None:
        task = asyncio.ensure_future(self.reload("SIGHUP"))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.poll_seconds)
            try:
                current = _stat(self.path)
                if current != self._stat:
                    await self.reload("file changed")
            except Exception:  # the watcher must outlive any one failure
                log.exception("supergraph watcher failed; watching on")


def _stat(path: Path) -> tuple[int, int, int] | None:
    try:
        found = os.stat(path)
    except OSError:
        return None
    return (found.st_mtime_ns, found.st_size, found.st_ino)


def _digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()
