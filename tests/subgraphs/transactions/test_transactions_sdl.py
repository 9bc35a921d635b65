"""The committed schema/transactions.graphql is what the service serves; regenerate when stale."""

from __future__ import annotations

import httpx

from subgraphs.kit import FEDERATION_VERSION, export_sdl, sdl_path
from subgraphs.kit.testing import execute
from subgraphs.transactions.schema import schema

REGENERATE = "run `python -m subgraphs.transactions write-sdl`"


def test_committed_sdl_is_current() -> None:
    path = sdl_path("transactions")
    assert path.exists(), f"schema/transactions.graphql is missing: {REGENERATE}"
    assert path.read_text(encoding="utf-8") == export_sdl(schema), (
        f"schema/transactions.graphql is stale: {REGENERATE}"
    )


def test_sdl_declares_the_entity_and_contributed_fields() -> None:
    sdl = export_sdl(schema)
    assert f'url: "https://specs.apollo.dev/federation/v{FEDERATION_VERSION}"' in sdl
    assert 'type Transaction @key(fields: "id")' in sdl
    assert 'type InvestmentAccount @key(fields: "id")' in sdl
    assert 'type User @key(fields: "id")' in sdl
    assert "currency: String! @external" in sdl
    assert 'cashBalance: Money @requires(fields: "currency")' in sdl
    assert 'availableCash: Money @requires(fields: "currency")' in sdl


async def test_service_sdl_field_serves_the_exported_sdl(client: httpx.AsyncClient) -> None:
    served = (await execute(client, "{ _service { sdl } }")).ok()["_service"]["sdl"]
    assert served.rstrip("\n") == export_sdl(schema).rstrip("\n")
