"""A secured router over the stand-in subgraphs, in-process, with a transport that records what
each subgraph request carried."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from router.auth import SecuritySettings, load_or_create_dev_secret, mint_dev_token
from router.execution import RequestContext
from router.http import create_app
from router.settings import RouterSettings
from router.subgraph_client import SubgraphClient
from router.supergraph import Supergraph
from tests.router.standins import RunningFleet

SAFE_FORWARD = ("x-internal-token", "x-request-id")


@dataclass
class RecordingTransport:
    inner: SubgraphClient
    contexts: list[RequestContext] = field(default_factory=list)

    async def send(
        self, subgraph: str, payload: dict[str, Any], context: RequestContext
    ) -> dict[str, Any]:
        self.contexts.append(context)
        return await self.inner.send(subgraph, payload, context)


@dataclass
class SecuredRouter:
    client: httpx.AsyncClient
    recording: RecordingTransport
    settings: SecuritySettings

    def token(self, *roles: str, **kwargs: Any) -> str:
        secret = load_or_create_dev_secret(self.settings.keys_dir)
        return mint_dev_token(secret, roles=roles or ("admin",), **kwargs)

    def bearer(self, *roles: str, **kwargs: Any) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token(*roles, **kwargs)}"}


@asynccontextmanager
async def secured_router(
    fleet: RunningFleet, data_dir: Path, **security: Any
) -> AsyncIterator[SecuredRouter]:
    settings = SecuritySettings(data_dir=data_dir, **security)
    supergraph = Supergraph.from_sdl(fleet.supergraph_sdl())
    recording = RecordingTransport(SubgraphClient(supergraph.subgraph_urls))
    app = create_app(
        supergraph,
        RouterSettings(forward_headers=SAFE_FORWARD),
        transport=recording,
        security=settings,
    )
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://r.test") as client:
                yield SecuredRouter(client, recording, settings)
    finally:
        await recording.inner.aclose()
