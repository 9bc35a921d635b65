"""``/metrics`` in the Prometheus text format, scraped from each service after real traffic."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.integration_support import ACCEPT
from tests.telemetry.conftest import ObservedSystem
from tests.telemetry.telemetry_support import traced_profile

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def _scrape(url: str) -> Samples:
    response = httpx.get(url, timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def _value(samples: Samples, name: str, **labels: str) -> float:
    wanted = set(labels.items())
    return sum(value for (n, ls), value in samples.items() if n == name and wanted <= ls)


def _names(samples: Samples) -> set[str]:
    return {name for name, _ in samples}


async def test_router_metrics_after_real_traffic(observed: ObservedSystem) -> None:
    system = observed.system
    await traced_profile(system.router_url, system.bearer())
    async with httpx.AsyncClient(base_url=system.router_url, timeout=30) as client:
        # Same operation again: its plan comes from the cache.
        again = await client.post(
            "/graphql",
            json={"query": "query Again { __typename }", "operationName": "Again"},
            headers={**system.bearer(), "accept": ACCEPT},
        )
        assert again.status_code == 200
        await client.post(
            "/graphql",
            json={"query": "query Again { __typename }", "operationName": "Again"},
            headers={**system.bearer(), "accept": ACCEPT},
        )
        # No token: an authentication failure.
        refused = await client.post("/graphql", json={"query": "{ __typename }"})
        assert refused.status_code == 401
        # Deeper than the router's limit (12): refused before planning.
        hop = "investmentAccounts { nodes { user { "
        nested = 'query TooDeep { user(id: "x") { ' + hop * 5 + "id" + " } } }" * 5 + " } }"
        too_deep = await client.post(
            "/graphql",
            json={"query": nested},
            headers={**system.bearer(), "accept": ACCEPT},
        )
        assert too_deep.status_code == 400, too_deep.text
        assert too_deep.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_DEEP"
    samples = _scrape(observed.metrics_url("router"))
    assert _value(samples, "wealthtech_requests_total", operation="Profile", outcome="success") >= 1
    assert (
        _value(
            samples,
            "wealthtech_request_duration_seconds_count",
            service="router",
            operation="Profile",
        )
        >= 1
    )
    assert _value(samples, "wealthtech_requests_total", outcome="unauthenticated") >= 1
    assert _value(samples, "wealthtech_router_authentication_failures_total") >= 1
    assert _value(samples, "wealthtech_router_limit_refusals_total", code="QUERY_TOO_DEEP") >= 1
    assert _value(samples, "wealthtech_router_plan_cache_hits_total") >= 1
    assert _value(samples, "wealthtech_router_plan_cache_misses_total") >= 1
    for subgraph in ("users", "investments"):
        assert (
            _value(
                samples,
                "wealthtech_router_subgraph_fetch_duration_seconds_count",
                subgraph=subgraph,
            )
            >= 1
        )
        assert _value(samples, "wealthtech_router_circuit_breaker_state", subgraph=subgraph) == 0


async def test_subgraph_metrics_after_real_traffic(observed: ObservedSystem) -> None:
    system = observed.system
    await traced_profile(system.router_url, system.bearer())
    users = _scrape(observed.metrics_url("users"))
    assert _value(users, "wealthtech_requests_total", service="users", outcome="success") >= 1
    assert _value(users, "wealthtech_subgraph_decryptions_total", subgraph="users") >= 4
    assert any(
        n == "wealthtech_subgraph_decryptions_total" and dict(ls).get("key_id") for n, ls in users
    )
    assert (
        "wealthtech_subgraph_db_pool_connections",
        frozenset({("subgraph", "users"), ("state", "in_use")}),
    ) in users
    assert ("wealthtech_subgraph_audit_outbox_backlog", frozenset({("subgraph", "users")})) in users
    assert (
        "wealthtech_subgraph_audit_relay_lag_seconds",
        frozenset({("subgraph", "users")}),
    ) in users
    for service in ("investments", "transactions", "compliance"):
        scraped = _scrape(observed.metrics_url(service))
        assert (
            "wealthtech_subgraph_db_pool_connections",
            frozenset({("subgraph", service), ("state", "in_use")}),
        ) in scraped, service


def test_metrics_are_not_served_on_the_public_port(observed: ObservedSystem) -> None:
    assert httpx.get(f"{observed.system.router_url}/metrics", timeout=10).status_code == 404
    users = observed.system.subgraphs["users"].base_url
    assert httpx.get(f"{users}/metrics", timeout=10).status_code == 404
    # The metrics port answers /metrics only.
    other = observed.metrics_url("router").replace("/metrics", "/graphql")
    assert httpx.get(other, timeout=10).status_code == 404
