"""Readiness: whether the router can reach every subgraph right now.

Each subgraph gets the cheapest possible GraphQL request, ``{ __typename }``, through the same
transport that serves client traffic, so readiness checks the real path (pool, URL, timeouts).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from router.execution import RequestContext, SubgraphTransport, SubgraphUnavailable

_PROBE = {"query": "{ __typename }"}


async def probe_subgraph(
    transport: SubgraphTransport,
    subgraph: str,
    timeout: float,  # noqa: ASYNC109
    context: RequestContext | None = None,
) -> str | None:
    """Return ``None`` when ``subgraph`` answers ``{ __typename }``, else why it does not.

    ``context`` carries the router's own internal token: subgraphs refuse requests without one.
    """
    try:
        async with asyncio.timeout(timeout):
            body = await transport.send(subgraph, dict(_PROBE), context or RequestContext())
    except SubgraphUnavailable as exc:
        return exc.reason
    except TimeoutError:
        return f"no answer within {timeout:g}s"
    data = body.get("data")
    if body.get("errors") or not isinstance(data, dict) or "__typename" not in data:
        return "answered { __typename } with errors"
    return None


async def check_subgraphs(
    transport: SubgraphTransport,
    subgraphs: Iterable[str],
    timeout: float,  # noqa: ASYNC109 - one bound per probe, not for the whole call
    context: RequestContext | None = None,
) -> dict[str, str | None]:
    """Probe all ``subgraphs`` concurrently; map each name to ``None`` (ok) or its failure."""
    names = sorted(subgraphs)
    results = await asyncio.gather(*(probe_subgraph(transport, n, timeout, context) for n in names))
    return dict(zip(names, results, strict=True))
