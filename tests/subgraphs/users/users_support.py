"""GraphQL documents and helpers of the users subgraph tests."""

from __future__ import annotations

from typing import Any

import httpx

from subgraphs.kit.testing import GraphQLResult, execute

USER_FIELDS = """
    id title firstName lastName dateOfBirth nationality emailAddress telephoneNumber
    employmentStatus annualIncome { amount currency } sourcesOfWealth status
    createdAt updatedAt version
"""
CREATE_USER = (
    f"mutation($input: CreateUserInput!) {{ createUser(input: $input) {{ {USER_FIELDS} }} }}"
)
UPDATE_USER = (
    f"mutation($input: UpdateUserInput!) {{ updateUser(input: $input) {{ {USER_FIELDS} }} }}"
)
GET_USER = f"query($id: ID!) {{ user(id: $id) {{ {USER_FIELDS} }} }}"


def user_input(**overrides: Any) -> dict[str, Any]:
    """A valid createUser input; keyword arguments replace fields."""
    value: dict[str, Any] = {
        "title": "Dr",
        "firstName": "Ada",
        "lastName": "Lovelace",
        "dateOfBirth": "1985-12-10",
        "nationality": "GB",
        "emailAddress": "Ada.Lovelace@Example.com",
        "telephoneNumber": "+44 7700 900123",
        "employmentStatus": "EMPLOYED",
        "annualIncome": {"amount": "85000.00", "currency": "GBP"},
        "sourcesOfWealth": ["EMPLOYMENT_INCOME", "SAVINGS"],
    }
    value.update(overrides)
    return value


async def create_user(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    """Create a user through the API and return it (failing the test if refused)."""
    result = await execute(client, CREATE_USER, {"input": user_input(**overrides)})
    user: dict[str, Any] = result.ok()["createUser"]
    return user


async def update_user(client: httpx.AsyncClient, **fields: Any) -> GraphQLResult:
    return await execute(client, UPDATE_USER, {"input": fields})
