"""The committed SDL (schema/users.graphql) is what the service serves; regenerate when stale."""

from __future__ import annotations

import httpx

from subgraphs.kit import FEDERATION_VERSION, export_sdl, sdl_path
from subgraphs.kit.testing import execute
from subgraphs.users.schema import schema


def test_committed_sdl_is_current() -> None:
    path = sdl_path("users")
    assert path.exists(), (
        "schema/users.graphql is missing: run `python -m subgraphs.users write-sdl`"
    )
    assert path.read_text(encoding="utf-8") == export_sdl(schema), (
        "schema/users.graphql is stale: run `python -m subgraphs.users write-sdl`"
    )


def test_sdl_links_a_federation_version_standard_composers_accept() -> None:
    sdl = export_sdl(schema)
    assert f'url: "https://specs.apollo.dev/federation/v{FEDERATION_VERSION}"' in sdl
    assert FEDERATION_VERSION == "2.9"
    assert 'type User @key(fields: "id")' in sdl


async def test_service_sdl_field_serves_the_exported_sdl(client: httpx.AsyncClient) -> None:
    served = (await execute(client, "{ _service { sdl } }")).ok()["_service"]["sdl"]
    assert served.rstrip("\n") == export_sdl(schema).rstrip("\n")
