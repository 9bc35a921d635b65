"""What the HTTP app keeps on typed state for its lifetime: settings, gateway, transport."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import Request

from router.execution import SubgraphTransport
from router.gateway import Gateway
from router.headers import HeaderPlan
from router.settings import RouterSettings
from router.supergraph import Supergraph


@dataclass(frozen=True)
class RouterState:
    settings: RouterSettings
    supergraph: Supergraph
    gateway: Gateway
    transport: SubgraphTransport
    subgraph_urls: Mapping[str, str]
    graphiql_assets_dir: Path
    # Whether X-Debug-Plan answers with the plan (RouterSettings.query_plan_exposed).
    expose_query_plan: bool = False
    # Which request headers go to which subgraphs (forward_headers and ROUTER_HEADER_RULES).
    header_plan: HeaderPlan = field(default_factory=HeaderPlan)


def router_state(request: Request) -> RouterState:
    """Return the state that the app's lifespan put on ``app.state.router``."""
    state = request.app.state.router
    if not isinstance(state, RouterState):  # pragma: no cover - only if used outside create_app
        raise RuntimeError("the router app was not started through its lifespan")
    return state
