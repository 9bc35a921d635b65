"""Resolvers of one operation run concurrently; their SQL shares the request's one session."""

from __future__ import annotations

import httpx

from subgraphs.kit.testing import execute
from tests.subgraphs.users.users_support import create_user


async def test_sibling_root_fields_querying_at_once_do_not_collide(
    client: httpx.AsyncClient,
) -> None:
    user = await create_user(client)
    # graphql-core resolves these root fields concurrently: each runs its own SQL on the
    # request's session (a loader batch, two list queries, a blind-index look-up).
    query = """query($id: ID!, $email: String!) {
        a: user(id: $id) { id }
        b: users(first: 5) { nodes { id } }
        c: userByEmail(emailAddress: $email) { id }
        d: users(first: 1, filter: {status: ACTIVE}) { nodes { id } }
        e: userByEmail(emailAddress: "nobody@example.com") { id } }"""

    for _ in range(5):
        data = (
            await execute(client, query, {"id": user["id"], "email": user["emailAddress"]})
        ).ok()
        assert data["a"] == data["c"] == {"id": user["id"]}
        assert data["b"]["nodes"] == data["d"]["nodes"] == [{"id": user["id"]}]
        assert data["e"] is None
