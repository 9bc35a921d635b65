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
