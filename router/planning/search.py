"""The plan search: every way to resolve each field, costed, and the cheapest combination.

At each point of the operation (a selection on a type, in the subgraph whose fetch reached it),
each field has options: resolve it in that fetch, or jump to a subgraph that resolves it (through
any of its keys; for `@requires`, even to the same subgraph). A jump's conditions (its key fields,
the field's requirements) are themselves selections at the same point, costed the same way, with
the conditions being resolved kept in `visiting`: an option that needs itself is dropped and the
other options stay, so a cycle is avoided rather than fatal. Sub-selections are costed in the
subgraph each option lands in.

The options of a point's fields are then combined: every set of target subgraphs is tried (each
target is one more fetch, shared by the fields that jump there), smallest first, and the cheapest
combination wins: fewest fetches, then least sequential depth, then the earliest subgraphs. The
work is bounded (docs/decisions/0015-query-planning-search.md): results are memoised per point,
and past `budget` combinations a point takes each field's own cheapest option instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLObjectType,
    InlineFragmentNode,
    SelectionSetNode,
    get_named_type,
)

from router.planning.graph import KeyEdge, QueryGraph

Cost = tuple[int, int]  # (fetches, sequential depth)
Targets = frozenset[str]  # subgraphs jumped to from one point (their fetches are shared there)
Option = tuple["Choice", Cost, Targets]  # a choice, its cost beyond `Targets`, the targets its
# conditions jump to from the same point
NO_TARGETS: Targets = frozenset()
# a ranked combination: (fetches, depth, sum of the fields' depths), choices, targets
_Found = tuple[tuple[int, int, int], dict[int, "Choice"], Targets]
Visiting = frozenset[tuple[str, str, str]]  # ("key", type, subgraph) / ("req", type, field)
ZERO: Cost = (0, 0)
NO_VISITS: Visiting = frozenset()
ROOT = ""  # the "subgraph" of the start: root fields jump from here to any subgraph


@dataclass(frozen=True)
class Choice:
    """How one field is resolved: in the current fetch, split per object type, or by a jump."""

    target: str | None = None  # the subgraph jumped to; None: the current fetch
    edge: KeyEdge | None = None  # the entity jump (None for a root field)
    split: bool = False  # an abstract parent: plan the field per possible object type


LOCAL = Choice()
SPLIT = Choice(split=True)
_MISSING = object()


def _add(a: Cost, b: Cost) -> Cost:
    return a[0] + b[0], max(a[1], b[1])


def provided_field(
    provided: SelectionSetNode | None, possible: frozenset[str], name: str
) -> tuple[bool, SelectionSetNode | None]:
    """Whether a `@provides` selection names field `name` (on one of `possible`), and its sub."""
    if provided is None:
        return False, None
    for selection in provided.selections:
        if isinstance(selection, FieldNode) and selection.name.value == name:
            return True, selection.selection_set
        if isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            if condition is None or condition.name.value in possible:
                found, sub = provided_field(selection.selection_set, possible, name)
                if found:
                    return found, sub
    return False, None


class Search:
    """Costs and choices for one operation over one query graph (memoised per point)."""

    def __init__(
        self,
        graph: QueryGraph,
        fragments: dict[str, FragmentDefinitionNode],
        budget: int = 20_000,
    ) -> None:
        self.graph = graph
        self.types = graph.supergraph.types
        self.schema = graph.supergraph.schema
        self.fragments = fragments
        self.budget = budget
        self.work = 0
        self._costs: dict[tuple[object, ...], object] = {}
        self._targets: dict[tuple[object, ...], Targets] = {}
        self._assigned: dict[tuple[object, ...], object] = {}

    # ---- facts ---------------------------------------------------------------------------------

    def possible(self, type_name: str) -> frozenset[str]:
        """Object types of the supergraph that are `type_name`."""
        named = self.schema.type_map[type_name]
        if isinstance(named, GraphQLObjectType):
            return frozenset({type_name})
        return frozenset(t.name for t in self.schema.get_possible_types(named))  # type: ignore[arg-type]

    def field_target(self, parent: str, name: str) -> str:
        named = self.schema.type_map[parent]
        assert isinstance(named, GraphQLObjectType | GraphQLInterfaceType)
        found: str = get_named_type(named.fields[name].type).name
        return found

    def is_interface_object(self, graph: str, type_name: str) -> bool:
        return graph in self.types[type_name].interface_object_graphs

    def collect(
        self, type_name: str, selection_set: SelectionSetNode
    ) -> tuple[list[FieldNode], list[tuple[str, SelectionSetNode]]]:
        """Split a selection into the fields on `type_name` itself and fragments on other types."""
        fields: list[FieldNode] = []
        typed: list[tuple[str, SelectionSetNode]] = []
        abstract = self.types[type_name].is_abstract

        def walk(selections: SelectionSetNode) -> None:
            for item in selections.selections:
                if isinstance(item, FieldNode):
                    fields.append(item)
                    continue
                if isinstance(item, InlineFragmentNode):
                    condition = item.type_condition.name.value if item.type_condition else None
                    sub = item.selection_set
                else:
                    assert isinstance(item, FragmentSpreadNode)
                    definition = self.fragments[item.name.value]
                    condition, sub = definition.type_condition.name.value, definition.selection_set
                if (
                    condition is None
                    or condition == type_name
                    or (not abstract and type_name in self.possible(condition))
                ):
                    walk(sub)
                elif abstract:
                    typed.append((condition, sub))

        walk(selection_set)
        return fields, typed

    # ---- costs ---------------------------------------------------------------------------------

    def selection_cost(
        self,
        graph: str,
        type_name: str,
        selection_set: SelectionSetNode,
        provided: SelectionSetNode | None,
        visiting: Visiting,
    ) -> Cost | None:
        """Return the cheapest cost of `selection_set` on `type_name` in `graph` (None: no plan)."""
        key = (graph, type_name, id(selection_set), id(provided), visiting)
        found = self._costs.get(key, _MISSING)
        if found is not _MISSING:
            return found  # type: ignore[return-value]
        self._costs[key] = None  # a point that needs itself has no plan this way
        fields, typed = self.collect(type_name, selection_set)
        assigned = self.assign(graph, type_name, fields, provided, visiting)
        cost: Cost | None = None if assigned is None else assigned[1]
        self._targets[key] = NO_TARGETS if assigned is None else assigned[2]
        for condition, sub in typed:
            if cost is None:
                break
            typed_cost = self.typed_cost(graph, type_name, condition, sub, visiting)
            cost = None if typed_cost is None else _add(cost, typed_cost)
        self._costs[key] = cost
        return cost

    def typed_cost(
        self,
        graph: str,
        type_name: str,
        condition: str,
        sub: SelectionSetNode,
        visiting: Visiting,
    ) -> Cost | None:
        """Cost of a fragment on `condition` within a selection on abstract `type_name`."""
        if self.is_interface_object(graph, type_name):
            best: Cost | None = None
            for edge in self.real_interface_jumps(graph, type_name, visiting):
                inner = self.typed_cost(edge.graph, type_name, condition, sub, NO_VISITS)
                found_key = self.key_cost(graph, type_name, edge, visiting)
                if inner is None or found_key is None:
                    continue
                key = found_key[0]
                cost = (1 + key[0] + len(found_key[1]) + inner[0], 1 + key[1] + inner[1])
                if best is None or cost < best:
                    best = cost
            return best
        runtime = self.graph.possible_in(graph, type_name) & self.possible(condition)
        info = self.types[condition]
        if (
            info.is_abstract
            and graph in info.graphs
            and not self.is_interface_object(graph, condition)
        ):
            return self.selection_cost(graph, condition, sub, None, visiting) if runtime else ZERO
        total = ZERO
        for name in sorted(runtime):
            found = self.selection_cost(graph, name, sub, None, visiting)
            if found is None:
                return None
            total = _add(total, found)
        return total

    def real_interface_jumps(self, graph: str, type_name: str, visiting: Visiting) -> list[KeyEdge]:
        """Jumps from an `@interfaceObject` to subgraphs that know the interface's object types."""
        return [
            edge
            for edge in self.graph.jumps.get(type_name, ())
            if edge.graph != graph
            and not self.is_interface_object(edge.graph, type_name)
            and ("key", type_name, edge.graph) not in visiting
        ]

    def key_cost(
        self, graph: str, type_name: str, edge: KeyEdge, visiting: Visiting
    ) -> tuple[Cost, Targets] | None:
        """Cost of the key fields of `edge` at a point on `type_name` in `graph`."""
        inner = visiting | {("key", edge.fragment_type, edge.graph)}
        return self.condition_cost(graph, type_name, edge.key.selection, inner)

    def condition_cost(
        self, graph: str, type_name: str, selection: SelectionSetNode, visiting: Visiting
    ) -> tuple[Cost, Targets] | None:
        """Cost of a key or requirement at a point: beyond the targets it jumps to, and those."""
        cost = self.selection_cost(graph, type_name, selection, None, visiting)
        if cost is None:
            return None
        targets = self._targets.get(
            (graph, type_name, id(selection), id(None), visiting), NO_TARGETS
        )
        return (cost[0] - len(targets), cost[1]), targets

    def field_options(
        self,
        graph: str,
        type_name: str,
        node: FieldNode,
        provided: SelectionSetNode | None,
        visiting: Visiting,
    ) -> list[Option]:
        """Every way to resolve `node` on `type_name` from a fetch of `graph`, with its cost.

        A jump's cost counts its conditions and sub-selection, and one level of depth; the
        fetch itself is counted once per target by `assign`.
        """
        name = node.name.value
        sub = node.selection_set
        options: list[Option] = []
        if graph == ROOT:
            for target in self.graph.roots.get(type_name, ()):
                edge = self.graph.field(target, type_name, name)
                if edge is None:
                    continue
                nested = (
                    self.selection_cost(target, edge.target, sub, edge.provides, NO_VISITS)
                    if sub is not None
                    else ZERO
                )
                if nested is not None:
                    options.append((Choice(target), (nested[0], 1 + nested[1]), NO_TARGETS))
            return options
        info = self.types[type_name]
        interface_object = self.is_interface_object(graph, type_name)
        abstract_unresolved = False
        if name == "__typename":
            if not interface_object:
                return [(LOCAL, ZERO, NO_TARGETS)]
            for jump_edge in self.real_interface_jumps(graph, type_name, visiting):
                found_key = self.key_cost(graph, type_name, jump_edge, visiting)
                if found_key is not None:
                    key, targets = found_key
                    choice = Choice(jump_edge.graph, jump_edge)
                    options.append((choice, (key[0], 1 + key[1]), targets))
            return options
        edge_here = self.graph.field(graph, type_name, name)
        # on an interface, only if the subgraph resolves it for every implementation it
        # returns (an implementation's field may be overridden by another subgraph)
        if (
            edge_here is not None
            and info.is_abstract
            and not interface_object
            and any(
                self.graph.field(graph, object_type, name) is None
                for object_type in self.graph.possible_in(graph, type_name)
            )
        ):
            edge_here = None
            abstract_unresolved = True
        if edge_here is not None and edge_here.requires is None:
            nested = (
                self.selection_cost(graph, edge_here.target, sub, edge_here.provides, NO_VISITS)
                if sub is not None
                else ZERO
            )
            if nested is not None:
                options.append((LOCAL, nested, NO_TARGETS))
        elif edge_here is None and not abstract_unresolved:
            # on an abstract type only what is provided on the type itself; a provided field
            # under a type condition is found per object type (a split)
            possible = (
                frozenset({type_name})
                if info.is_abstract
                else self.possible(type_name) | {type_name}
            )
            found, provided_sub = provided_field(provided, possible, name)
            if found:
                target = self.field_target(type_name, name)
                nested = (
                    self.selection_cost(graph, target, sub, provided_sub, NO_VISITS)
                    if sub is not None
                    else ZERO
                )
                if nested is not None:
                    options.append((LOCAL, nested, NO_TARGETS))
        if info.is_abstract and not interface_object and not options:
            total: Cost | None = ZERO
            for object_type in sorted(self.graph.possible_in(graph, type_name)):
                best = self.best_single(graph, object_type, node, provided, visiting)
                if best is None:
                    total = None
                    break
                assert total is not None
                total = _add(total, best)
            if total is not None:
                options.append((SPLIT, total, NO_TARGETS))
        if ("req", type_name, name) in visiting:
            return options
        for jump in self.graph.jumps.get(type_name, ()):
            target_edge = self.graph.field(jump.graph, jump.fragment_type, name)
            if target_edge is None:
                continue
            if (
                jump.graph == graph
                and target_edge.requires is None
                and jump.fragment_type == type_name
            ):
                continue  # the current fetch resolves it
            if ("key", jump.fragment_type, jump.graph) in visiting:
                continue
            found_key = self.key_cost(graph, type_name, jump, visiting)
            if found_key is None:
                continue
            key, targets = found_key
            required = ZERO
            if target_edge.requires is not None:
                inner = visiting | {("req", type_name, name)}
                found_cost = self.condition_cost(graph, type_name, target_edge.requires, inner)
                if found_cost is None:
                    continue
                required, required_targets = found_cost
                targets |= required_targets
            nested = (
                self.selection_cost(
                    jump.graph, target_edge.target, sub, target_edge.provides, NO_VISITS
                )
                if sub is not None
                else ZERO
            )
            if nested is None:
                continue
            depth = 1 + max(key[1], required[1]) + nested[1]
            cost = (key[0] + required[0] + nested[0], depth)
            options.append((Choice(jump.graph, jump), cost, targets))
        return options

    def best_single(
        self,
        graph: str,
        type_name: str,
        node: FieldNode,
        provided: SelectionSetNode | None,
        visiting: Visiting,
    ) -> Cost | None:
        assigned = self.assign(graph, type_name, [node], provided, visiting)
        return None if assigned is None else assigned[1]

    # ---- combining the options of a point ------------------------------------------------------

    def assign(
        self,
        graph: str,
        type_name: str,
        fields: list[FieldNode],
        provided: SelectionSetNode | None,
        visiting: Visiting,
    ) -> tuple[dict[int, Choice], Cost, Targets] | None:
        """Return the cheapest choice for each field of one point, its cost and its targets.

        None: the point has no plan. The targets are the subgraphs jumped to from this point.
        """
        key = (graph, type_name, tuple(id(f) for f in fields), id(provided), visiting)
        found = self._assigned.get(key, _MISSING)
        if found is not _MISSING:
            return found  # type: ignore[return-value]
        self._assigned[key] = None
        options = [self.field_options(graph, type_name, f, provided, visiting) for f in fields]
        result: tuple[dict[int, Choice], Cost, Targets] | None = None
        if all(options):
            result = self._combine(fields, options)
        self._assigned[key] = result
        return result

    def _combine(
        self, fields: list[FieldNode], options: list[list[Option]]
    ) -> tuple[dict[int, Choice], Cost, Targets] | None:
        order = self.graph.order
        targets = sorted(
            {choice.target for opts in options for choice, _, _ in opts if choice.target},
            key=lambda t: order.get(t, -1),
        )
        best: _Found | None = None
        for size in range(len(targets) + 1):
            if best is not None and size > best[0][0]:
                break  # every further target adds a fetch
            for chosen in combinations(targets, size):
                self.work += 1
                found = self._evaluate(fields, options, frozenset(chosen))
                if found is not None and (best is None or found[0] < best[0]):
                    best = found
                if self.work > self.budget:
                    break
            if self.work > self.budget:
                break
        if best is None:
            best = self._greedy(fields, options)
        if best is None:
            return None
        rank, picks, used = best
        return picks, (rank[0], rank[1]), used

    @staticmethod
    def _evaluate(
        fields: list[FieldNode], options: list[list[Option]], chosen: frozenset[str]
    ) -> _Found | None:
        """Each field's cheapest option within the targets `chosen` (None: not all of them used).

        Ranked by fetches (the targets, with those the conditions jump to, counted once), then
        sequential depth, then the sum of the fields' depths (a field fetched earlier is better).
        """
        fetches, depth, total_depth = 0, 0, 0
        picks: dict[int, Choice] = {}
        picked: set[str] = set()
        used: set[str] = set(chosen)
        for node, opts in zip(fields, options, strict=True):
            pick: Option | None = None
            for option in opts:
                choice, cost, _targets = option
                if choice.target is not None and choice.target not in chosen:
                    continue
                if pick is None or cost < pick[1]:
                    pick = option
            if pick is None:
                return None
            picks[id(node)] = pick[0]
            if pick[0].target is not None:
                picked.add(pick[0].target)
            used |= pick[2]
            fetches += pick[1][0]
            depth = max(depth, pick[1][1])
            total_depth += pick[1][1]
        if picked != chosen:
            return None  # a smaller set does the same
        return (fetches + len(used), depth, total_depth), picks, frozenset(used)

    @staticmethod
    def _greedy(fields: list[FieldNode], options: list[list[Option]]) -> _Found | None:
        """Past the budget: each field its cheapest option, a new target counting one fetch."""
        used: set[str] = set()
        fetches, depth, total_depth = 0, 0, 0
        picks: dict[int, Choice] = {}
        for node, opts in zip(fields, options, strict=True):
            if not opts:
                return None

            def rank(option: Option, used: set[str] = used) -> Cost:
                choice, cost, targets = option
                new = ({choice.target} if choice.target else set()) | targets
                return cost[0] + len(new - used), cost[1]

            option = min(opts, key=rank)
            fetches += option[1][0]
            depth = max(depth, option[1][1])
            total_depth += option[1][1]
            if option[0].target is not None:
                used.add(option[0].target)
            used |= option[2]
            picks[id(node)] = option[0]
        return (fetches + len(used), depth, total_depth), picks, frozenset(used)

    # ---- jumps for conditions --------------------------------------------------------------

    def best_key(
        self, graph: str, type_name: str, edges: list[KeyEdge], visiting: Visiting
    ) -> KeyEdge | None:
        """Return the key edge among `edges` whose key fields are cheapest to obtain."""
        best: tuple[Cost, int] | None = None
        found: KeyEdge | None = None
        for index, edge in enumerate(edges):
            found_key = self.key_cost(graph, type_name, edge, visiting)
            if found_key is None:
                continue
            cost = (found_key[0][0] + len(found_key[1]), found_key[0][1])
            if best is None or (cost, index) < best:
                best, found = (cost, index), edge
        return found
