"""Plan tests over the corpus fixtures: the cheapest plan, valid fetches, its printed snapshot.

Each case with a plan names how many fetches the cheapest plan sends and how many of them must
run one after the other (``Case.fetches``, ``Case.depth``); every fetch of the plan must be an
operation its subgraph accepts (validated against that subgraph's own schema); and the printed
plan (what ``wealthtech plan`` shows) is compared with ``snapshots/<fixture>/<case>.plan``.

A case whose plan fails today (no plan, an invalid fetch, or a dearer plan) is a strict xfail
without a snapshot. After an intended planner change: drop the marks of the cases that now pass,
regenerate, review the diff:

    REGENERATE_PLAN_SNAPSHOTS=1 .venv/bin/pytest tests/router/corpus/test_corpus_plans.py

(regenerating writes the plan of every unmarked case that passes the other checks and makes the
run fail, so a snapshot is never rewritten silently).
"""

from __future__ import annotations

import os
from functools import cache

import pytest
from graphql import GraphQLSchema, parse

from router.planning import Fetch, Flatten, PlanNode, build_plan, explain
from tests.router.corpus.kit import SNAPSHOTS, Case, Fixture, case_params, fixture, plan_shape
from tests.router.subgraph_validity import validation_errors


@cache
def _schemas(name: str) -> dict[str, GraphQLSchema]:
    return {sub: built.schema for sub, built in fixture(name).subgraphs().items()}


def _fetches(node: PlanNode | None) -> list[Fetch]:
    if node is None:
        return []
    if isinstance(node, Fetch):
        return [node]
    if isinstance(node, Flatten):
        return [node.node]
    return [fetch for child in node.nodes for fetch in _fetches(child)]


@pytest.mark.parametrize(("fixture", "case"), case_params("plan"))
def test_cheapest_plan_matches_snapshot(fixture: Fixture, case: Case) -> None:
    supergraph = fixture.supergraph()
    printed = explain(supergraph, case.query) + "\n"
    plan = build_plan(supergraph, parse(case.query), None)
    for fetch in _fetches(plan.node):
        errors = validation_errors(_schemas(fixture.name)[fetch.subgraph], fetch.operation)
        assert not errors, f"invalid for {fetch.subgraph}: {errors}\n{fetch.operation}"
    assert plan_shape(plan.node) == (case.fetches, case.depth), printed
    path = SNAPSHOTS / fixture.name / f"{case.slug}.plan"
    if os.environ.get("REGENERATE_PLAN_SNAPSHOTS") and case.plan_xfail is None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# {fixture.name}: {' '.join(case.query.split())}\n{printed}", "utf-8")
        pytest.fail(f"regenerated {path.name}; review the diff and rerun without the variable")
    assert path.exists(), f"no snapshot {path.name}: regenerate (see the module docstring)"
    expected = path.read_text(encoding="utf-8").split("\n", 1)[1]
    assert printed == expected
