"""The subgraph-operation check itself: an operation a subgraph would refuse is recorded."""

from __future__ import annotations

from router.execution import RequestContext
from tests.router.corpus.kit import fixture
from tests.router.subgraph_validity import take_invalid


async def test_an_operation_the_subgraph_refuses_is_recorded_with_the_reason() -> None:
    transport = fixture("type_mismatch").transport()
    query = "{ accounts { ... on User { id } ... on Admin { id } } }"
    response = await transport.send("accounts", {"query": query}, RequestContext())
    recorded = take_invalid()  # taken here, so the hook does not fail this test
    assert [(r.subgraph, r.query) for r in recorded] == [("accounts", query)]
    assert "conflict because they return conflicting types" in recorded[0].messages[0]
    assert "conflicting types" in response["errors"][0]["message"]  # the subgraph refused too


async def test_valid_operations_and_entity_fetches_are_not_recorded() -> None:
    transport = fixture("entity_bridge").transport()
    await transport.send("orders", {"query": "{ orders { id } }"}, RequestContext())
    entities = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { name } } }"
    payload = {"query": entities, "variables": {"r": [{"__typename": "Customer", "id": "c1"}]}}
    response = await transport.send("crm", payload, RequestContext())
    assert response == {"data": {"_entities": [{"name": "Ada"}]}}
    assert take_invalid() == []


async def test_a_syntax_error_is_recorded() -> None:
    transport = fixture("entity_bridge").transport()
    await transport.send("orders", {"query": "{ orders { } }"}, RequestContext())
    (recorded,) = take_invalid()
    assert recorded.messages[0].startswith("Syntax Error")
