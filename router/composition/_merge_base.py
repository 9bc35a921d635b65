"""Shared state and helpers of the merge: declarations by type, arguments, reporting."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from graphql import print_ast
from graphql.language import TypeNode

from ._fieldset import compact_field_set, leaf_paths
from ._model import Argument, Graph, SupergraphType
from ._subgraph_model import Field, InputValue, TypeDef, named_type, type_string
from ._types import merge_input_types
from .errors import CompositionIssue

_T = TypeVar("_T")


@dataclass
class Entry:
    """One subgraph's declaration of a type."""

    graph: Graph
    type_def: TypeDef


class MergeBase:
    """State every merge step reads: the graphs, each type's declarations, type relations."""

    def __init__(self, graphs: list[Graph], issues: list[CompositionIssue]) -> None:
        self.graphs = graphs
        self.issues = issues
        self.by_name: dict[str, list[Entry]] = {}
        for graph in graphs:
            for type_def in graph.subgraph.types.values():
                self.by_name.setdefault(type_def.name, []).append(Entry(graph, type_def))
        self.implementations: dict[str, set[str]] = {}  # interface -> object/interface names
        self.union_members: dict[str, set[str]] = {}
        for entries in self.by_name.values():
            for entry in entries:
                for interface in entry.type_def.interfaces:
                    self.implementations.setdefault(interface, set()).add(entry.type_def.name)
                if entry.type_def.kind == "union":
                    self.union_members.setdefault(entry.type_def.name, set()).update(
                        entry.type_def.members
                    )
        self.enum_usage = self._enum_usage()
        self._compact_field_sets()

    def report(
        self,
        code: str,
        message: str,
        subgraphs: Iterable[str] = (),
        coordinate: str | None = None,
    ) -> None:
        self.issues.append(CompositionIssue(code, message, tuple(subgraphs), coordinate))

    # -- helpers -------------------------------------------------------------------------------

    def named_subtype(self, sub: str, sup: str) -> bool:
        if sub in self.union_members.get(sup, set()):
            return True
        seen: set[str] = set()
        pending = [sup]
        while pending:
            current = pending.pop()
            for implementation in self.implementations.get(current, set()):
                if implementation == sub:
                    return True
                if implementation not in seen:
                    seen.add(implementation)
                    pending.append(implementation)
        return False

    def _compact_field_sets(self) -> None:
        """Write @requires/@provides of object fields the way the reference composers do.

        Minimal spacing, and without the key fields every entity representation carries anyway
        (for @provides only when the provided type is an extension in that subgraph).
        """
        for graph in self.graphs:
            types = graph.subgraph.types
            for type_def in types.values():
                if type_def.kind != "object":
                    continue
                for field_def in type_def.fields.values():
                    if field_def.requires is not None:
                        compact = compact_field_set(field_def.requires, key_paths(type_def))
                        field_def.requires = compact or None
                    if field_def.provides is not None:
                        target = types.get(named_type(field_def.type))
                        if target is None or target.kind == "union":
                            continue
                        drop = key_paths(target) if target.extension else set()
                        field_def.provides = compact_field_set(field_def.provides, drop)

    def _enum_usage(self) -> dict[str, tuple[list[str], list[str]]]:
        """Enum name -> (input positions, output positions) using it, across all subgraphs."""
        usage: dict[str, tuple[list[str], list[str]]] = {}

        def use(type_node: TypeNode, coordinate: str, as_input: bool) -> None:
            name = named_type(type_node)
            inputs, outputs = usage.setdefault(name, ([], []))
            (inputs if as_input else outputs).append(coordinate)

        for graph in self.graphs:
            for type_def in graph.subgraph.types.values():
                for field_def in type_def.fields.values():
                    use(field_def.type, f"{type_def.name}.{field_def.name}", False)
                    for arg in field_def.args.values():
                        use(arg.type, f"{type_def.name}.{field_def.name}({arg.name}:)", True)
                for input_field in type_def.input_fields.values():
                    use(input_field.type, f"{type_def.name}.{input_field.name}", True)
        return usage

    def _merge_type_common(self, result: SupergraphType, entries: list[Entry]) -> None:
        for entry in entries:
            if result.description is None and entry.type_def.description is not None:
                result.description = entry.type_def.description
            result.inaccessible = result.inaccessible or entry.type_def.inaccessible
            for tag in entry.type_def.tags:
                if tag not in result.tags:
                    result.tags.append(tag)

    def _type_mismatch(
        self,
        code: str,
        what: str,
        coordinate: str,
        declared: Sequence[tuple[Entry, Field | InputValue]],
    ) -> None:
        by_type: dict[str, list[str]] = {}
        for entry, element in declared:
            by_type.setdefault(type_string(element.type), []).append(entry.graph.name)
        parts = [
            f'type "{shown}" in subgraph{"s" if len(names) > 1 else ""} '
            + ", ".join(f'"{n}"' for n in names)
            for shown, names in by_type.items()
        ]
        self.report(
            code,
            f'Type of {what} "{coordinate}" is incompatible across subgraphs: it has '
            + " but ".join(parts),
            [entry.graph.name for entry, _ in declared],
            coordinate,
        )

    # -- arguments -----------------------------------------------------------------------------

    def _merge_arguments(
        self, coordinate: str, declared: Sequence[tuple[Entry, Field]]
    ) -> list[Argument]:
        names = ordered_union([list(f.args) for _, f in declared])
        merged: list[Argument] = []
        for arg_name in names:
            arg_coordinate = f"{coordinate}({arg_name}:)"
            present = [(e, f.args[arg_name]) for e, f in declared if arg_name in f.args]
            missing = [e.graph.name for e, f in declared if arg_name not in f.args]
            if missing:
                required_in = [
                    e.graph.name
                    for e, a in present
                    if print_ast(a.type).endswith("!") and a.default is None
                ]
                if required_in:
                    self.report(
                        "REQUIRED_ARGUMENT_MISSING_IN_SOME_SUBGRAPH",
                        f'Argument "{arg_coordinate}" is required in some subgraphs but does not '
                        f"appear in all subgraphs: it is required in subgraph "
                        + ", ".join(f'"{n}"' for n in required_in)
                        + " but does not appear in subgraph "
                        + ", ".join(f'"{n}"' for n in missing),
                        required_in + missing,
                        arg_coordinate,
                    )
                continue
            value = self._merge_input_value(
                "FIELD_ARGUMENT_TYPE_MISMATCH",
                "FIELD_ARGUMENT_DEFAULT_MISMATCH",
                "argument",
                arg_coordinate,
                present,
            )
            if value is not None:
                merged.append(value)
        return merged

    def _merge_input_value(
        self,
        type_code: str,
        default_code: str,
        what: str,
        coordinate: str,
        present: Sequence[tuple[Entry, InputValue]],
    ) -> Argument | None:
        merged_type = merge_input_types([a.type for _, a in present])
        if merged_type is None:
            self._type_mismatch(type_code, what, coordinate, present)
            return None
        defaults = {print_ast(a.default) if a.default is not None else None for _, a in present}
        if len(defaults - {None}) > 1 or (
            what == "argument" and len(defaults) > 1 and any(a.default for _, a in present)
        ):
            shown = [
                f'"{print_ast(a.default) if a.default is not None else "(none)"}" in subgraph '
                f'"{e.graph.name}"'
                for e, a in present
            ]
            self.report(
                default_code,
                f'{what.capitalize()} "{coordinate}" has incompatible default values across '
                "subgraphs: it has default value " + " but ".join(shown),
                [e.graph.name for e, _ in present],
                coordinate,
            )
        default = None
        if all(a.default is not None for _, a in present):
            first_default = present[0][1].default
            default = print_ast(first_default) if first_default is not None else None
        return Argument(
            name=present[0][1].name,
            type=type_string(merged_type),
            default=default,
            description=first_of(a.description for _, a in present),
            deprecation=first_of(a.deprecation for _, a in present),
            inaccessible=any(a.inaccessible for _, a in present),
            tags=ordered_union([a.tags for _, a in present]),
        )


def key_paths(type_def: TypeDef) -> set[str]:
    """Leaf paths common to every key of a type (what any representation of it carries)."""
    common: set[str] | None = None
    for key in type_def.keys:
        if key.selection is None:
            continue
        paths = leaf_paths(key.selection)
        common = paths if common is None else common & paths
    return common or set()


def and_list(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def first_of(values: Iterable[_T | None]) -> _T | None:
    for value in values:
        if value is not None:
            return value
    return None


def ordered_union(lists: Iterable[Iterable[str]]) -> list[str]:
    seen: dict[str, None] = {}
    for items in lists:
        for item in items:
            seen.setdefault(item, None)
    return list(seen)
