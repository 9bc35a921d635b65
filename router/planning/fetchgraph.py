"""Optimisation passes over the fetch graph the planner built, before plan nodes are emitted.

- merge: entity groups of one subgraph at one response path that do not wait for each other
  (directly or not) and build the same representations become one fetch (this also removes
  duplicates); one group already batches every entity type of its subgraph at its path into one
  `_entities` call;
- fold: an entity group whose subgraph is its parent's, at its parent's path, that waits for
  nothing else and needs no requirement, is selected by the parent itself;
- aliases: where one response position of a subgraph operation would select one response name
  with two different types (legal for the client against the supergraph, refused by the
  subgraph), every occurrence but those of one type is sent under an internal alias
  (`<name>__<type>`), recorded as `Renames` and undone before the response is merged.
"""

from __future__ import annotations

import re

from graphql import GraphQLInterfaceType, GraphQLObjectType, GraphQLSchema, get_named_type

from router.planning.graph import QueryGraph
from router.planning.groups import FetchGroup
from router.planning.nodes import Renames
from router.planning.selection import SelField, SelFragment, SelSet


def optimise(
    groups: list[FetchGroup], roots: list[FetchGroup], schema: GraphQLSchema, graph: QueryGraph
) -> list[FetchGroup]:
    """Run the passes; return the groups that remain (ids unchanged, parents rewritten)."""
    groups = _merge(groups)
    groups = _fold(groups)
    for group in groups:
        group.renames = _aliases(group, schema, graph)
    return groups


# ---- merging --------------------------------------------------------------------------------


def _waits_for(groups: dict[int, FetchGroup], start: int, other: int) -> bool:
    stack, seen = [start], set()
    while stack:
        current = stack.pop()
        if current == other:
            return True
        if current in seen or current not in groups:
            continue
        seen.add(current)
        stack.extend(groups[current].parents)
    return False


def _same_representations(a: FetchGroup, b: FetchGroup) -> bool:
    for typename in a.requires.keys() & b.requires.keys():
        rep_a, sel_a = a.requires[typename]
        rep_b, sel_b = b.requires[typename]
        if rep_a != rep_b or sel_a.compact() != sel_b.compact():
            return False
    return True


def _merge(groups: list[FetchGroup]) -> list[FetchGroup]:
    by_id = {g.id: g for g in groups}
    merged = True
    while merged:
        merged = False
        buckets: dict[tuple[str, tuple[str, ...]], list[FetchGroup]] = {}
        for group in by_id.values():
            if group.entity:
                buckets.setdefault((group.subgraph, group.path), []).append(group)
        for bucket in buckets.values():
            for i, first in enumerate(bucket):
                for second in bucket[i + 1 :]:
                    if (
                        _same_representations(first, second)
                        and not _waits_for(by_id, first.id, second.id)
                        and not _waits_for(by_id, second.id, first.id)
                    ):
                        _absorb(by_id, first, second)
                        merged = True
                        break
                if merged:
                    break
            if merged:
                break
    return [g for g in groups if g.id in by_id]


def _absorb(by_id: dict[int, FetchGroup], keep: FetchGroup, gone: FetchGroup) -> None:
    _merge_selection(keep.selection, gone.selection)
    for typename, (rep, selection) in gone.requires.items():
        found = keep.requires.setdefault(typename, (rep, SelSet()))
        _merge_selection(found[1], selection)
    keep.parents |= gone.parents
    keep.parents.discard(keep.id)
    del by_id[gone.id]
    for group in by_id.values():
        if gone.id in group.parents:
            group.parents.discard(gone.id)
            if group.id != keep.id:
                group.parents.add(keep.id)


def _merge_selection(into: SelSet, other: SelSet) -> None:
    for key, item in other.items.items():
        found = into.items.get(key)
        if found is None:
            into.items[key] = item
        elif isinstance(found, SelField) and isinstance(item, SelField):
            if found.sub is not None and item.sub is not None:
                _merge_selection(found.sub, item.sub)
        elif isinstance(found, SelFragment) and isinstance(item, SelFragment):
            _merge_selection(found.sub, item.sub)


# ---- folding --------------------------------------------------------------------------------


def _fold(groups: list[FetchGroup]) -> list[FetchGroup]:
    """Fold same-subgraph children that need nothing from their entity representation.

    Only a child at its parent's own path (the parent selects the same objects) whose sole
    dependency is the parent, whose representations hold nothing but keys the parent selects,
    can be folded; the planner rarely makes one (the search keeps fields in the current fetch),
    so this pass mostly guards the merge pass's results.
    """
    by_id = {g.id: g for g in groups}
    for group in list(by_id.values()):
        if not group.entity or group.parent is None or group.parents != {group.parent}:
            continue
        parent = by_id.get(group.parent)
        if parent is None or parent.subgraph != group.subgraph or parent.path != group.path:
            continue
        if not parent.entity or any(rep is not None for rep, _selection in group.requires.values()):
            continue
        if not all(t in parent.requires for t in group.requires):
            continue
        if any(
            _fields(selection) - _fields(parent.requires[t][1])
            for t, (_rep, selection) in group.requires.items()
        ):
            continue  # it needs fields (requirements) the parent's representation lacks
        _merge_selection(parent.selection, group.selection)
        del by_id[group.id]
        for other in by_id.values():
            if group.id in other.parents:
                other.parents.discard(group.id)
                other.parents.add(parent.id)
    return [g for g in groups if g.id in by_id]


def _fields(selection: SelSet) -> set[str]:
    return {key for key, item in selection.items.items() if isinstance(item, SelField)}


# ---- internal aliases -----------------------------------------------------------------------

_MANGLE = re.compile(r"[^_0-9A-Za-z]")


def _alias(key: str, type_text: str) -> str:
    mangled = _MANGLE.sub(lambda m: {"!": "_nn", "[": "_l", "]": "_"}.get(m[0], "_"), type_text)
    return f"{key}__{mangled}"


def _aliases(group: FetchGroup, schema: GraphQLSchema, graph: QueryGraph) -> Renames | None:
    if group.entity:
        level = [
            (item.type_condition or "", item.sub)
            for item in group.selection.items.values()
            if isinstance(item, SelFragment)
        ]
    else:
        level = [(group.root_type, group.selection)]
    return _level(group.subgraph, level, schema, graph)


def _occurrences(
    parent: str,
    selection: SelSet,
    out: list[tuple[str, SelSet, str, SelField]],
) -> None:
    for item_key, item in list(selection.items.items()):
        if isinstance(item, SelField):
            out.append((parent, selection, item_key, item))
        else:
            _occurrences(item.type_condition or parent, item.sub, out)


def _type_text(
    graph: QueryGraph, schema: GraphQLSchema, subgraph: str, parent: str, name: str
) -> str:
    edge = graph.field(subgraph, parent, name)
    if edge is not None:
        return edge.subgraph_type
    info = graph.supergraph.types.get(parent)
    field = info.fields.get(name) if info is not None else None
    if field is not None and subgraph in field.types:
        return field.types[subgraph]
    named = schema.type_map.get(parent)
    if isinstance(named, GraphQLObjectType | GraphQLInterfaceType) and name in named.fields:
        return str(named.fields[name].type)
    return ""


def _level(
    subgraph: str,
    level: list[tuple[str, SelSet]],
    schema: GraphQLSchema,
    graph: QueryGraph,
) -> Renames | None:
    occurrences: list[tuple[str, SelSet, str, SelField]] = []
    for parent, selection in level:
        _occurrences(parent, selection, occurrences)
    by_key: dict[str, list[tuple[str, SelSet, str, SelField, str]]] = {}
    for parent, owner, item_key, item in occurrences:
        if item.name == "__typename":
            continue
        text = _type_text(graph, schema, subgraph, parent, item.name)
        by_key.setdefault(item.response_key, []).append((parent, owner, item_key, item, text))
    by_type: dict[str, dict[str, str]] = {}
    for key, found in by_key.items():
        texts = {text for *_rest, text in found}
        if len(texts) < 2:
            continue
        keep = min(texts)
        for parent, owner, item_key, item, text in found:
            if text == keep:
                continue
            alias = _alias(key, text)
            item.response_key = alias
            _rekey(owner, item_key, alias + item.directives, item)
            named = schema.type_map.get(parent)
            if isinstance(named, GraphQLObjectType):
                objects = [parent]
            else:  # an abstract parent: the objects say their concrete type
                objects = [t.name for t in schema.get_possible_types(named)]  # type: ignore[arg-type]
            for object_type in objects:
                by_type.setdefault(object_type, {})[alias] = key
    if by_type:
        for _parent, selection in level:
            if "__typename" not in selection.items:
                selection.items = {
                    "__typename": SelField("__typename", "__typename", "", ""),
                    **selection.items,
                }
    below: list[tuple[str, Renames]] = []
    subs: dict[str, list[tuple[str, SelSet]]] = {}
    for parent, _owner, _item_key, item in occurrences:
        if item.sub is None:
            continue
        named = schema.type_map.get(parent)
        if not isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            continue
        field = named.fields.get(item.name)
        if field is None:
            continue
        subs.setdefault(item.response_key, []).append((get_named_type(field.type).name, item.sub))
    for key, sub_level in subs.items():
        found_below = _level(subgraph, sub_level, schema, graph)
        if found_below is not None:
            below.append((key, found_below))
    if not by_type and not below:
        return None
    return Renames(
        by_type=tuple(
            (parent, tuple(sorted(aliases.items()))) for parent, aliases in sorted(by_type.items())
        ),
        below=tuple(below),
    )


def _rekey(owner: SelSet, old: str, new: str, item: SelField) -> None:
    owner.items = {
        (new if k == old else k): (item if k == old else v) for k, v in owner.items.items()
    }
