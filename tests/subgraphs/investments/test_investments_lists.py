"""The ``investmentAccounts`` list: cursor pagination, filters by user, type and status."""

from __future__ import annotations

import httpx

from subgraphs.kit.testing import execute
from tests.subgraphs.investments.investments_support import (
    LIST_ACCOUNTS,
    create_account,
    create_user,
    move,
)


async def _ids(client: httpx.AsyncClient, **variables: object) -> list[str]:
    page = (await execute(client, LIST_ACCOUNTS, dict(variables))).ok()["investmentAccounts"]
    return [edge["node"]["id"] for edge in page["edges"]]


async def test_accounts_list_pages_with_cursors_and_filters(
    client: httpx.AsyncClient, users_client: httpx.AsyncClient
) -> None:
    ada = await create_user(users_client, 1)
    grace = await create_user(users_client, 2)
    plan = [(ada, "GIA"), (grace, "ISA"), (ada, "SIPP"), (ada, "ISA"), (grace, "GIA")]
    ids = [
        (await create_account(client, user, clientReference=f"R{n}", accountType=kind))["id"]
        for n, (user, kind) in enumerate(plan)
    ]

    seen: list[str] = []
    after = None
    pages = 0
    while True:
        variables = {"first": 2, "after": after}
        page = (await execute(client, LIST_ACCOUNTS, variables)).ok()["investmentAccounts"]
        seen += [edge["node"]["id"] for edge in page["edges"]]
        assert [n["id"] for n in page["nodes"]] == [e["node"]["id"] for e in page["edges"]]
        pages += 1
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
        assert after == page["edges"][-1]["cursor"]
    assert seen == ids
    assert pages == 3

    assert await _ids(client, filter={"userId": ada}) == [ids[0], ids[2], ids[3]]
    assert await _ids(client, filter={"accountType": "ISA"}) == [ids[1], ids[3]]
    assert await _ids(client, filter={"userId": grace, "accountType": "GIA"}) == [ids[4]]
    assert await _ids(client, filter={"userId": ada}, first=1, after=None) == [ids[0]]

    account = (
        await execute(
            client, "query($id: ID!) { investmentAccount(id: $id) { id version } }", {"id": ids[2]}
        )
    ).ok()["investmentAccount"]
    await move(client, account, "ACTIVE")
    assert await _ids(client, filter={"status": "ACTIVE"}) == [ids[2]]
    assert await _ids(client, filter={"status": "PENDING", "userId": ada}) == [ids[0], ids[3]]
    assert await _ids(client, filter={"status": "CLOSED"}) == []
