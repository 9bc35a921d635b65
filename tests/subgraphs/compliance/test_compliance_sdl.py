"""The committed SDL (schema/compliance.graphql) is what the service serves."""

from __future__ import annotations

import httpx

from subgraphs.compliance.schema import schema
from subgraphs.kit import FEDERATION_VERSION, export_sdl, sdl_path
from subgraphs.kit.testing import execute

REGENERATE = "run `python -m subgraphs.compliance write-sdl`"


def test_committed_sdl_is_current() -> None:
    path = sdl_path("compliance")
    assert path.exists(), f"schema/compliance.graphql is missing: {REGENERATE}"
    assert path.read_text(encoding="utf-8") == export_sdl(schema), (
        f"schema/compliance.graphql is stale: {REGENERATE}"
    )


def test_sdl_owns_compliance_logs_and_extends_the_others() -> None:
    sdl = export_sdl(schema)
    assert f'url: "https://specs.apollo.dev/federation/v{FEDERATION_VERSION}"' in sdl
    assert 'type ComplianceLog @key(fields: "id")' in sdl
    for owner in ("User", "InvestmentAccount", "Transaction"):
        assert f'type {owner} @key(fields: "id")' in sdl
    assert "kycStatus: KycStatus\n" in sdl  # nullable: contributed to User


async def test_service_sdl_field_serves_the_exported_sdl(client: httpx.AsyncClient) -> None:
    served = (await execute(client, "{ _service { sdl } }")).ok()["_service"]["sdl"]
    assert served.rstrip("\n") == export_sdl(schema).rstrip("\n")
