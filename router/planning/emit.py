"""Turn filled fetch groups into plan nodes: `Fetch`/`Flatten` arranged by their dependencies.

Independent parts of the operation run in `Parallel`. Within a part, groups that wait on several
others run in dependency-level stages; a branch that waits only on its parent runs right after it,
alongside later stages. Mutation root fetches each finish, with their dependents, before the next
starts.
"""

from __future__ import annotations

import re
from typing import Literal

from graphql import OperationDefinitionNode, print_ast

from router.planning.errors import PlanningError
from router.planning.groups import FetchGroup
from router.planning.nodes import (
    EntityType,
    Fetch,
    Flatten,
    Parallel,
    PlanNode,
    RepTemplate,
    Sequence,
)
from router.planning.selection import SelField, SelFragment, SelSet

_VARIABLE = re.compile(r"\$([_A-Za-z][_0-9A-Za-z]*)")


class PlanEmitter:
    """Builds the plan nodes of one operation's fetch groups."""

    def __init__(self, groups: list[FetchGroup], operation: OperationDefinitionNode) -> None:
        self.groups = groups
        self.operation = operation
        self.emitted = 0

    def emit(self, roots: list[FetchGroup], kind: Literal["query", "mutation"]) -> PlanNode | None:
        if not roots:
            return None
        if kind == "mutation":
            parts = [self.emit_component(self.component(root), kind) for root in roots]
            return parts[0] if len(parts) == 1 else Sequence(tuple(parts))
        parts = [self.emit_component(part, kind) for part in self.connected_parts()]
        return parts[0] if len(parts) == 1 else Parallel(tuple(parts))

    def connected_parts(self) -> list[list[FetchGroup]]:
        """Split independent groups apart, so one part's dependency levels do not hold another."""
        owner = {g.id: g.id for g in self.groups}

        def find(x: int) -> int:
            while owner[x] != x:
                owner[x] = owner[owner[x]]
                x = owner[x]
            return x

        for group in self.groups:
            for parent in group.parents:
                owner[find(group.id)] = find(parent)
        parts: dict[int, list[FetchGroup]] = {}
        for group in self.groups:
            parts.setdefault(find(group.id), []).append(group)
        return list(parts.values())

    def component(self, root: FetchGroup) -> list[FetchGroup]:
        members = {root.id}
        grown = True
        while grown:  # a group may be created before a parent it waits for
            grown = False
            for group in self.groups:
                if group.id not in members and group.parents & members:
                    members.add(group.id)
                    grown = True
        return [g for g in self.groups if g.id in members]

    def emit_component(
        self, groups: list[FetchGroup], kind: Literal["query", "mutation"]
    ) -> PlanNode:
        ids = {g.id for g in groups}
        for group in groups:
            group.parents &= ids
        if all(len(g.parents) <= 1 for g in groups):
            self.emitted = 0
            tops = [self.emit_tree(g, groups, kind) for g in groups if not g.parents]
            if self.emitted != len(groups):
                raise PlanningError("fetches depend on each other in a cycle")
            return tops[0] if len(tops) == 1 else Parallel(tuple(tops))
        by_id = {g.id: g for g in groups}
        children: dict[int, list[FetchGroup]] = {g.id: [] for g in groups}
        for group in groups:
            for parent in group.parents:
                children[parent].append(group)
        detachable: dict[int, bool] = {}

        def is_detachable(group: FetchGroup) -> bool:
            # a group with one parent whose whole subtree waits on nothing else can run as a
            # branch right after that parent, instead of waiting for a dependency level
            found = detachable.get(group.id)
            if found is None:
                detachable[group.id] = False  # cycle guard
                found = len(group.parents) == 1 and all(
                    is_detachable(child) for child in children[group.id]
                )
                detachable[group.id] = found
            return found

        staged = [g for g in groups if not is_detachable(g)]
        level: dict[int, int] = {}
        visiting: set[int] = set()

        def level_of(group: FetchGroup) -> int:
            found = level.get(group.id)
            if found is None:
                if group.id in visiting:
                    raise PlanningError("fetches depend on each other in a cycle")
                visiting.add(group.id)
                found = 1 + max((level_of(by_id[p]) for p in group.parents), default=-1)
                level[group.id] = found
            return found

        for group in staged:
            level_of(group)
        self.emitted = 0
        node = self._stages(staged, level, children, detachable, groups, kind, 0)
        if self.emitted != len(groups):
            raise PlanningError("fetches depend on each other in a cycle")
        return node

    def _stages(
        self,
        staged: list[FetchGroup],
        level: dict[int, int],
        children: dict[int, list[FetchGroup]],
        detachable: dict[int, bool],
        groups: list[FetchGroup],
        kind: Literal["query", "mutation"],
        depth: int,
    ) -> PlanNode:
        """Stage `depth`, then its branches alongside all later stages (they do not wait)."""
        members = [g for g in staged if level[g.id] == depth]
        fetches = [self.fetch_node(g, kind) for g in members]
        self.emitted += len(members)
        after = [
            self.emit_tree(child, groups, kind)
            for g in members
            for child in children[g.id]
            if detachable[child.id]
        ]
        if depth < max(level.values()):
            after.append(self._stages(staged, level, children, detachable, groups, kind, depth + 1))
        head = fetches[0] if len(fetches) == 1 else Parallel(tuple(fetches))
        return self._then(head, after)

    @staticmethod
    def _then(node: PlanNode, branches: list[PlanNode]) -> PlanNode:
        if not branches:
            return node
        if len(branches) > 1:
            return Sequence((node, Parallel(tuple(branches))))
        after = branches[0]
        return Sequence((node, *after.nodes) if isinstance(after, Sequence) else (node, after))

    def emit_tree(
        self, group: FetchGroup, groups: list[FetchGroup], kind: Literal["query", "mutation"]
    ) -> PlanNode:
        node = self.fetch_node(group, kind)
        self.emitted += 1
        children = [self.emit_tree(g, groups, kind) for g in groups if group.id in g.parents]
        return self._then(node, children)

    def fetch_node(self, group: FetchGroup, kind: Literal["query", "mutation"]) -> PlanNode:
        name = self.operation.name.value if self.operation.name else None
        op_name = f" {name}__{_safe(group.subgraph)}__{group.id}" if name else ""
        body = group.selection.compact()
        selection_text = "\n".join(group.selection.pretty())
        defined = {d.variable.name.value: d for d in self.operation.variable_definitions or ()}
        used = tuple(v for v in dict.fromkeys(_VARIABLE.findall(body)) if v in defined)
        definitions = [print_ast(defined[v]) for v in used]
        if not group.entity:
            header = f"{kind}{op_name}" + (f"({', '.join(definitions)})" if definitions else "")
            return Fetch(
                subgraph=group.subgraph,
                operation=f"{header}{body}",
                operation_kind=kind,
                variable_usages=used,
                selection_text=selection_text,
                id=group.id,
                condition=_condition(group.selection, entity=False),
                renames=group.renames,
            )
        definitions.insert(0, "$representations: [_Any!]!")
        header = f"query{op_name}({', '.join(definitions)})"
        operation = f"{header}{{_entities(representations: $representations){body}}}"
        requires = SelSet()
        entity_types: list[EntityType] = []
        for typename, (rep, representation) in group.requires.items():
            entity_types.append(EntityType(typename, rep, _template(representation)))
            shown = requires.fragment(rep or typename)
            for key, item in representation.items.items():
                shown.items.setdefault(key, item)
        return Flatten(
            path=group.path,
            node=Fetch(
                subgraph=group.subgraph,
                operation=operation,
                operation_kind="query",
                variable_usages=used,
                selection_text=selection_text,
                requires_text="\n".join(requires.pretty()),
                entity_types=tuple(entity_types),
                id=group.id,
                condition=_condition(group.selection, entity=True),
                renames=group.renames,
            ),
        )


_CONDITION = re.compile(r"^ @(include|skip)\(if: \$([_A-Za-z][_0-9A-Za-z]*)\)$")


def _condition(selection: SelSet, entity: bool) -> tuple[str, str] | None:
    """Return the one @include/@skip variable condition shared by every selection, if any."""
    items = list(selection.items.values())
    if entity:  # look inside the `... on Type` fragments of an _entities selection
        items = [i for f in items if isinstance(f, SelFragment) for i in f.sub.items.values()]
    found = {item.directives for item in items}
    if len(found) != 1:
        return None
    match = _CONDITION.match(found.pop())
    return (match[1], match[2]) if match else None


def _safe(name: str) -> str:
    return re.sub(r"\W", "_", name)


def _template(selection: SelSet) -> RepTemplate:
    items: list[tuple[str, str, RepTemplate | None]] = []
    for item in selection.items.values():
        if isinstance(item, SelField):
            sub = _template(item.sub) if item.sub is not None else None
            items.append((item.name, item.response_key, sub))
        else:
            items.append(("", item.type_condition or "", _template(item.sub)))
    return tuple(items)
