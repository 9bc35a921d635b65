"""The transport seam between the executor and the subgraphs (like httpx's transports).

The executor never does I/O itself: it hands a GraphQL payload to a `SubgraphTransport`. The HTTP
implementation lives in `router.subgraph_client`; tests use an in-process one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass
class RequestContext:
    """Per client request facts forwarded to the transport."""

    headers: Mapping[str, str] = field(default_factory=dict)
    request_id: str | None = None
    # Headers only some subgraphs get (header propagation rules), by subgraph name; sent on top
    # of ``headers`` to that subgraph.
    subgraph_headers: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def headers_for(self, subgraph: str) -> Mapping[str, str]:
        """Return the headers of a request to ``subgraph``: the common ones and its own."""
        own = self.subgraph_headers.get(subgraph)
        return {**self.headers, **own} if own else self.headers


class SubgraphUnavailable(Exception):
    """A subgraph could not be reached or answered with an unusable HTTP response."""

    def __init__(self, subgraph: str, reason: str) -> None:
        super().__init__(f"subgraph '{subgraph}' unavailable: {reason}")
        self.subgraph = subgraph
        self.reason = reason


class SubgraphTransport(Protocol):
    """Sends one GraphQL request to one subgraph and returns its decoded JSON response."""

    async def send(
        self, subgraph: str, payload: dict[str, Any], context: RequestContext
    ) -> dict[str, Any]:
        """Return `{"data": ..., "errors": [...]}`; raise `SubgraphUnavailable` on failure."""
        ...
