"""The committed SDL (schema/investments.graphql) is what the service serves."""

from __future__ import annotations

import httpx

from subgraphs.investments.schema import schema
from subgraphs.kit import FEDERATION_VERSION, export_sdl, sdl_path
from subgraphs.kit.testing import execute

REGENERATE = "run `python -m subgraphs.investments write-sdl`"


def test_committed_sdl_is_current() -> None:
    path = sdl_path("investments")
    assert path.exists(), f"schema/investments.graphql is missing: {REGENERATE}"
    assert path.read_text(encoding="utf-8") == export_sdl(schema), (
        f"schema/investments.graphql is stale: {REGENERATE}"
    )


def test_sdl_declares_the_entities_of_design_section_2() -> None:
    sdl = export_sdl(schema)
    assert f'url: "https://specs.apollo.dev/federation/v{FEDERATION_VERSION}"' in sdl
    assert 'type InvestmentAccount @key(fields: "id")' in sdl
    # User is the users subgraph's entity; this subgraph contributes investmentAccounts to it.
    assert 'type User @key(fields: "id")' in sdl
    assert "investmentAccounts(first: Int = 20, after: String = null" in sdl
    assert "user: User\n" in sdl  # nullable: points at the users subgraph


async def test_service_sdl_field_serves_the_exported_sdl(client: httpx.AsyncClient) -> None:
    served = (await execute(client, "{ _service { sdl } }")).ok()["_service"]["sdl"]
    assert served.rstrip("\n") == export_sdl(schema).rstrip("\n")
