"""Response tests over the corpus fixtures: the exact data and error paths of each case.

Our router (the real `Gateway`: plan, execute, shape) runs over each fixture's subgraphs in
process. Every subgraph operation it sends is also checked against the subgraph's own schema
(tests/router/subgraph_validity.py). A case that fails on today's planner is a strict xfail whose
reason names the failure: when the planner is fixed it passes, and the mark must go.
"""

from __future__ import annotations

import pytest

from router.gateway import Gateway
from tests.router.corpus.kit import Case, Fixture, case_params
from tests.router.corpus.responses import assert_response


@pytest.mark.parametrize(("fixture", "case"), case_params())
async def test_response(fixture: Fixture, case: Case) -> None:
    gateway = Gateway(fixture.supergraph(), fixture.transport())
    outcome = await gateway.execute(case.query, dict(case.variables or {}))
    assert_response(outcome.response, case.expected)
