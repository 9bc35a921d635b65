"""Where subgraph SDLs come from: ``schema/*.graphql`` files or a running subgraph's ``_service``.

Fetching is the one place composition does I/O; it happens before composition, never while the
router serves requests. The subgraphs refuse a request without an internal token
(docs/security.md), so a fetch sends one (``wealthtech token --internal``) as ``X-Internal-Token``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from crypto.internal_token import INTERNAL_TOKEN_HEADER

from ._compose import SubgraphSource
from .errors import SubgraphFetchError

# The four subgraphs of this project on their default ports (docs: DESIGN.md section 6).
DEFAULT_SUBGRAPH_URLS: Mapping[str, str] = {
    "users": "http://127.0.0.1:4001/graphql",
    "investments": "http://127.0.0.1:4002/graphql",
    "transactions": "http://127.0.0.1:4003/graphql",
    "compliance": "http://127.0.0.1:4004/graphql",
}
SUPERGRAPH_FILE_NAME = "supergraph.graphql"
SERVICE_SDL_QUERY = "query SubgraphSdl { _service { sdl } }"


def load_subgraphs_from_dir(
    directory: Path | str, urls: Mapping[str, str] | None = None
) -> list[SubgraphSource]:
    """Read every ``<name>.graphql`` in ``directory`` (except the supergraph) as a subgraph.

    The subgraph is named after the file; its URL comes from ``urls``, else from the project's
    defaults. A file whose subgraph has no known URL is an error, not a guess.
    """
    folder = Path(directory)
    known = {**DEFAULT_SUBGRAPH_URLS, **(urls or {})}
    sources: list[SubgraphSource] = []
    for path in sorted(folder.glob("*.graphql")):
        if path.name == SUPERGRAPH_FILE_NAME:
            continue
        name = path.stem
        if name not in known:
            raise ValueError(
                f"no routing URL for subgraph {name!r} ({path}): pass it as {name}=URL"
            )
        sources.append(SubgraphSource(name, known[name], path.read_text(encoding="utf-8")))
    if not sources:
        raise ValueError(f"no subgraph schemas (*.graphql) found in {folder}")
    return sources


async def fetch_subgraph(
    name: str,
    url: str,
    *,
    client: httpx.AsyncClient | None = None,
    timeout_seconds: float = 10.0,
    internal_token: str | None = None,
) -> SubgraphSource:
    """Ask a running subgraph for its SDL with ``{ _service { sdl } }``.

    ``internal_token`` is sent as the ``X-Internal-Token`` header the subgraphs require.
    """
    if client is None:
        async with httpx.AsyncClient(timeout=timeout_seconds) as own_client:
            return await fetch_subgraph(name, url, client=own_client, internal_token=internal_token)
    headers = {"accept": "application/graphql-response+json, application/json"}
    if internal_token:
        headers[INTERNAL_TOKEN_HEADER] = internal_token
    try:
        response = await client.post(
            url,
            json={"query": SERVICE_SDL_QUERY, "operationName": "SubgraphSdl"},
            headers=headers,
        )
    except httpx.HTTPError as exc:
        raise SubgraphFetchError(name, url, f"{type(exc).__name__}: {exc}") from exc
    if response.status_code in (401, 403):
        hint = "" if internal_token else " (no internal token sent: see --internal-token)"
        raise SubgraphFetchError(name, url, f"HTTP {response.status_code}{hint}")
    if response.status_code != 200:
        raise SubgraphFetchError(name, url, f"HTTP {response.status_code}")
    try:
        body: Any = response.json()
    except ValueError as exc:
        raise SubgraphFetchError(name, url, "the answer is not JSON") from exc
    sdl = _sdl_from(body)
    if sdl is None:
        errors = body.get("errors") if isinstance(body, dict) else None
        detail = f": {errors[0].get('message')}" if isinstance(errors, list) and errors else ""
        raise SubgraphFetchError(name, url, f"the answer has no _service.sdl{detail}")
    return SubgraphSource(name, url, sdl)


def _sdl_from(body: Any) -> str | None:
    if not isinstance(body, dict):
        return None
    data = body.get("data")
    service = data.get("_service") if isinstance(data, dict) else None
    sdl = service.get("sdl") if isinstance(service, dict) else None
    return sdl if isinstance(sdl, str) else None


async def fetch_subgraphs(
    urls: Mapping[str, str],
    *,
    client: httpx.AsyncClient | None = None,
    timeout_seconds: float = 10.0,
    internal_token: str | None = None,
) -> list[SubgraphSource]:
    """Fetch several subgraphs' SDLs concurrently, in the order of ``urls``."""
    if client is None:
        async with httpx.AsyncClient(timeout=timeout_seconds) as own_client:
            return await fetch_subgraphs(urls, client=own_client, internal_token=internal_token)
    return list(
        await asyncio.gather(
            *(
                fetch_subgraph(name, url, client=client, internal_token=internal_token)
                for name, url in urls.items()
            )
        )
    )
