"""Planner snapshot tests: printed plans compared with committed text files.

Regenerate explicitly after an intended planner change, then review the diff:

    REGENERATE_PLAN_SNAPSHOTS=1 .venv/bin/pytest tests/router/engine/test_plan_snapshots.py

(regenerating makes the run fail, so a snapshot is never rewritten silently).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from router.planning import explain
from tests.router.engine.subgraph_kit import load_supergraph

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"

OPERATIONS: dict[str, tuple[str, str]] = {
    "parallel_roots": ("shop", "{ me { username } topProducts { name } }"),
    "entity_chain": (
        "shop",
        "{ topProducts { name reviews { body author { username name } } } }",
    ),
    "provides": ("shop", "{ latestReviews { author { username } } }"),
    "requires": ("shop", "{ topProducts { shippingEstimate(expedited: true) inStock } }"),
    "requires_with_a_side_branch": (
        "shop",
        "{ me { reviews { product { shippingEstimate } author { name } } } }",
    ),
    "mutation_order": (
        "shop",
        'mutation Change { a: renameUser(id: "u1", name: "A") { name }'
        ' b: addReview(upc: "p1", body: "ok") { author { name } }'
        ' c: renameUser(id: "u1", name: "C") { name } }',
    ),
    "fragments_and_conditions": (
        "shop",
        "query Q($x: Boolean!) { topProducts { ...P reviews @include(if: $x) { body } } }"
        " fragment P on Product { id: upc inStock }",
    ),
    "compound_and_multiple_keys": ("keys", "{ skus { price stock } }"),
    "key_chain": ("keys", "{ cheapest { stock } }"),
    "nested_key_and_resolvable_false": (
        "keys",
        "{ skus { warehouse { capacity } topReview { stars } } }",
    ),
    "override_and_shareable": ("keys", "{ skus { title name } }"),
    "value_type_through_entity": ("keys", "{ skus { warehouse { location { city zone } } } }"),
    "interface_fields_across_subgraphs": (
        "abstract",
        "{ library { title ... on Movie { gross } rating } }",
    ),
    "union": ("abstract", '{ search(term: "a") { ... on Person { films { title } } } }'),
    "interface_object_root": ("abstract", "{ topRated { rating ... on Book { author } } }"),
    "requires_and_provides_with_type_conditions": (
        "fragments",
        "{ shelf { load } featured { ... on Dvd { title } ... on Book { title } } }",
    ),
    "nested_requires_with_arguments": (
        "requires",
        "{ parcels { cost dimensions { weight } } }",
    ),
}


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_plan_matches_snapshot(name: str) -> None:
    scenario, query = OPERATIONS[name]
    printed = explain(load_supergraph(scenario), query) + "\n"
    path = SNAPSHOTS / f"{name}.plan"
    if os.environ.get("REGENERATE_PLAN_SNAPSHOTS"):
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(f"# {scenario}: {query}\n{printed}", encoding="utf-8")
        pytest.fail(f"regenerated {path.name}; review the diff and rerun without the variable")
    expected = path.read_text(encoding="utf-8").split("\n", 1)[1]
    assert printed == expected
