"""The router's protection per subgraph: breaker, retry of queries only, timeouts, concurrency."""

from __future__ import annotations

import asyncio
import random

import httpx
import pytest

from router.execution import RequestContext, SubgraphUnavailable
from router.resilience import BreakerState, CircuitBreaker, SubgraphPolicy, retry_delay
from router.settings import RouterSettings
from router.subgraph_client import SubgraphClient
from tests.router.http.conftest import RouterFactory

QUERY = {"query": "{ __typename }"}
MUTATION = {"query": 'mutation { echo(message: "x") }'}
OK = {"data": {"__typename": "Query"}}
FAST = dict(retry_base_delay=0.001, retry_max_delay=0.002)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_breaker_opens_after_consecutive_failures_and_probes_when_half_open() -> None:
    clock = Clock()
    changes: list[tuple[str, BreakerState, BreakerState]] = []
    policy = SubgraphPolicy(breaker_failure_threshold=3, breaker_open_seconds=5.0)
    breaker = CircuitBreaker(
        "compliance", policy, clock=clock, listeners=[lambda *c: changes.append(c)]
    )
    for _ in range(2):
        assert breaker.acquire()
        breaker.record_failure()
    assert breaker.acquire()
    breaker.record_success()  # a success resets the count: failures must be consecutive
    for _ in range(3):
        assert breaker.acquire()
        breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    assert not breaker.acquire() and not breaker.acquire()
    assert breaker.retry_in() == pytest.approx(5.0)
    clock.now += 5.0
    assert breaker.state is BreakerState.HALF_OPEN
    assert breaker.acquire()  # the one probe
    assert not breaker.acquire()  # others still refused while it runs
    breaker.record_failure()  # the probe failed: open again, for another full period
    assert breaker.state is BreakerState.OPEN
    clock.now += 5.0
    assert breaker.acquire()
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED
    snapshot = breaker.snapshot()
    assert (snapshot.opened_total, snapshot.rejected_total, snapshot.consecutive_failures) == (
        2,
        3,
        0,
    )
    assert [(old.value, new.value) for _, old, new in changes] == [
        ("closed", "open"),
        ("open", "half_open"),
        ("half_open", "open"),
        ("open", "half_open"),
        ("half_open", "closed"),
    ]


def test_retry_delays_are_jittered_below_an_exponential_cap() -> None:
    policy = SubgraphPolicy(retry_base_delay=0.1, retry_max_delay=0.3)
    rng = random.Random(7)
    delays = [[retry_delay(policy, attempt, rng) for _ in range(200)] for attempt in (1, 2, 3)]
    assert all(0 <= d <= 0.1 for d in delays[0])
    assert all(0 <= d <= 0.2 for d in delays[1]) and max(delays[1]) > 0.1
    assert all(0 <= d <= 0.3 for d in delays[2])
    assert len({round(d, 6) for d in delays[2]}) > 100  # jittered, not one fixed pause


def _client(handler: object, **policy: float) -> SubgraphClient:
    return SubgraphClient(
        {"compliance": "http://compliance.test/graphql"},
        transports={"compliance": httpx.MockTransport(handler)},  # type: ignore[arg-type]
        policy=SubgraphPolicy(**{**FAST, **policy}),  # type: ignore[arg-type]
    )


async def test_an_open_breaker_refuses_without_a_network_call() -> None:
    calls = 0

    def down(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        raise httpx.ConnectError("refused", request=request)

    client = _client(down, retry_attempts=0, breaker_failure_threshold=3)
    try:
        for _ in range(3):
            with pytest.raises(SubgraphUnavailable, match="could not connect"):
                await client.send("compliance", QUERY, RequestContext())
        for _ in range(50):
            with pytest.raises(SubgraphUnavailable, match="circuit open") as caught:
                await client.send("compliance", QUERY, RequestContext())
    finally:
        await client.aclose()
    assert calls == 3
    assert caught.value.subgraph == "compliance"
    snapshot = client.breakers()["compliance"]
    assert snapshot.state is BreakerState.OPEN and snapshot.rejected_total == 50


async def test_a_query_is_retried_after_a_failure_that_reached_no_resolver() -> None:
    answers = [
        httpx.Response(503, text="restarting"),
        httpx.Response(502, text="bad gateway"),
        httpx.Response(200, json=OK),
    ]
    seen = 0

    def flaky(request: httpx.Request) -> httpx.Response:
        nonlocal seen
        seen += 1
        return answers.pop(0)

    client = _client(flaky, retry_attempts=2)
    try:
        assert await client.send("compliance", QUERY, RequestContext()) == OK
    finally:
        await client.aclose()
    assert seen == 3


async def test_a_mutation_is_never_sent_twice() -> None:
    seen = 0

    def flaky(request: httpx.Request) -> httpx.Response:
        nonlocal seen
        seen += 1
        raise httpx.RemoteProtocolError("connection lost", request=request)

    client = _client(flaky, retry_attempts=5)
    try:
        with pytest.raises(SubgraphUnavailable, match="RemoteProtocolError"):
            await client.send("compliance", MUTATION, RequestContext())
    finally:
        await client.aclose()
    assert seen == 1


async def test_a_read_timeout_is_not_retried() -> None:
    seen = 0

    def slow(request: httpx.Request) -> httpx.Response:
        nonlocal seen
        seen += 1
        raise httpx.ReadTimeout("slow", request=request)

    client = _client(slow, retry_attempts=3)
    try:
        with pytest.raises(SubgraphUnavailable, match="ReadTimeout"):
            await client.send("compliance", QUERY, RequestContext())
    finally:
        await client.aclose()
    assert seen == 1  # the subgraph may still be working on it: no second copy of the load


async def test_the_fetch_timeout_bounds_a_hanging_subgraph_and_counts_as_a_failure() -> None:
    async def hang(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(30)
        return httpx.Response(200, json=OK)

    client = _client(hang, fetch_timeout=0.1, breaker_failure_threshold=1)
    try:
        with pytest.raises(SubgraphUnavailable, match=r"fetch timeout of 0\.1s"):
            await client.send("compliance", QUERY, RequestContext())
    finally:
        await client.aclose()
    assert client.breakers()["compliance"].state is BreakerState.OPEN


async def test_concurrency_per_subgraph_is_bounded() -> None:
    in_flight = peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.02)
        in_flight -= 1
        return httpx.Response(200, json=OK)

    client = _client(handler, max_concurrency=3)
    try:
        results = await asyncio.gather(
            *(client.send("compliance", QUERY, RequestContext()) for _ in range(12))
        )
    finally:
        await client.aclose()
    assert results == [OK] * 12
    assert peak == 3


def test_policies_come_from_settings_with_per_subgraph_overrides() -> None:
    settings = RouterSettings(
        subgraph_read_timeout=4,
        subgraph_breaker_failure_threshold=7,
        subgraph_policies={"Compliance": {"read_timeout": 1.5, "retry_attempts": 0}},
    )
    policies = settings.resolve_subgraph_policies(["users", "compliance"])
    assert policies["users"].read_timeout == 4 and policies["users"].retry_attempts == 2
    assert policies["compliance"].read_timeout == 1.5
    assert policies["compliance"].retry_attempts == 0
    assert policies["compliance"].breaker_failure_threshold == 7
    with pytest.raises(ValueError, match="'ledger' matches no subgraph"):
        RouterSettings(subgraph_policies={"ledger": {}}).resolve_subgraph_policies(["users"])
    with pytest.raises(ValueError, match="read_tmeout"):
        RouterSettings(subgraph_policies={"users": {"read_tmeout": 1}})


def test_policies_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROUTER_SUBGRAPH_FETCH_TIMEOUT", "3.5")
    monkeypatch.setenv("ROUTER_SUBGRAPH_POLICIES", '{"users": {"max_concurrency": 8}}')
    policies = RouterSettings().resolve_subgraph_policies(["users", "accounts"])
    assert policies["accounts"].fetch_timeout == 3.5
    assert policies["users"].max_concurrency == 8 and policies["users"].fetch_timeout == 3.5


async def test_a_dead_subgraph_fails_fast_at_its_paths_through_the_router(
    router_factory: RouterFactory,
) -> None:
    # Everything but the dead subgraph's fields answers; after the breaker opens, the error
    # still names the subgraph and keeps its code, and no connect is attempted.
    query = {"query": '{ users(first: 2) { name } account(id: "acc_0001") { id name } }'}
    async with router_factory(
        subgraph_urls={"accounts": "http://127.0.0.1:9/graphql"},
        subgraph_breaker_failure_threshold=2,
        subgraph_retry_attempts=0,
    ) as router:
        bodies = [(await router.post("/graphql", json=query)).json() for _ in range(4)]
    for body in bodies:
        assert body["data"] == {
            "users": [{"name": "User 001"}, {"name": "User 002"}],
            "account": None,
        }
        [error] = body["errors"]
        assert error["extensions"] == {"code": "SUBREQUEST_HTTP_ERROR", "service": "accounts"}
        assert error["path"] == ["account"]
        assert "'accounts'" in error["message"]
    assert "could not connect" in bodies[0]["errors"][0]["message"]
    assert "circuit open" in bodies[-1]["errors"][0]["message"]
