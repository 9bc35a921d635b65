"""Every operation the router sends to a subgraph must be valid for that subgraph (issue #11).

A subgraph validates each request against its own schema (its SDL plus the federation additions
``_Any``, ``_Entity``, ``_entities`` and ``_service``) and refuses an invalid one; a router that
sends one has a planning bug even when the answer happens to look right. The test harnesses
therefore check every operation our router emits:

- ``InProcessTransport`` (tests/router/engine/subgraph_kit.py) checks each payload against its
  ``TestSubgraph``'s schema before executing it;
- ``ValidatingTransport`` wraps any other transport with the subgraphs' schemas;
  ``validate_app_requests`` puts one around a running router app's own HTTP subgraph client (the
  differential tests), so only our router's requests are checked, never the reference gateway's.

An invalid operation is recorded in ``INVALID`` (process-wide: the scenario servers run in a
thread of the test process). The ``pytest_runtest_call`` hook in tests/router/conftest.py clears
it before each test and fails the test, in its call phase (so a strict xfail can name it), when
anything was recorded. The subgraph still answers as a real one would: with the validation errors.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLError, GraphQLSchema, parse, validate

from router.execution import RequestContext, SubgraphTransport


@dataclass(frozen=True)
class InvalidOperation:
    subgraph: str
    query: str
    messages: tuple[str, ...]

    def __str__(self) -> str:
        reasons = "; ".join(self.messages)
        return f"[{self.subgraph}] {reasons}\n    {' '.join(self.query.split())}"


INVALID: list[InvalidOperation] = []
_LOCK = threading.Lock()


def validation_errors(schema: GraphQLSchema, query: Any) -> tuple[str, ...]:
    """Why ``query`` is not a valid operation for ``schema`` (empty when it is)."""
    if not isinstance(query, str):
        return (f"the query is not a string: {type(query).__name__}",)
    try:
        # the spec's grammar wants one selection or more; graphql-core 3.3 tolerates `{ }` by
        # default, graphql-js (and so most subgraph servers) refuses it with a syntax error
        document = parse(query, allow_empty_selection_sets=False)
    except GraphQLError as exc:
        return (f"Syntax Error: {exc.message}",)
    return tuple(error.message for error in validate(schema, document))


def check_operation(subgraph: str, schema: GraphQLSchema, payload: Mapping[str, Any]) -> bool:
    """Record ``payload`` in ``INVALID`` unless it is valid for ``schema``; True when valid."""
    messages = validation_errors(schema, payload.get("query"))
    if not messages:
        return True
    with _LOCK:
        INVALID.append(InvalidOperation(subgraph, str(payload.get("query")), messages))
    return False


def take_invalid() -> list[InvalidOperation]:
    """Return and forget what was recorded so far."""
    with _LOCK:
        found = list(INVALID)
        INVALID.clear()
    return found


@dataclass
class ValidatingTransport:
    """A transport that checks each operation against its subgraph's schema, then forwards it."""

    inner: SubgraphTransport
    schemas: Mapping[str, GraphQLSchema]

    async def send(
        self, subgraph: str, payload: dict[str, Any], context: RequestContext
    ) -> dict[str, Any]:
        schema = self.schemas.get(subgraph)
        if schema is None:
            with _LOCK:
                INVALID.append(
                    InvalidOperation(subgraph, str(payload.get("query")), ("unknown subgraph",))
                )
        else:
            check_operation(subgraph, schema, payload)
        return await self.inner.send(subgraph, payload, context)

    async def aclose(self) -> None:
        close = getattr(self.inner, "aclose", None)
        if close is not None:
            await close()
            await asyncio.sleep(0)  # closed sockets are released on the loop's next iteration


def validate_app_requests(app: Any, schemas: Mapping[str, GraphQLSchema]) -> None:
    """Check every subgraph request of a started router app (``create_app``, lifespan entered).

    The app keeps owning (and closing) its subgraph client; only its gateway's executor sends
    through the wrapper.
    """
    executor = app.state.router.gateway.executor
    executor.transport = ValidatingTransport(executor.transport, schemas)
