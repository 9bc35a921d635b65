"""Walk a `QueryPlan`: run fetches (parallel nodes concurrently), merge results in place.

Entity fetches collect the objects at their flatten path, turn them into deduplicated
representations, send one `_entities` request, and merge each answer into every object that
produced its representation. Subgraph errors are re-pathed onto client response paths; a failing
subgraph becomes an error entry, never an exception. A fetch that fails as a whole (unreachable,
HTTP error, or answered with errors and no data) is reported as field errors (GraphQL spec 7.1.2):
one error per field the fetch was to resolve, at that field's response path, as Hive Gateway does.

A malformed answer is reported the same way, with `SUBREQUEST_MALFORMED_RESPONSE` (ADR 0017):
neither data nor errors; an `_entities` list whose length is not the number of representations
(refused whole: items are matched by position); an item that is not an object or names another
concrete type (refused alone). An entity whose key or requirements are missing from the data is
not sent, and its fields get the error unless an earlier failure already explains it. A `null`
item is an entity the subgraph does not know: its fields are null, an error only where non-null.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import orjson
from graphql import (
    FieldNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    parse,
)

from router.execution.aliases import restore_aliases
from router.execution.merge import Path, merge_into, objects_at, paths_at
from router.execution.transport import RequestContext, SubgraphTransport, SubgraphUnavailable
from router.planning.nodes import (
    EntityType,
    Fetch,
    Flatten,
    Parallel,
    PlanNode,
    QueryPlan,
    RepTemplate,
    Sequence,
)

logger = logging.getLogger(__name__)


@dataclass
class ExecutionState:
    """The response being built for one request."""

    variables: Mapping[str, Any]  # as the client sent them: forwarded to subgraphs
    context: RequestContext
    coerced: Mapping[str, Any] = field(default_factory=dict)  # with defaults: for conditions
    data: dict[str, Any] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    # ids of the errors put at the fields of a failed fetch: kept only where the client asked
    # for that field (a fetch also resolves keys and requirements the client never sees)
    fetch_failures: set[int] = field(default_factory=set)
    # ids of the errors of entities that could not be sent (a key or requirement missing): kept
    # only where the operation asks for the field (Shaper.selects); elsewhere the absence was
    # legitimate (a fragment excluded by @skip/@include), or a later fetch that needed the data
    # reports it at a field the client asked for
    unbuildable: set[int] = field(default_factory=set)


class _Missing(Exception):
    """A representation cannot be built: a key or required field is absent or null."""


def _build(value: dict[str, Any], template: RepTemplate) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, key, sub in template:
        if name == "":
            if value.get("__typename") == key and sub is not None:
                out.update(_build(value, sub))
            continue
        item = value.get(key)
        if item is None:
            if name == "__typename" or key not in value:
                raise _Missing
            out[name] = None
            continue
        if sub is not None:
            out[name] = _build_nested(item, sub)
        else:
            out[name] = item
    return out


def _build_nested(value: Any, template: RepTemplate) -> Any:
    if isinstance(value, list):
        return [_build_nested(v, template) if v is not None else None for v in value]
    if not isinstance(value, dict):
        raise _Missing
    return _build(value, template)


def representation(obj: dict[str, Any], entity: EntityType) -> dict[str, Any] | None:
    """Build the `_entities` representation of `obj`, or None when a key field is missing."""
    try:
        rep = _build(obj, entity.template)
    except _Missing:
        return None
    if entity.representation is not None:
        rep["__typename"] = entity.representation
    return rep


def _unavailable_error(subgraph: str, reason: str) -> dict[str, Any]:
    return {
        "message": f"HTTP fetch failed from '{subgraph}': {reason}",
        "extensions": {"code": "SUBREQUEST_HTTP_ERROR", "service": subgraph},
    }


def _malformed_error(subgraph: str, reason: str, *, sent: bool = True) -> dict[str, Any]:
    if sent:
        message = f"Malformed response from '{subgraph}': {reason}."
    else:
        message = f"Cannot fetch from '{subgraph}': {reason}."
    return {
        "message": message,
        "extensions": {"code": "SUBREQUEST_MALFORMED_RESPONSE", "service": subgraph},
    }


def _keys_of(selection_set: SelectionSetNode, out: dict[str, None]) -> None:
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            if selection.name.value != "__typename":
                out[selection.alias.value if selection.alias else selection.name.value] = None
        elif isinstance(selection, InlineFragmentNode):
            _keys_of(selection.selection_set, out)


@lru_cache(maxsize=512)
def response_keys(operation: str) -> Mapping[str | None, tuple[str, ...]]:
    """Return the response keys a fetch resolves: None for a root fetch, else by entity type.

    Only needed when a fetch fails, so the sent document is parsed then (and cached).
    """
    definition = parse(operation).definitions[0]
    assert isinstance(definition, OperationDefinitionNode)
    selection_set = definition.selection_set
    first = selection_set.selections[0]
    if not (isinstance(first, FieldNode) and first.name.value == "_entities"):
        keys: dict[str, None] = {}
        _keys_of(selection_set, keys)
        return {None: tuple(keys)}
    by_type: dict[str | None, dict[str, None]] = {}
    assert first.selection_set is not None
    for selection in first.selection_set.selections:
        if isinstance(selection, InlineFragmentNode) and selection.type_condition is not None:
            found = by_type.setdefault(selection.type_condition.name.value, {})
            _keys_of(selection.selection_set, found)
    return {name: tuple(keys) for name, keys in by_type.items()}


def _failure_copies(error: dict[str, Any], paths: list[Path], state: ExecutionState) -> None:
    """Report `error` once at each path (a fetch that failed as a whole), or once without."""
    if not paths:
        state.errors.append(error)
        return
    for path in paths:
        copy = {**error, "path": list(path)}
        state.errors.append(copy)
        state.fetch_failures.add(id(copy))


def _subgraph_error(error: Any, subgraph: str, path: Path | None) -> dict[str, Any]:
    if not isinstance(error, dict):
        return {"message": str(error), "extensions": {"service": subgraph}}
    out: dict[str, Any] = {"message": str(error.get("message", "subgraph error"))}
    if path is not None:
        out["path"] = list(path)
    extensions = error.get("extensions")
    if isinstance(extensions, dict):
        out["extensions"] = extensions
    return out


class Executor:
    """Runs plans against subgraphs through a transport."""

    def __init__(self, transport: SubgraphTransport, object_types: frozenset[str]) -> None:
        self.transport = transport
        self.object_types = object_types

    async def execute(
        self,
        plan: QueryPlan,
        variables: Mapping[str, Any],
        context: RequestContext,
        coerced: Mapping[str, Any] | None = None,
    ) -> ExecutionState:
        state = ExecutionState(
            variables=variables,
            context=context,
            coerced=variables if coerced is None else coerced,
        )
        if plan.node is not None:
            await self._run(plan.node, state)
        return state

    async def _run(self, node: PlanNode, state: ExecutionState) -> None:
        if isinstance(node, Fetch):
            await self._root_fetch(node, state)
        elif isinstance(node, Flatten):
            await self._entity_fetch(node, state)
        elif isinstance(node, Sequence):
            for child in node.nodes:
                await self._run(child, state)
        elif isinstance(node, Parallel):
            await asyncio.gather(*(self._run(child, state) for child in node.nodes))

    def _variables(self, fetch: Fetch, state: ExecutionState) -> dict[str, Any]:
        return {
            name: state.variables[name] for name in fetch.variable_usages if name in state.variables
        }

    async def _send(
        self, fetch: Fetch, variables: dict[str, Any], state: ExecutionState
    ) -> dict[str, Any]:
        """Return the subgraph's response; a failed request becomes one without data."""
        payload = {"query": fetch.operation, "variables": variables}
        try:
            response = await self.transport.send(fetch.subgraph, payload, state.context)
        except SubgraphUnavailable as exc:
            return {"errors": [_unavailable_error(fetch.subgraph, exc.reason)]}
        except Exception as exc:  # a transport bug must not lose the other subgraphs' data
            logger.exception("transport failed for subgraph %s", fetch.subgraph)
            return {"errors": [_unavailable_error(fetch.subgraph, type(exc).__name__)]}
        if not isinstance(response, dict):
            return {"errors": [_unavailable_error(fetch.subgraph, "malformed response")]}
        return response

    @staticmethod
    def _excluded(fetch: Fetch, state: ExecutionState) -> bool:
        """Whether the fetch's shared @include/@skip condition leaves nothing to fetch."""
        if fetch.condition is None:
            return False
        directive, variable = fetch.condition
        return bool(state.coerced.get(variable)) == (directive == "skip")

    async def _root_fetch(self, fetch: Fetch, state: ExecutionState) -> None:
        if self._excluded(fetch, state):
            return
        response = await self._send(fetch, self._variables(fetch, state), state)
        data = response.get("data")
        if isinstance(data, dict):
            if fetch.renames is not None:
                restore_aliases(data, fetch.renames)
            merge_into(state.data, data, self.object_types)
        failed: list[Path] | None = None
        errors = response.get("errors") or ()
        if not isinstance(data, dict) and not errors:
            # neither data nor errors: every root field of the fetch is left unexplained
            failed = [(key,) for key in response_keys(fetch.operation).get(None, ())]
            malformed = _malformed_error(fetch.subgraph, "no data object and no errors")
            _failure_copies(malformed, failed, state)
            return
        for error in errors:
            path = error.get("path") if isinstance(error, dict) else None
            shaped = _subgraph_error(error, fetch.subgraph, tuple(path) if path else None)
            if path or isinstance(data, dict):
                state.errors.append(shaped)
                continue
            # no data at all: the error is every root field's that this fetch was to resolve
            if failed is None:
                failed = [(key,) for key in response_keys(fetch.operation).get(None, ())]
            _failure_copies(shaped, failed, state)

    async def _entity_fetch(self, flatten: Flatten, state: ExecutionState) -> None:
        fetch = flatten.node
        if self._excluded(fetch, state):
            return
        by_type = {entity.typename: entity for entity in fetch.entity_types}
        representations: list[dict[str, Any]] = []
        targets: list[list[dict[str, Any]]] = []
        index_of: dict[Hashable, int] = {}
        unbuildable: list[dict[str, Any]] = []
        for obj in objects_at(state.data, flatten.path):
            entity = by_type.get(str(obj.get("__typename")))
            if entity is None:
                continue  # another type's object; an impossible __typename is the shaper's
            rep = representation(obj, entity)
            if rep is None:
                unbuildable.append(obj)
                continue
            identity: Hashable
            try:  # flat keys (the usual case) hash as a tuple; nested ones go through JSON
                identity = tuple(rep.items())
                position = index_of.get(identity)
            except TypeError:
                identity = orjson.dumps(rep, option=orjson.OPT_SORT_KEYS)
                position = index_of.get(identity)
            if position is None:
                index_of[identity] = len(representations)
                representations.append(rep)
                targets.append([obj])
            else:
                targets[position].append(obj)
        if unbuildable:
            self._unbuildable(fetch, flatten, by_type, unbuildable, state)
        if not representations:
            return
        variables = self._variables(fetch, state)
        variables["representations"] = representations
        response = await self._send(fetch, variables, state)
        data = response.get("data")
        entities = data.get("_entities") if isinstance(data, dict) else None
        if isinstance(entities, list) and fetch.renames is not None:
            restore_aliases(entities, fetch.renames)
        errors = response.get("errors")
        malformed: str | None = None
        if isinstance(entities, list) and len(entities) != len(targets):
            # Answers are matched to representations by position: with a count off, no item
            # can be trusted to be the entity it stands for (another client's data could land
            # on this object), so the whole answer is refused.
            malformed = f"{len(entities)} entities for {len(targets)} representations in _entities"
            entities = None
        elif not isinstance(entities, list) and not errors:
            malformed = "no _entities list and no errors"
        if isinstance(entities, list):
            refused = self._merge_entities(entities, targets, representations)
            if refused:
                paths = paths_at(state.data, flatten.path)
                groups = [targets[position] for position in refused]
                failed = self._entity_fields(fetch, by_type, groups, paths)
                error = _malformed_error(
                    fetch.subgraph, "an _entities item that is not the entity it stands for"
                )
                _failure_copies(error, failed, state)
        if errors or malformed:
            paths = paths_at(state.data, flatten.path)
            failed_at: list[Path] | None = None
            reported = list(errors or ())
            for error in reported:
                if isinstance(entities, list) or (isinstance(error, dict) and error.get("path")):
                    self._entity_error(error, fetch.subgraph, targets, paths, state)
                    continue
                if failed_at is None:
                    failed_at = self._entity_fields(fetch, by_type, targets, paths)
                _failure_copies(_subgraph_error(error, fetch.subgraph, None), failed_at, state)
            if malformed and not reported:
                failed_at = self._entity_fields(fetch, by_type, targets, paths)
                _failure_copies(_malformed_error(fetch.subgraph, malformed), failed_at, state)

    def _merge_entities(
        self,
        entities: list[Any],
        targets: list[list[dict[str, Any]]],
        representations: list[dict[str, Any]],
    ) -> list[int]:
        """Merge each answer into its objects; return the positions of refused items.

        `null` is an entity the subgraph does not know (federation spec): its fields stay null,
        with an error only where a non-null field is left empty. An item that is not an object,
        or whose `__typename` is another concrete type than the object's, is refused.
        """
        object_types = self.object_types
        refused: list[int] = []
        for position, entity_data in enumerate(entities):
            if isinstance(entity_data, dict):
                answered = entity_data.get("__typename")
                if (
                    answered is not None
                    and answered != representations[position].get("__typename")
                    and answered in object_types
                ):
                    own = targets[position][0].get("__typename")
                    if own in object_types and own != answered:
                        refused.append(position)
                        continue
                for obj in targets[position]:
                    merge_into(obj, entity_data, object_types)
            elif entity_data is not None:
                refused.append(position)
        return refused

    def _unbuildable(
        self,
        fetch: Fetch,
        flatten: Flatten,
        by_type: Mapping[str, EntityType],
        objects: list[dict[str, Any]],
        state: ExecutionState,
    ) -> None:
        """Report the fields of entities whose key or requirements are missing from the data.

        Not when an error already sits at or below the object: an earlier fetch that failed
        (and left a requirement out) has already said why.
        """
        paths = paths_at(state.data, flatten.path)
        errored: set[tuple[Any, ...]] = set()
        for error in state.errors:
            path = error.get("path")
            if isinstance(path, list) and id(error) not in state.unbuildable:
                errored.update(tuple(path[:end]) for end in range(len(path) + 1))
        unexplained = [
            obj for obj in objects if not any(at in errored for at in paths.get(id(obj), ()))
        ]
        if not unexplained:
            return
        failed = self._entity_fields(fetch, by_type, [[obj] for obj in unexplained], paths)
        reason = "an entity whose key or required fields are missing or null"
        error = _malformed_error(fetch.subgraph, reason, sent=False)
        before = len(state.errors)
        _failure_copies(error, failed, state)
        state.unbuildable.update(id(copy) for copy in state.errors[before:])

    @staticmethod
    def _entity_fields(
        fetch: Fetch,
        by_type: Mapping[str, EntityType],
        targets: list[list[dict[str, Any]]],
        paths: dict[int, list[Path]],
    ) -> list[Path]:
        """Response paths of every field a failed entity fetch was to fill, in response order."""
        keys = response_keys(fetch.operation)
        fields_of: dict[int, tuple[str, ...]] = {}
        for objects in targets:
            for obj in objects:
                typename = str(obj.get("__typename"))
                entity = by_type[typename]
                fields_of[id(obj)] = keys.get(entity.representation or typename, ())
        found: list[Path] = []
        for identity, object_paths in paths.items():  # in response order
            fields = fields_of.get(identity)
            if fields:
                found.extend((*at, key) for at in object_paths for key in fields)
        return found

    @staticmethod
    def _entity_error(
        error: Any,
        subgraph: str,
        targets: list[list[dict[str, Any]]],
        paths: dict[int, list[Path]],
        state: ExecutionState,
    ) -> None:
        path = error.get("path") if isinstance(error, dict) else None
        if (
            isinstance(path, list)
            and len(path) >= 2
            and path[0] == "_entities"
            and isinstance(path[1], int)
            and 0 <= path[1] < len(targets)
        ):
            rest = tuple(path[2:])
            seen: set[Path] = set()
            for obj in targets[path[1]]:
                for at in paths.get(id(obj), ()):
                    if at not in seen:
                        seen.add(at)
                        state.errors.append(_subgraph_error(error, subgraph, at + rest))
            if seen:
                return
        state.errors.append(_subgraph_error(error, subgraph, None))
