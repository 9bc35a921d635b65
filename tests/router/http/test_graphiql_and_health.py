"""GraphiQL page from local assets only, /healthz and /readyz (with a subgraph down)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import httpx
import pytest

from router.http.graphiql import ASSET_FILES, DEFAULT_ASSETS_DIR, assets_installed
from tests.router.standins import free_port

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def require_assets() -> None:
    if assets_installed(DEFAULT_ASSETS_DIR):
        return
    if os.environ.get("REQUIRE_NODE", "") not in ("", "0"):
        pytest.fail(
            f"REQUIRE_NODE is set but GraphiQL assets are missing from {DEFAULT_ASSETS_DIR}"
        )
    pytest.skip("GraphiQL assets not installed (needs npm: make install)")


async def test_browser_gets_graphiql_that_references_local_assets_only(
    router: httpx.AsyncClient,
) -> None:
    require_assets()
    page = await router.get("/graphql", headers={"accept": BROWSER_ACCEPT})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "GraphiQL.createFetcher" in html
    # Nothing may come from a CDN: the page must work with no internet access.
    assert not re.search(r"https?://", html), "the GraphiQL page references a remote URL"
    references = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert len(references) == len(ASSET_FILES)
    for reference in references:
        asset = await router.get(reference)
        assert asset.status_code == 200, reference
        assert len(asset.content) > 1000, reference


async def test_graphiql_bundle_itself_loads_nothing_remote(router: httpx.AsyncClient) -> None:
    require_assets()
    css = await router.get("/graphiql-assets/graphiql.min.css")
    # Fonts are inlined as data: URLs; an @import or url(http...) would need the internet.
    assert not re.search(r"url\(\s*['\"]?https?://", css.text)
    assert "@import" not in css.text


async def test_missing_assets_give_a_page_that_says_how_to_install_them(
    router_factory, tmp_path: Path
) -> None:
    async with router_factory(graphiql_assets_dir=tmp_path) as router:
        page = await router.get("/graphql", headers={"accept": BROWSER_ACCEPT})
    assert page.status_code == 503
    assert "GraphiQL is not installed" in page.text
    assert "make install" in page.text


async def test_get_with_a_query_from_a_browser_runs_the_query(router: httpx.AsyncClient) -> None:
    response = await router.get(
        "/graphql", params={"query": "{ complianceStatus }"}, headers={"accept": BROWSER_ACCEPT}
    )
    assert response.json() == {"data": {"complianceStatus": "OPERATIONAL"}}


async def test_healthz(router: httpx.AsyncClient) -> None:
    response = await router.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_when_every_subgraph_answers(router: httpx.AsyncClient) -> None:
    response = await router.get("/readyz")
    assert response.status_code == 200
    names = ("accounts", "compliance", "transactions", "users")
    assert response.json() == {
        "status": "ok",
        "subgraphs": dict.fromkeys(names, "ok"),
        "circuits": dict.fromkeys(names, "closed"),
    }


async def test_readyz_names_the_subgraph_that_is_down(router_factory) -> None:
    dead = f"http://127.0.0.1:{free_port()}/graphql"
    async with router_factory(subgraph_urls={"compliance": dead}) as router:
        response = await router.get("/readyz")
        health = await router.get("/healthz")
    # Degraded, still ready: everything that does not need compliance keeps being served.
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["degraded"] == ["compliance"]
    assert body["subgraphs"]["compliance"] == "could not connect"
    assert body["subgraphs"]["users"] == "ok"
    assert health.status_code == 200  # the router itself is up


async def test_readyz_is_unavailable_when_no_subgraph_answers(router_factory) -> None:
    names = ("accounts", "compliance", "transactions", "users")
    dead = {name: f"http://127.0.0.1:{free_port()}/graphql" for name in names}
    async with router_factory(subgraph_urls=dead) as router:
        response = await router.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["degraded"] == sorted(names)
