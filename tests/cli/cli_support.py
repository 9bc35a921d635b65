"""Helpers for the CLI tests: an isolated environment and users written through the real API."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from subgraphs.kit.keys import key_variable_names
from subgraphs.kit.testing import execute, running_app
from subgraphs.users.app import create_app
from subgraphs.users.settings import UsersSettings
from wealthtech_cli.services import SUBGRAPHS

CREATE_USER = """
mutation($input: CreateUserInput!) { createUser(input: $input) { id version } }
"""
READ_USER = """
query($id: ID!) { user(id: $id) { id emailAddress telephoneNumber dateOfBirth
  annualIncome { amount currency } sourcesOfWealth version } }
"""


def isolate_environment(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> None:
    """Point every subgraph at ``data_dir`` and remove every key and database variable."""
    monkeypatch.setenv("WEALTHTECH_DATA_DIR", str(data_dir))
    for service in SUBGRAPHS:
        env = service.env_prefix.rstrip("_")
        for name in (*key_variable_names(env), f"{env}_DATABASE_URL"):
            monkeypatch.delenv(name, raising=False)


def user_input(number: int) -> dict[str, Any]:
    return {
        "firstName": "Ada",
        "lastName": f"Tester{number}",
        "dateOfBirth": "1980-05-17",
        "nationality": "GB",
        "emailAddress": f"ada.{number}@example.com",
        "telephoneNumber": f"+4477009001{number:02d}",
        "employmentStatus": "EMPLOYED",
        "annualIncome": {"amount": f"{50000 + number}.00", "currency": "GBP"},
        "sourcesOfWealth": ["EMPLOYMENT_INCOME", "SAVINGS"],
    }


async def _create_users(numbers: list[int]) -> list[str]:
    async with running_app(create_app(UsersSettings())) as client:
        ids = []
        for number in numbers:
            result = await execute(client, CREATE_USER, {"input": user_input(number)})
            ids.append(result.ok()["createUser"]["id"])
        return ids


def create_users(numbers: list[int]) -> list[str]:
    """Create users through the users service (its keys and database from the environment)."""
    return asyncio.run(_create_users(numbers))


async def _read_users(ids: list[str]) -> list[dict[str, Any]]:
    async with running_app(create_app(UsersSettings())) as client:
        return [(await execute(client, READ_USER, {"id": i})).ok()["user"] for i in ids]


def read_users(ids: list[str]) -> list[dict[str, Any]]:
    """Read users back (decrypted) through the users service."""
    return asyncio.run(_read_users(ids))
