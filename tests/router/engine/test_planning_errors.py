"""Operations valid against the API schema but without a plan: precise validation-time errors.

The supergraphs are the shared_root corpus fixture with one join directive taken away, so that a
field is reachable from nowhere: the planner must say which field, which subgraphs resolve it and
what is missing (a resolvable key, a root field), and the gateway must refuse the operation like
an invalid one (phase "validate", never a server error), without calling any subgraph.
"""

from __future__ import annotations

import pytest

from router.gateway import Gateway
from router.planning import PlanningError, explain
from router.supergraph import Supergraph
from tests.router.corpus.kit import supergraph_sdl
from tests.router.engine.subgraph_kit import InProcessTransport


def _without(old: str, new: str) -> Supergraph:
    sdl = supergraph_sdl("shared_root")
    assert old in sdl
    return Supergraph.from_sdl(sdl.replace(old, new))


# categories only from catalog: inventory's productCount is on a value type catalog cannot leave
NO_ROOT = (
    "categories: [Category!]! @join__field(graph: CATALOG) @join__field(graph: INVENTORY)",
    "categories: [Category!]! @join__field(graph: CATALOG)",
)
# inventory's Product key is not resolvable: stock cannot be reached from reviews
NO_KEY = (
    '@join__type(graph: INVENTORY, key: "id") @join__type(graph: REVIEWS',
    '@join__type(graph: INVENTORY, key: "id", resolvable: false) @join__type(graph: REVIEWS',
)


def test_a_value_type_field_without_a_way_there_names_field_and_subgraphs() -> None:
    with pytest.raises(PlanningError) as raised:
        explain(_without(*NO_ROOT), "{ categories { slug productCount } }")
    message = str(raised.value)
    assert "Category.productCount" in message
    assert "'inventory'" in message
    assert "has no resolvable @key on Category" in message


def test_a_missing_resolvable_key_is_named() -> None:
    with pytest.raises(PlanningError) as raised:
        explain(_without(*NO_KEY), "{ topReviewed { reviewCount stock } }")
    message = str(raised.value)
    assert "Product.stock" in message
    assert "subgraph 'reviews'" in message
    assert "'inventory' has no resolvable @key on Product" in message


async def test_the_gateway_refuses_it_at_validation_without_calling_subgraphs() -> None:
    transport = InProcessTransport({})
    gateway = Gateway(_without(*NO_KEY), transport)
    outcome = await gateway.execute("{ topReviewed { stock } }")
    assert outcome.phase == "validate"
    [error] = outcome.response["errors"]
    assert error["extensions"] == {"code": "QUERY_PLANNING_FAILED"}
    assert "Product.stock" in error["message"]
    assert "data" not in outcome.response
