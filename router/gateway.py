"""The `Gateway` facade: parse -> validate -> (introspection) -> plan (cached) -> execute -> shape.

Everything a client can get wrong comes back as a GraphQL error in the response body together with
the phase where it stopped; the HTTP layer maps phases to status codes. Nothing here raises for
bad input or failing subgraphs.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    execute_sync,
    parse,
    validate,
)
from graphql.execution.values import get_variable_values
from graphql.pyutils import inspect

from router.execution import Executor, RequestContext, Shaper, SubgraphTransport
from router.execution.shaping import place_fetch_failures
from router.planning import (
    OperationNotFound,
    PlanningError,
    QueryPlan,
    UnsupportedOperation,
    build_plan,
    select_operation,
)
from router.supergraph import Supergraph

if TYPE_CHECKING:
    from router.observability import RouterObserver

logger = logging.getLogger(__name__)
Phase = Literal["parse", "validate", "plan", "execute"]
_INTROSPECTION_ROOT = frozenset({"__schema", "__type"})
_KINDS = {
    OperationType.QUERY: "query",
    OperationType.MUTATION: "mutation",
    OperationType.SUBSCRIPTION: "subscription",
}

K = TypeVar("K")
V = TypeVar("V")


@dataclass
class ExecutionOutcome:
    """The GraphQL response body and the phase where processing stopped."""

    response: dict[str, Any]
    phase: Phase


class _LRU(Generic[K, V]):
    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        value = self.items.get(key)
        if value is not None:
            self.items.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        self.items[key] = value
        self.items.move_to_end(key)
        while len(self.items) > self.size:
            self.items.popitem(last=False)


@dataclass(frozen=True)
class _Parsed:
    document: DocumentNode | None
    errors: tuple[dict[str, Any], ...]
    phase: Phase


@dataclass(frozen=True)
class _Prepared:
    operation: OperationDefinitionNode
    kind: str
    plan: QueryPlan
    shaper: Shaper
    introspection: DocumentNode | None


def _error(error: GraphQLError, code: str, redact: Sequence[str] = ()) -> dict[str, Any]:
    message = error.message
    for rendering in redact:
        message = message.replace(rendering, "<value>")
    formatted: dict[str, Any] = {"message": message}
    if error.locations:
        formatted["locations"] = [{"line": x.line, "column": x.column} for x in error.locations]
    formatted["extensions"] = {**(error.extensions or {}), "code": code}
    return formatted


_MAX_REDACTED_VALUES = 1000


def _renderings(variables: Mapping[str, Any]) -> list[str]:
    """How graphql-core prints each value in the variables, longest first.

    Coercion messages quote the offending value ("...: 'AB123456C'", "found: {...}"), which may be
    a sensitive field's plaintext; the error names the variable and the path instead. Strings are
    always printed quoted, so redacting them cannot touch the message's own words; numbers and the
    like are redacted from four characters up (a phone number or an amount, not an index).
    """
    found: set[str] = set()
    stack: list[Any] = list(variables.values())
    while stack and len(found) < _MAX_REDACTED_VALUES:
        value = stack.pop()
        rendering = inspect(value)
        if isinstance(value, str) or len(rendering) >= 4:
            found.add(rendering)
        if isinstance(value, Mapping):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return sorted(found, key=len, reverse=True)


def _introspection_document(
    operation: OperationDefinitionNode, fragments: Mapping[str, FragmentDefinitionNode]
) -> DocumentNode | None:
    fields: list[FieldNode] = []

    def collect(selection_set: SelectionSetNode) -> None:
        # root introspection fields, also inside root fragments (their conditions are applied
        # again when shaping)
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                if selection.name.value in _INTROSPECTION_ROOT:
                    fields.append(selection)
            elif isinstance(selection, InlineFragmentNode):
                collect(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = fragments.get(selection.name.value)
                if fragment is not None:
                    collect(fragment.selection_set)

    collect(operation.selection_set)
    if not fields:
        return None
    only = OperationDefinitionNode(
        operation=OperationType.QUERY,
        name=operation.name,
        variable_definitions=operation.variable_definitions,
        directives=(),
        selection_set=SelectionSetNode(selections=tuple(fields)),
    )
    return DocumentNode(definitions=(only, *fragments.values()))


def _max_depth(document: DocumentNode) -> int:
    """Deepest field nesting of any operation, following fragment spreads (validated acyclic)."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    memo: dict[str, int] = {}

    def depth(selection_set: SelectionSetNode | None) -> int:
        deepest = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                deepest = max(deepest, 1 + depth(selection.selection_set))
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name not in memo:
                    memo[name] = 0  # guards a cycle validation would have refused anyway
                    fragment = fragments.get(name)
                    memo[name] = depth(fragment.selection_set) if fragment else 0
                deepest = max(deepest, memo[name])
            elif isinstance(selection, InlineFragmentNode):
                deepest = max(deepest, depth(selection.selection_set))
        return deepest

    return max(
        (
            depth(d.selection_set)
            for d in document.definitions
            if isinstance(d, OperationDefinitionNode)
        ),
        default=0,
    )


class Gateway:
    """Answers GraphQL requests over a supergraph through a subgraph transport."""

    def __init__(
        self,
        supergraph: Supergraph,
        transport: SubgraphTransport,
        *,
        plan_cache_size: int = 1024,
        max_depth: int = 64,
        max_tokens: int = 50_000,
    ) -> None:
        self.supergraph = supergraph
        self.schema = supergraph.api_schema
        object_types = frozenset(
            name
            for name, t in self.schema.type_map.items()
            if t.__class__.__name__ == "GraphQLObjectType"
        )
        self.executor = Executor(transport, object_types)
        # bounds against hostile documents: recursion in planning and shaping follows depth
        self.max_depth = max_depth
        self.max_tokens = max_tokens
        self._documents: _LRU[str, _Parsed] = _LRU(plan_cache_size)
        self._prepared: _LRU[tuple[str, str | None], _Prepared] = _LRU(plan_cache_size)
        # Spans and metrics (router/observability.py); None when telemetry is off.
        self.observer: RouterObserver | None = None

    # ---- stages ------------------------------------------------------------------------------

    def _parse(self, query: str) -> _Parsed:
        parsed = self._documents.get(query)
        if parsed is not None:
            return parsed
        if self.observer is not None:
            return self._parse_observed(query, self.observer)
        try:
            document = parse(query, max_tokens=self.max_tokens)
        except GraphQLError as exc:
            parsed = _Parsed(None, (_error(exc, "GRAPHQL_PARSE_FAILED"),), "parse")
        else:
            parsed = self._validate(document)
        self._documents.put(query, parsed)
        return parsed

    def _parse_observed(self, query: str, observer: RouterObserver) -> _Parsed:
        with observer.span("graphql.parse"):
            try:
                document = parse(query, max_tokens=self.max_tokens)
            except GraphQLError as exc:
                document = None
                parsed = _Parsed(None, (_error(exc, "GRAPHQL_PARSE_FAILED"),), "parse")
        if document is not None:
            with observer.span("graphql.validate") as span:
                parsed = self._validate(document)
                if span is not None and parsed.errors:
                    span.set_attribute("wealthtech.validation_errors", len(parsed.errors))
        self._documents.put(query, parsed)
        return parsed

    def _validate(self, document: DocumentNode) -> _Parsed:
        errors = validate(self.schema, document)
        if not errors:
            depth = _max_depth(document)
            if depth > self.max_depth:
                errors = [
                    GraphQLError(
                        f"The operation is {depth} levels deep;"
                        f" at most {self.max_depth} are allowed."
                    )
                ]
        return _Parsed(
            document,
            tuple(_error(e, "GRAPHQL_VALIDATION_FAILED") for e in errors),
            "validate",
        )

    def _prepare(self, query: str, document: DocumentNode, operation_name: str | None) -> _Prepared:
        key = (query, operation_name)
        prepared = self._prepared.get(key)
        observer = self.observer
        if prepared is not None:
            if observer is not None:
                name = prepared.operation.name
                observer.planned(name.value if name else None, cached=True)
            return prepared
        if observer is not None:
            with observer.span("graphql.plan", **{"wealthtech.plan_cache_hit": False}):
                prepared = self._plan(query, document, operation_name)
            name = prepared.operation.name
            observer.planned(name.value if name else None, cached=False)
            return prepared
        return self._plan(query, document, operation_name)

    def _plan(self, query: str, document: DocumentNode, operation_name: str | None) -> _Prepared:
        key = (query, operation_name)
        operation, fragments = select_operation(document, operation_name)
        try:
            plan = build_plan(self.supergraph, document, operation_name)
        except PlanningError:
            raise
        except Exception as exc:  # a planner bug: report it as a planning failure
            logger.exception("query planning failed")
            raise PlanningError(f"query planning failed: {type(exc).__name__}") from exc
        kind = _KINDS[operation.operation]
        root = self.schema.get_root_type(operation.operation)
        assert root is not None
        prepared = _Prepared(
            operation=operation,
            kind=kind,
            plan=plan,
            shaper=Shaper(self.schema, operation, fragments, root.name),
            introspection=_introspection_document(operation, fragments),
        )
        self._prepared.put(key, prepared)
        return prepared

    def plan(self, query: str, operation_name: str | None = None) -> QueryPlan:
        """Return the (cached) plan of a valid operation; raises `PlanningError` otherwise."""
        parsed = self._parse(query)
        if parsed.document is None or parsed.errors:
            raise PlanningError("; ".join(e["message"] for e in parsed.errors))
        return self._prepare(query, parsed.document, operation_name).plan

    async def execute(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        operation_name: str | None = None,
        context: RequestContext | None = None,
        *,
        allowed_operation_kinds: frozenset[str] | None = None,
    ) -> ExecutionOutcome:
        """Run one GraphQL request; never raises for client or subgraph errors."""
        outcome = await self._execute(
            query, variables, operation_name, context, allowed_operation_kinds
        )
        if self.observer is not None:
            self.observer.executed(outcome.phase, outcome.response)
        return outcome

    async def _execute(
        self,
        query: str,
        variables: Mapping[str, Any] | None,
        operation_name: str | None,
        context: RequestContext | None,
        allowed_operation_kinds: frozenset[str] | None,
    ) -> ExecutionOutcome:
        parsed = self._parse(query)
        if parsed.document is None or parsed.errors:
            return ExecutionOutcome({"errors": list(parsed.errors)}, parsed.phase)
        try:
            prepared = self._prepare(query, parsed.document, operation_name)
        except PlanningError as exc:
            # an operation that valid against the API schema has no plan over the subgraphs is
            # refused like an invalid one (400 over HTTP), naming what is missing, never a 500
            phase: Phase = "validate"
            code = "QUERY_PLANNING_FAILED"
            if isinstance(exc, OperationNotFound):
                phase, code = "validate", "GRAPHQL_VALIDATION_FAILED"
            elif isinstance(exc, UnsupportedOperation):
                phase, code = "validate", "OPERATION_NOT_SUPPORTED"
            return ExecutionOutcome(
                {"errors": [{"message": str(exc), "extensions": {"code": code}}]}, phase
            )
        if allowed_operation_kinds is not None and prepared.kind not in allowed_operation_kinds:
            message = f"Operation kind '{prepared.kind}' is not allowed here."
            return ExecutionOutcome(
                {"errors": [{"message": message, "extensions": {"code": "OPERATION_NOT_ALLOWED"}}]},
                "validate",
            )
        if variables is not None and not isinstance(variables, Mapping):
            return ExecutionOutcome(
                {
                    "errors": [
                        {
                            "message": "Variables must be provided as a JSON object.",
                            "extensions": {"code": "BAD_USER_INPUT"},
                        }
                    ]
                },
                "validate",
            )
        coerced = get_variable_values(
            self.schema, prepared.operation.variable_definitions or (), dict(variables or {})
        )
        if isinstance(coerced, list):
            values = _renderings(variables or {})
            return ExecutionOutcome(
                {"errors": [_error(e, "BAD_USER_INPUT", values) for e in coerced]}, "validate"
            )
        raw_variables = dict(variables or {})
        try:
            if self.observer is not None:
                with self.observer.span(
                    "graphql.execute", **{"graphql.operation.type": prepared.kind}
                ):
                    return await self._run(prepared, raw_variables, coerced.coerced, context)
            return await self._run(prepared, raw_variables, coerced.coerced, context)
        except Exception:  # a router bug: answer with an error, never with a dropped request
            logger.exception("internal error while executing an operation")
            return ExecutionOutcome(
                {
                    "data": None,
                    "errors": [
                        {
                            "message": "Internal router error",
                            "extensions": {"code": "INTERNAL_SERVER_ERROR"},
                        }
                    ],
                },
                "execute",
            )

    async def _run(
        self,
        prepared: _Prepared,
        raw_variables: dict[str, Any],
        coerced: dict[str, Any],
        context: RequestContext | None,
    ) -> ExecutionOutcome:
        state = await self.executor.execute(
            prepared.plan, raw_variables, context or RequestContext(), coerced
        )
        if prepared.introspection is not None:
            result = execute_sync(
                self.schema, prepared.introspection, variable_values=raw_variables
            )
            if result.data:
                state.data.update(result.data)
            for error in result.errors or ():
                state.errors.append(dict(error.formatted))
        if state.unbuildable:
            # an entity left unsent for want of its key: an error only where the client asks
            # (a key only an excluded fragment would have fetched is absent legitimately)
            state.errors = [
                e
                for e in state.errors
                if id(e) not in state.unbuildable
                or prepared.shaper.selects(state.data, e["path"], coerced)
            ]
        data = prepared.shaper.shape(state.data, coerced, state.errors)
        if state.fetch_failures:
            state.errors = place_fetch_failures(data, state.errors, state.fetch_failures)
        response: dict[str, Any] = {"data": data}
        if state.errors:
            response["errors"] = state.errors
        return ExecutionOutcome(response, "execute")
