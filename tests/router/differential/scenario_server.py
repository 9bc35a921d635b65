"""Serve the engine conformance scenarios' test subgraphs over real HTTP on loopback.

The engine suite (tests/router/engine) runs its graphql-core test subgraphs in-process. Hive Gateway
can only reach subgraphs over HTTP, so this wraps the same ``TestSubgraph`` objects in a tiny ASGI
app (``/<subgraph>/graphql``) and points the scenario's supergraph at it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import orjson
from graphql import parse, print_ast
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from router.supergraph import Supergraph
from tests.router.engine.subgraph_kit import TestSubgraph
from tests.router.standins import serve_in_thread


def scenario_app(subgraphs: Mapping[str, TestSubgraph]) -> Starlette:
    async def endpoint(request: Request) -> Response:
        subgraph = subgraphs[request.path_params["name"]]
        result = await subgraph.execute(orjson.loads(await request.body()))
        return Response(orjson.dumps(result), media_type="application/json")

    return Starlette(routes=[Route("/{name}/graphql", endpoint, methods=["POST"])])


def point_supergraph_at(supergraph_sdl: str, base_url: str) -> str:
    """Rewrite every ``@join__graph(url:)`` of the supergraph to ``base_url/<name>/graphql``."""
    urls = Supergraph.from_sdl(supergraph_sdl).subgraph_urls
    for name, url in urls.items():
        supergraph_sdl = supergraph_sdl.replace(
            f'url: "{url}"', f'url: "{base_url}/{name}/graphql"'
        )
    # Reprinting proves the rewritten SDL is still a document (a stray quote would fail here).
    print_ast(parse(supergraph_sdl))
    return supergraph_sdl


@contextmanager
def serve_scenario(subgraphs: Mapping[str, TestSubgraph], supergraph_sdl: str) -> Iterator[str]:
    """Serve ``subgraphs`` on a loopback port; yield the supergraph pointing at them."""
    with serve_in_thread(scenario_app(subgraphs)) as running:  # type: ignore[arg-type]
        yield point_supergraph_at(supergraph_sdl, running.base_url)
