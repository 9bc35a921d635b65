"""Query planning: a pure, cached function from a client operation to a printable `QueryPlan`."""

from router.planning.explain import explain
from router.planning.nodes import (
    EntityType,
    Fetch,
    Flatten,
    Parallel,
    PlanNode,
    QueryPlan,
    Sequence,
)
from router.planning.planner import (
    OperationNotFound,
    PlanningError,
    UnsupportedOperation,
    build_plan,
    select_operation,
)

__all__ = [
    "EntityType",
    "Fetch",
    "Flatten",
    "OperationNotFound",
    "Parallel",
    "PlanNode",
    "PlanningError",
    "QueryPlan",
    "Sequence",
    "UnsupportedOperation",
    "build_plan",
    "explain",
    "select_operation",
]
