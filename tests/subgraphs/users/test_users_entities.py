"""``_entities`` resolves User references in batches: one SQL query whatever their number."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from subgraphs.kit.testing import count_queries, execute, state_of
from tests.subgraphs.users.users_support import create_user

UNKNOWN = "usr_0000000000007000800000000000000"
ENTITIES = """query($representations: [_Any!]!) {
    _entities(representations: $representations) {
        ... on User { id firstName emailAddress status annualIncome { amount currency } } } }"""


@pytest.mark.parametrize("count", [1, 12])
async def test_entities_batch_costs_one_query(
    client: httpx.AsyncClient, users_app: FastAPI, count: int
) -> None:
    users = [await create_user(client, emailAddress=f"u{n}@example.com") for n in range(count)]
    # Order shuffled and one unknown id in the middle: the answer follows the request's order.
    wanted = [u["id"] for u in reversed(users)]
    wanted.insert(len(wanted) // 2, UNKNOWN)
    representations = [{"__typename": "User", "id": user_id} for user_id in wanted]

    with count_queries(state_of(users_app).database.engine) as queries:
        result = await execute(client, ENTITIES, {"representations": representations})

    entities = result.ok()["_entities"]
    assert [e["id"] if e else None for e in entities] == [
        None if w == UNKNOWN else w for w in wanted
    ]
    by_id = {u["id"]: u for u in users}
    for entity in entities:
        if entity is not None:
            assert entity["emailAddress"] == by_id[entity["id"]]["emailAddress"]
    assert len(queries.selects()) == 1, queries.statements


async def test_repeated_references_in_one_request_share_the_batch(
    client: httpx.AsyncClient, users_app: FastAPI
) -> None:
    user = await create_user(client)
    query = """query($id: ID!, $r: [_Any!]!) {
        a: user(id: $id) { id } b: user(id: $id) { id }
        _entities(representations: $r) { ... on User { id } } }"""
    with count_queries(state_of(users_app).database.engine) as queries:
        result = await execute(
            client, query, {"id": user["id"], "r": [{"__typename": "User", "id": user["id"]}]}
        )
    data = result.ok()
    assert data["a"] == data["b"] == {"id": user["id"]}
    assert len(queries.selects()) == 1, queries.statements
