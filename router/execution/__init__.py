"""Execution: walk a plan through a transport, merge in place, shape the client response."""

from router.execution.executor import ExecutionState, Executor
from router.execution.shaping import Shaper
from router.execution.transport import RequestContext, SubgraphTransport, SubgraphUnavailable

__all__ = [
    "ExecutionState",
    "Executor",
    "RequestContext",
    "Shaper",
    "SubgraphTransport",
    "SubgraphUnavailable",
]
