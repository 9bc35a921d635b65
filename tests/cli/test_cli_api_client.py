"""Commands that write through the API authenticate like any client: a bearer caller token."""

from __future__ import annotations

import asyncio

import pytest

from wealthtech_cli.__main__ import build_parser
from wealthtech_cli.api_client import api_client


async def _headers(token: str | None) -> dict[str, str]:
    async with api_client(token) as client:
        return dict(client.headers)


def test_token_from_the_option_or_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WEALTHTECH_TOKEN", raising=False)
    assert "authorization" not in asyncio.run(_headers(None))
    assert asyncio.run(_headers("abc"))["authorization"] == "Bearer abc"
    monkeypatch.setenv("WEALTHTECH_TOKEN", "from-env")
    assert asyncio.run(_headers(None))["authorization"] == "Bearer from-env"
    assert asyncio.run(_headers("explicit"))["authorization"] == "Bearer explicit"


@pytest.mark.parametrize("command", [["demo"], ["import-legacy", "users", "export.jsonl"]])
def test_api_commands_take_a_token(command: list[str]) -> None:
    options = build_parser().parse_args([*command, "--token", "t0k"])
    assert options.token == "t0k"
