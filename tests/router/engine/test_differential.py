"""Property tests: random operations answered by the router (planning over in-process
subgraphs) and by a monolith over the same data must give the same response."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest
from graphql import GraphQLSchema, graphql, parse, validate
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from router.gateway import Gateway
from tests.router.engine.abstract import abstract_transport
from tests.router.engine.fragments import fragments_transport
from tests.router.engine.keys import keys_transport
from tests.router.engine.monoliths import (
    abstract_monolith,
    fragments_monolith,
    keys_monolith,
    requires_monolith,
    shop_monolith,
)
from tests.router.engine.random_queries import Arguments, random_operation
from tests.router.engine.requires import requires_transport
from tests.router.engine.shop import shop_transport
from tests.router.engine.subgraph_kit import InProcessTransport, load_supergraph

SCENARIOS: dict[
    str, tuple[Callable[[], GraphQLSchema], Callable[[], InProcessTransport], Arguments]
] = {
    "shop": (
        shop_monolith,
        shop_transport,
        {
            ("Query", "user"): ['(id: "u1")', '(id: "u3")', '(id: "nobody")'],
            ("Query", "product"): ['(upc: "p1")', '(upc: "p4")', '(upc: "p3")'],
            ("Query", "topProducts"): ["", "(first: 2)", "(first: 4)"],
            ("Product", "shippingEstimate"): ["", "(expedited: true)"],
        },
    ),
    "abstract": (
        abstract_monolith,
        abstract_transport,
        {
            ("Query", "search"): ['(term: "")', '(term: "i")', '(term: "dune")'],
            ("Query", "node"): ['(id: "m1")', '(id: "p1")', '(id: "b1")', '(id: "zz")'],
        },
    ),
    "keys": (keys_monolith, keys_transport, {}),
    "fragments": (fragments_monolith, fragments_transport, {}),
    "requires": (
        requires_monolith,
        requires_transport,
        {
            ("Parcel", "cost"): ["", '(currency: "USD")'],
            ("Dimensions", "weight"): ["", '(unit: "LB")'],
        },
    ),
}
# Sku.name is @shareable but answers differently per subgraph on purpose (the keys scenario
# checks which one the planner used), so no oracle can predict it.
EXCLUDED = frozenset({("Sku", "name")})
MONOLITHS = {name: factory() for name, (factory, _t, _a) in SCENARIOS.items()}
SUPERGRAPHS = {name: load_supergraph(name) for name in SCENARIOS}


def _errors(response: dict[str, Any]) -> set[tuple[str, str]]:
    return {(str(e.get("path")), e["message"]) for e in response.get("errors", [])}


def _nulled(data: Any, path: list[Any]) -> bool:
    """Whether a null sits strictly above the field at `path` (its whole subtree was dropped)."""
    value = data
    for segment in path[:-1]:
        if value is None:
            return True
        value = value[segment] if isinstance(value, list) else value.get(segment)
    return value is None


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
@settings(max_examples=30, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1), flag=st.booleans())
async def test_router_answers_like_the_monolith(scenario: str, seed: int, flag: bool) -> None:
    _factory, transport, arguments = SCENARIOS[scenario]
    supergraph = SUPERGRAPHS[scenario]
    query = random_operation(
        supergraph.api_schema, arguments, random.Random(seed), exclude=EXCLUDED
    )
    assume(not validate(supergraph.api_schema, parse(query)))
    expected = (await graphql(MONOLITHS[scenario], query, variable_values={"flag": flag})).formatted
    outcome = await Gateway(supergraph, transport()).execute(query, {"flag": flag})
    assert outcome.phase == "execute", (query, outcome.response)
    assert outcome.response.get("data") == expected.get("data"), query
    # Same errors, except below a null: once a null propagates over a subtree, the spec leaves it
    # to the executor whether errors of fields inside it are reported (a subgraph may have
    # resolved them already, or never been asked).
    ours, theirs = _errors(outcome.response), _errors(expected)
    data = outcome.response["data"]
    for error in outcome.response.get("errors", []) + expected.get("errors", []):
        key = (str(error.get("path")), error["message"])
        if (key in ours) != (key in theirs):
            assert error.get("path") and _nulled(data, error["path"]), (query, error)
