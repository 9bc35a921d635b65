"""Supergraph hot reload (issue 13.6): on file change or SIGHUP, never dropping a request.

Two fleets of stand-in subgraphs (tests/router/standins.py) on their own ports: the supergraph
file points the router at fleet A, then at fleet B, so which fleet answers shows which supergraph
is served. An invalid file in between is refused and the previous supergraph keeps serving.
"""

from __future__ import annotations

import asyncio
import signal
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from router.auth import SecuritySettings, load_or_create_dev_secret, mint_dev_token
from router.http import create_app
from router.http.reload import ReloadEvent, SupergraphReloader
from router.settings import RouterSettings
from tests.router.http.router_process import running_router
from tests.router.standins import RunningFleet, serve_in_thread
from tests.router.standins import create_app as create_standins

QUERY = '{ user(id: "usr_0002") { name accounts { id } } }'
ANSWER = {"user": {"name": "User 002", "accounts": [{"id": "acc_00004"}, {"id": "acc_00005"}]}}


class Counted:
    """The stand-ins, counting requests and able to hold them (to keep one in flight)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.count = 0
        self.open = threading.Event()
        self.open.set()
        self.holding = threading.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.count += 1
            if not self.open.is_set():
                self.holding.set()
                await asyncio.to_thread(self.open.wait, 30)
        await self.app(scope, receive, send)


@pytest.fixture(scope="module")
def fleets() -> Iterator[tuple[tuple[Counted, RunningFleet], tuple[Counted, RunningFleet]]]:
    a, b = Counted(create_standins()), Counted(create_standins())
    with serve_in_thread(a) as fleet_a, serve_in_thread(b) as fleet_b:  # type: ignore[arg-type]
        yield (a, fleet_a), (b, fleet_b)


def _replace(path: Path, text: str) -> None:
    # As a deployment should: write beside it, then rename over it (never a half-written file).
    temporary = path.with_suffix(".tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)


async def test_a_reload_swaps_the_supergraph_and_lets_requests_in_flight_finish(
    fleets: tuple[tuple[Counted, RunningFleet], tuple[Counted, RunningFleet]], tmp_path: Path
) -> None:
    (a, fleet_a), (b, fleet_b) = fleets
    path = tmp_path / "supergraph.graphql"
    _replace(path, fleet_a.supergraph_sdl())
    security = SecuritySettings(data_dir=tmp_path)
    settings = RouterSettings(supergraph_poll_seconds=0.05)
    app = create_app(path, settings, security=security, watch=path)
    token = mint_dev_token(load_or_create_dev_secret(security.keys_dir), roles=["admin"])
    events: list[ReloadEvent] = []
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://router.test",
            headers={"authorization": f"Bearer {token}"},
        ) as client,
    ):
        reloader: SupergraphReloader = app.state.supergraph_reloader
        reloader.add_listener(events.append)
        assert (await client.post("/graphql", json={"query": QUERY})).json()["data"] == ANSWER
        # A request held at fleet A while the file now names fleet B.
        a.open.clear()
        a.holding.clear()
        in_flight = asyncio.create_task(client.post("/graphql", json={"query": QUERY}))
        assert await asyncio.to_thread(a.holding.wait, 10)
        _replace(path, fleet_b.supergraph_sdl())
        for _ in range(200):
            if reloader.reloads:
                break
            await asyncio.sleep(0.05)
        assert reloader.reloads == 1 and events[-1].outcome == "reloaded"
        assert events[-1].trigger == "file changed"
        before_b = b.count
        fresh = await client.post("/graphql", json={"query": QUERY})
        assert fresh.json()["data"] == ANSWER and b.count > before_b
        # The held request finishes, on the supergraph (and the pools) it started with.
        a.open.set()
        held = await in_flight
        assert held.status_code == 200 and held.json()["data"] == ANSWER

        # An invalid file is refused: logged, reported, and fleet B keeps serving.
        served = app.state.router
        _replace(path, "type Query { broken")
        for _ in range(200):
            if reloader.failures:
                break
            await asyncio.sleep(0.05)
        assert reloader.failures == 1 and events[-1].outcome == "refused"
        assert events[-1].error and "Syntax Error" in events[-1].error
        assert app.state.router is served
        before_b = b.count
        still = await client.post("/graphql", json={"query": QUERY})
        assert still.json()["data"] == ANSWER and b.count > before_b
        # Refused once, not again on every poll while the file stays the same.
        await asyncio.sleep(0.3)
        assert reloader.failures == 1


async def test_a_reload_refuses_a_supergraph_its_settings_do_not_fit(
    fleets: tuple[tuple[Counted, RunningFleet], tuple[Counted, RunningFleet]], tmp_path: Path
) -> None:
    (_, fleet_a), _ = fleets
    path = tmp_path / "supergraph.graphql"
    _replace(path, fleet_a.supergraph_sdl())
    # Header rules for the "accounts" subgraph: a supergraph without it cannot be served.
    settings = RouterSettings(header_rules={"accounts": [{"propagate": "x-a"}]})
    app = create_app(path, settings, security=SecuritySettings(data_dir=tmp_path), watch=path)
    async with app.router.lifespan_context(app):
        reloader: SupergraphReloader = app.state.supergraph_reloader
        served = app.state.router
        text = fleet_a.supergraph_sdl().replace("ACCOUNTS", "LEDGER").replace("accounts", "ledger")
        _replace(path, text)
        assert await reloader.reload() is False
        assert reloader.last_error is not None
        assert "header rules of 'accounts': no such subgraph" in reloader.last_error
        assert app.state.router is served


def test_reloads_under_load_fail_no_request(
    fleets: tuple[tuple[Counted, RunningFleet], tuple[Counted, RunningFleet]],
) -> None:
    """``python -m router`` under steady load: two file changes, a bad file and a SIGHUP."""
    (a, fleet_a), (b, fleet_b) = fleets
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        path = root / "supergraph.graphql"
        _replace(path, fleet_a.supergraph_sdl())
        token = mint_dev_token(load_or_create_dev_secret(root / "keys"), roles=["admin"])
        env: dict[str, str | None] = {"ROUTER_SUPERGRAPH_POLL_SECONDS": "0.1"}
        with running_router(path, data_dir=root, env=env) as router:
            stop = threading.Event()
            failures: list[str] = []
            answered = [0]

            def load() -> None:
                with httpx.Client(
                    base_url=router.url, headers={"authorization": f"Bearer {token}"}, timeout=30
                ) as client:
                    while not stop.is_set():
                        try:
                            response = client.post("/graphql", json={"query": QUERY})
                            body = response.json()
                            if response.status_code != 200 or body.get("data") != ANSWER:
                                failures.append(f"{response.status_code} {response.text[:200]}")
                            else:
                                answered[0] += 1
                        except httpx.HTTPError as exc:
                            failures.append(repr(exc))

            def wait_for_answers(count: int) -> None:
                target = answered[0] + count
                deadline = time.monotonic() + 60
                while answered[0] < target and time.monotonic() < deadline and not failures:
                    time.sleep(0.02)

            with ThreadPoolExecutor(max_workers=4) as pool:
                workers = [pool.submit(load) for _ in range(4)]
                try:
                    wait_for_answers(20)
                    mark = len(router.stderr_lines)
                    _replace(path, fleet_b.supergraph_sdl())
                    router.wait_for_log("supergraph reloaded", after=mark)
                    wait_for_answers(20)
                    b_before = b.count
                    wait_for_answers(20)
                    assert b.count > b_before  # fleet B serves now
                    mark = len(router.stderr_lines)
                    _replace(path, "type Query {")
                    router.wait_for_log("refused, still serving the previous one", after=mark)
                    wait_for_answers(20)
                    mark = len(router.stderr_lines)
                    _replace(path, fleet_a.supergraph_sdl())
                    router.wait_for_log("supergraph reloaded", after=mark)
                    wait_for_answers(20)
                    a_before = a.count
                    wait_for_answers(20)
                    assert a.count > a_before  # back on fleet A
                    # SIGHUP asks for a reload at once (here the file is unchanged: nothing to
                    # swap), and does not stop the router as SIGHUP's default action would.
                    mark = len(router.stderr_lines)
                    router.signal(signal.SIGHUP)
                    router.wait_for_log("unchanged (SIGHUP)", after=mark)
                    wait_for_answers(20)
                finally:
                    stop.set()
                    for worker in workers:
                        worker.result(timeout=60)
            assert router.process.poll() is None, router.stderr
        assert not failures, failures[:5]
        assert answered[0] >= 120


async def test_a_refused_reload_shows_in_the_metrics(
    fleets: tuple[tuple[Counted, RunningFleet], tuple[Counted, RunningFleet]], tmp_path: Path
) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    from telemetry import TelemetrySettings

    (_, fleet_a), (_, fleet_b) = fleets
    path = tmp_path / "supergraph.graphql"
    _replace(path, fleet_a.supergraph_sdl())
    app = create_app(
        path,
        RouterSettings(),
        security=SecuritySettings(data_dir=tmp_path),
        watch=path,
        telemetry=TelemetrySettings(service="router", metrics_on_public_port=True),
    )

    def samples(body: bytes) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        return {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(body.decode())
            for sample in family.samples
        }

    async with app.router.lifespan_context(app):
        reloader: SupergraphReloader = app.state.supergraph_reloader
        metrics = app.state.router.gateway.observer.telemetry.metrics
        _replace(path, "type Query {")  # not a supergraph
        assert await reloader.reload() is False
        refused = samples(await metrics.exposition())
        assert (
            refused[("wealthtech_router_supergraph_reloads_total", (("outcome", "refused"),))] == 1
        )
        assert refused[("wealthtech_router_supergraph_reload_failing", ())] == 1
        _replace(path, fleet_b.supergraph_sdl())
        assert await reloader.reload() is True
        reloaded = samples(await metrics.exposition())
        assert (
            reloaded[("wealthtech_router_supergraph_reloads_total", (("outcome", "reloaded"),))]
            == 1
        )
        assert reloaded[("wealthtech_router_supergraph_reload_failing", ())] == 0
