"""Print the plan of an operation (for a debug header or a CLI), with clear errors."""

from __future__ import annotations

from graphql import GraphQLError, parse, validate

from router.planning.planner import PlanningError, build_plan
from router.supergraph import Supergraph


def explain(supergraph: Supergraph, query: str, operation_name: str | None = None) -> str:
    """Return the printed `QueryPlan` of `query`; raises `PlanningError` if it is not valid."""
    try:
        document = parse(query)
    except GraphQLError as exc:
        raise PlanningError(exc.message) from exc
    errors = validate(supergraph.api_schema, document)
    if errors:
        raise PlanningError("; ".join(e.message for e in errors))
    return str(build_plan(supergraph, document, operation_name))
