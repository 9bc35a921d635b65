"""Send the same operation to our router and to Hive Gateway and compare what comes back.

Extension point: a differential suite is a supergraph, the subgraphs it names (running on loopback),
and a list of ``Operation``s. ``test_standins.py`` is one such suite over the stand-in subgraphs; a
suite over the real four subgraphs is the same test with their supergraph (schema/supergraph.graphql
with URLs pointing at the running apps) and operations of their own.

What is compared, and why it is normalised this way:
- the HTTP status and the whole ``data`` tree, exactly (key order included: GraphQL fixes it);
- errors as a list of (message, path without list indices), sorted by both. The specification fixes
  neither the order of errors nor their ``extensions``/``locations``. Hive Gateway reports an error
  raised inside an entity fetch at a shortened path: without the list index (``["users", 0,
  "accounts", "transactions", "auditCode"]``) and sometimes without the field (``["users", 0,
  "reviews"]`` for an error on ``reviews[1].body``). Our router reports the full path of the failing
  field, as Apollo Router does. So indices are dropped on both sides and the reference's path must
  be a prefix of ours: a wrong path on our side (another field, another branch) still fails.
- validation messages differ only in quoting between graphql-js and graphql-core (``"x"``/``'x'``);
  variable coercion messages are worded differently, so those operations compare everything else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

ACCEPT = "application/graphql-response+json"


@dataclass(frozen=True)
class Operation:
    name: str
    query: str
    variables: dict[str, Any] | None = None
    operation_name: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    # False where only the wording differs between graphql-js and graphql-core (e.g. variable
    # coercion); the status, the absence of data and the number of errors are still compared.
    compare_messages: bool = True

    def body(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"query": self.query}
        if self.variables is not None:
            payload["variables"] = self.variables
        if self.operation_name is not None:
            payload["operationName"] = self.operation_name
        return payload


@dataclass(frozen=True)
class Outcome:
    status: int
    data: Any
    has_data: bool
    errors: list[tuple[str, tuple[str, ...] | None]]


def normalise(response: httpx.Response, *, messages: bool = True) -> Outcome:
    body = response.json()
    errors = []
    for error in body.get("errors") or []:
        message = str(error.get("message", "")).replace('"', "'") if messages else "<message>"
        path = error.get("path")
        keys = tuple(str(p) for p in path if not isinstance(p, int)) if path else None
        errors.append((message, keys))
    return Outcome(
        status=response.status_code,
        data=body.get("data"),
        has_data="data" in body,
        # By path too: two subgraphs fetched in parallel can raise the same message, and the order
        # of their errors then depends on which answered first.
        errors=sorted(errors, key=lambda error: (error[0], error[1] or ())),
    )


async def run_both(
    operation: Operation, ours: httpx.AsyncClient, reference: httpx.AsyncClient
) -> tuple[Outcome, Outcome]:
    """POST ``operation`` to ``/graphql`` of both gateways (clients carry their base URL)."""
    headers = {"accept": ACCEPT, **operation.headers}
    our_response = await ours.post("/graphql", json=operation.body(), headers=headers)
    their_response = await reference.post("/graphql", json=operation.body(), headers=headers)
    messages = operation.compare_messages
    return normalise(our_response, messages=messages), normalise(their_response, messages=messages)


def assert_equivalent(mine: Outcome, theirs: Outcome) -> None:
    """Assert that our outcome matches the reference's, under the normalisation described above."""
    assert (mine.status, mine.has_data) == (theirs.status, theirs.has_data)
    assert mine.data == theirs.data
    assert [m for m, _ in mine.errors] == [m for m, _ in theirs.errors], (
        mine.errors,
        theirs.errors,
    )
    for (message, our_path), (_, their_path) in zip(mine.errors, theirs.errors, strict=True):
        if their_path is None:
            continue
        assert our_path is not None and our_path[: len(their_path)] == their_path, (
            f"error {message!r}: our path {our_path} does not extend the reference's {their_path}"
        )
