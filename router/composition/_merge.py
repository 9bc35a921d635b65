"""Merge normalised subgraphs into one supergraph model, checking the federation rules.

The ``join__*`` metadata follows the shape that Apollo's composition and
``@theguild/federation-composition`` produce: a ``@join__field`` is written only where the
planner needs it (the field is not in every subgraph of its type, or it differs between them by
type, ``@external``, ``@requires``, ``@provides`` or ``@override``), so that the same loader reads
their supergraphs and ours.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from graphql import print_ast
from graphql.language import TypeNode

from ._fieldset import compact_field_set, leaf_paths
from ._model import (
    Argument,
    ComposedSupergraph,
    Graph,
    JoinField,
    JoinType,
    SupergraphEnumValue,
    SupergraphField,
    SupergraphType,
)
from ._subgraph_model import (
    EXECUTABLE_LOCATIONS,
    Field,
    InputValue,
    Subgraph,
    TypeDef,
    named_type,
    type_string,
)
from ._types import is_output_subtype, merge_input_types, merge_output_types
from .errors import CompositionIssue

KIND_LABELS = {
    "object": "Object Type",
    "interface": "Interface Type",
    "union": "Union Type",
    "enum": "Enum Type",
    "input": "Input Object Type",
    "scalar": "Scalar Type",
}
OUTPUT_ORDER = ("scalar", "object", "interface", "union", "enum", "input")
_T = TypeVar("_T")
ROOTS = (("query", "Query"), ("mutation", "Mutation"), ("subscription", "Subscription"))


def graph_enum_names(names: Sequence[str]) -> dict[str, str]:
    """``join__Graph`` value for each subgraph name: CONSTANT_CASE, made unique."""
    proposed: dict[str, str] = {}
    for name in names:
        words = re.sub(r"[^A-Za-z0-9]", "_", name)
        words = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", words)
        words = re.sub(r"([A-Z])([A-Z][a-z])", r"\1_\2", words)
        value = "_".join(part for part in words.split("_") if part).upper() or "GRAPH"
        if value[0].isdigit():
            value = f"_{value}_"
        proposed[name] = value
    counts: dict[str, int] = {}
    for value in proposed.values():
        counts[value] = counts.get(value, 0) + 1
    seen: dict[str, int] = {}
    result: dict[str, str] = {}
    for name, value in proposed.items():
        if counts[value] > 1:
            seen[value] = seen.get(value, 0) + 1
            result[name] = f"{value}_{seen[value]}"
        else:
            result[name] = value
    return result


def join_spec_version(subgraphs: Iterable[Subgraph]) -> str:
    """Pick the join spec version that carries what the subgraphs' federation versions use."""
    highest = max((subgraph.version for subgraph in subgraphs), default=(2, 0))
    if highest >= (2, 8):
        return "v0.5"
    if highest >= (2, 7):
        return "v0.4"
    return "v0.3"


@dataclass
class _Entry:
    """One subgraph's declaration of a type."""

    graph: Graph
    type_def: TypeDef


class _Merger:
    def __init__(self, graphs: list[Graph], issues: list[CompositionIssue]) -> None:
        self.graphs = graphs
        self.issues = issues
        self.by_name: dict[str, list[_Entry]] = {}
        self.kinds: dict[str, str] = {}
        for graph in graphs:
            for type_def in graph.subgraph.types.values():
                self.by_name.setdefault(type_def.name, []).append(_Entry(graph, type_def))
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
                        compact = compact_field_set(field_def.requires, _key_paths(type_def))
                        field_def.requires = compact or None
                    if field_def.provides is not None:
                        target = types.get(named_type(field_def.type))
                        if target is None or target.kind == "union":
                            continue
                        drop = _key_paths(target) if target.extension else set()
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

    # -- whole supergraph ----------------------------------------------------------------------

    def merge(self) -> list[SupergraphType]:
        merged: dict[str, SupergraphType] = {}
        for name, entries in self.by_name.items():
            kind = self._check_kind(name, entries)
            if kind is None:
                continue
            if kind == "object":
                merged[name] = self._merge_object(name, entries)
            elif kind == "interface":
                merged[name] = self._merge_interface(name, entries)
            elif kind == "union":
                merged[name] = self._merge_union(name, entries)
            elif kind == "enum":
                merged[name] = self._merge_enum(name, entries)
            elif kind == "input":
                merged[name] = self._merge_input(name, entries)
            else:
                merged[name] = self._merge_scalar(name, entries)
        self._add_interface_object_fields(merged)
        self._check_interface_implementations(merged)
        self._check_interface_keys(merged)
        return [t for kind in OUTPUT_ORDER for t in merged.values() if t.kind == kind]

    def _check_kind(self, name: str, entries: list[_Entry]) -> str | None:
        kinds: dict[str, list[str]] = {}
        for entry in entries:
            kinds.setdefault(entry.type_def.kind, []).append(entry.graph.name)
        if len(kinds) == 1:
            return entries[0].type_def.kind
        described = " but ".join(
            f"{KIND_LABELS[kind]} in subgraph{'s' if len(names) > 1 else ''} "
            + ", ".join(f'"{n}"' for n in names)
            for kind, names in kinds.items()
        )
        self.report(
            "TYPE_KIND_MISMATCH",
            f'Type "{name}" has mismatched kind: it is defined as {described}',
            [entry.graph.name for entry in entries],
            name,
        )
        return None

    # -- object types --------------------------------------------------------------------------

    def _merge_object(self, name: str, entries: list[_Entry]) -> SupergraphType:
        is_query = name == "Query"
        result = SupergraphType(name, "object")
        self._merge_type_common(result, entries)
        if is_query:
            result.join_types = [JoinType(graph.enum) for graph in self.graphs]
        else:
            for entry in entries:
                if not self._keep_join_type(entry):
                    continue
                result.join_types.extend(self._join_types_of(entry))
        for entry in entries:
            for interface in entry.type_def.interfaces:
                if interface not in result.interfaces:
                    result.interfaces.append(interface)
                result.implements.append((entry.graph.enum, interface))
        field_names = _ordered_union(list(e.type_def.fields) for e in entries)
        for field_name in field_names:
            declared = [
                (e, e.type_def.fields[field_name])
                for e in entries
                if field_name in e.type_def.fields
            ]
            merged_field = self._merge_object_field(name, declared, entries, result, is_query)
            if merged_field is not None:
                result.fields.append(merged_field)
        return result

    def _keep_join_type(self, entry: _Entry) -> bool:
        type_def = entry.type_def
        if type_def.keys or type_def.has_definition or type_def.extension:
            return True
        return any(not f.external or f.provided or f.required for f in type_def.fields.values())

    def _join_types_of(self, entry: _Entry) -> list[JoinType]:
        type_def = entry.type_def
        if not type_def.keys:
            return [JoinType(entry.graph.enum)]
        return [
            JoinType(
                entry.graph.enum,
                key=key.fields,
                extension=type_def.extension,
                resolvable=key.resolvable,
                is_interface_object=type_def.interface_object,
            )
            for key in type_def.keys
        ]

    def _merge_type_common(self, result: SupergraphType, entries: list[_Entry]) -> None:
        for entry in entries:
            if result.description is None and entry.type_def.description is not None:
                result.description = entry.type_def.description
            result.inaccessible = result.inaccessible or entry.type_def.inaccessible
            for tag in entry.type_def.tags:
                if tag not in result.tags:
                    result.tags.append(tag)

    def _merged_output_type(self, coordinate: str, declared: Sequence[tuple[_Entry, Field]]) -> str:
        resolving = [(e, f) for e, f in declared if not f.external] or list(declared)
        merged = merge_output_types([f.type for _, f in resolving], self.named_subtype)
        if merged is None:
            self._type_mismatch("FIELD_TYPE_MISMATCH", "field", coordinate, declared)
            return type_string(resolving[0][1].type)
        # An @external declaration must promise no less than the subgraphs that resolve it:
        # the router relies on it when it sends that value to the declaring subgraph.
        resolvers = [e.graph.name for e, f in resolving if not f.external]
        for entry, field_def in declared:
            if field_def.external and not (
                type_string(field_def.type) == type_string(merged)
                or is_output_subtype(field_def.type, merged, self.named_subtype)
            ):
                where = ", ".join(f'"{n}"' for n in resolvers)
                self.report(
                    "EXTERNAL_TYPE_MISMATCH",
                    f'Type of field "{coordinate}" is incompatible across subgraphs (where marked '
                    f'@external): it has type "{type_string(merged)}" in subgraph'
                    f"{'s' if len(resolvers) > 1 else ''} {where} but type "
                    f'"{type_string(field_def.type)}" in subgraph "{entry.graph.name}"',
                    [*resolvers, entry.graph.name],
                    coordinate,
                )
        return type_string(merged)

    def _type_mismatch(
        self,
        code: str,
        what: str,
        coordinate: str,
        declared: Sequence[tuple[_Entry, Field | InputValue]],
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

    def _merge_object_field(
        self,
        type_name: str,
        declared: list[tuple[_Entry, Field]],
        entries: list[_Entry],
        result: SupergraphType,
        is_query: bool,
    ) -> SupergraphField | None:
        field_name = declared[0][1].name
        coordinate = f"{type_name}.{field_name}"
        merged_type = self._merged_output_type(coordinate, declared)
        self._check_external_on_base(coordinate, declared)
        self._check_external_arguments(coordinate, declared)
        self._check_override(coordinate, declared)
        self._check_sharing(coordinate, declared)
        interface_graphs = self._interface_field_graphs(result.interfaces, field_name)
        join_fields = self._object_join_fields(
            declared, entries, result, merged_type, is_query, interface_graphs
        )
        return SupergraphField(
            name=field_name,
            type=merged_type,
            args=self._merge_arguments(coordinate, declared),
            description=self._object_field_description(declared, entries),
            deprecation=_first(f.deprecation for _, f in declared),
            inaccessible=any(f.inaccessible for _, f in declared),
            tags=_ordered_union([f.tags for _, f in declared]),
            join_fields=join_fields,
        )

    @staticmethod
    def _object_field_description(
        declared: Sequence[tuple[_Entry, Field]], entries: Sequence[_Entry]
    ) -> str | None:
        description = _first(f.description for _, f in declared)
        # A field moved by @override carries the description of the subgraph that now owns it
        # (as the reference composers do), even when that subgraph gives none.
        if description is not None and any(e.type_def.is_entity for e in entries):
            for _, field_def in declared:
                if field_def.override is not None and not field_def.shareable:
                    description = field_def.description
        return description

    def _interface_field_graphs(self, interfaces: list[str], field_name: str) -> set[str]:
        graphs: set[str] = set()
        for interface in interfaces:
            for entry in self.by_name.get(interface, []):
                if field_name in entry.type_def.fields:
                    graphs.add(entry.graph.enum)
        return graphs

    def _object_join_fields(
        self,
        declared: list[tuple[_Entry, Field]],
        entries: list[_Entry],
        result: SupergraphType,
        merged_type: str,
        is_query: bool,
        interface_graphs: set[str],
    ) -> list[JoinField]:
        graph_count = len(self.graphs) if is_query else len(entries)
        everywhere = len(declared) == graph_count
        used_as_key = any(f.used_as_key for _, f in declared)
        overriding = [(e, f) for e, f in declared if f.override is not None]
        override_from = {f.override for _, f in overriding}
        override_of_field = overriding[-1][1].override if overriding else None
        labels: dict[str, str] = {}
        for entry, field_def in overriding:
            if field_def.override_label is not None:
                labels[entry.graph.name] = field_def.override_label
                labels[str(field_def.override)] = field_def.override_label
        type_differs = any(type_string(f.type) != merged_type for _, f in declared)
        differs = (
            type_differs
            or any(f.provides is not None for _, f in declared)
            or any(f.requires is not None for _, f in declared)
            or any(
                f.external and (not used_as_key or not e.type_def.extension) for e, f in declared
            )
        )

        def external_on_join(entry: _Entry, field_def: Field) -> bool:
            if not field_def.external:
                return False
            if field_def.provided:
                return True
            return not (field_def.used_as_key and entry.type_def.extension)

        def used_overridden(entry: _Entry, field_def: Field) -> bool:
            if override_of_field != entry.graph.name:
                return False
            return (field_def.used_as_key and not field_def.external) or (
                entry.graph.enum in interface_graphs
            )

        def join_field(entry: _Entry, field_def: Field, *, in_override: bool) -> JoinField:
            is_source = entry.graph.name in override_from
            external = external_on_join(entry, field_def)
            overridden_use = used_overridden(entry, field_def) or (
                in_override and is_source and field_def.required and not external
            )
            return JoinField(
                graph=entry.graph.enum,
                requires=field_def.requires,
                provides=field_def.provides,
                type=type_string(field_def.type) if type_differs else None,
                external=(field_def.external if is_query else external),
                override=field_def.override,
                override_label=labels.get(entry.graph.name),
                used_overridden=False if is_query else overridden_use,
            )

        joins: list[JoinField]
        if overriding and (not is_query or len(self.graphs) > 1):
            chosen: list[tuple[_Entry, Field]] = []
            for entry, field_def in declared:
                is_source = entry.graph.name in override_from
                if is_query:
                    keep = (
                        field_def.override is not None
                        or entry.graph.name in labels
                        or (field_def.shareable and not is_source)
                    )
                else:
                    external = external_on_join(entry, field_def)
                    keep = (
                        (external and field_def.required)
                        or entry.graph.name in labels
                        or used_overridden(entry, field_def)
                        or (is_source and field_def.required and not external)
                        or not is_source
                    )
                if keep:
                    chosen.append((entry, field_def))
            joins = [join_field(e, f, in_override=True) for e, f in chosen]
            if (
                not is_query
                and everywhere
                and len(chosen) == 1
                and len(result.join_types) == 1
                and result.join_types[0].graph == chosen[0][0].graph.enum
            ):
                joins = []
        elif is_query:
            joins = (
                [JoinField(graph=e.graph.enum, provides=f.provides) for e, f in declared]
                if len(self.graphs) > 1 and not everywhere
                else []
            )
        elif everywhere and not differs:
            joins = []
        else:
            joins = []
            for entry, field_def in declared:
                candidate = join_field(entry, field_def, in_override=False)
                has_metadata = bool(
                    candidate.type
                    or candidate.override
                    or candidate.provides
                    or candidate.requires
                    or candidate.used_overridden
                )
                if (
                    candidate.external
                    and entry.type_def.extension
                    and not has_metadata
                    and not (field_def.provided or field_def.required)
                    and entry.graph.enum not in interface_graphs
                ):
                    continue
                joins.append(candidate)
        if len(joins) == 1 and len(result.join_types) == 1 and _is_bare(joins[0]):
            return []
        return joins

    # -- rules on object fields ----------------------------------------------------------------

    def _check_external_on_base(
        self, coordinate: str, declared: Sequence[tuple[_Entry, Field]]
    ) -> None:
        if all(f.external for _, f in declared):
            names = [e.graph.name for e, _ in declared]
            listed = ", ".join(f'"{n}"' for n in names)
            self.report(
                "EXTERNAL_MISSING_ON_BASE",
                f'Field "{coordinate}" is marked @external on all the subgraphs in which it is '
                f"listed (subgraph{'s' if len(names) > 1 else ''} {listed}): no subgraph "
                "resolves it, so every @key/@requires/@provides that relies on it cannot be met.",
                names,
                coordinate,
            )

    def _check_external_arguments(
        self, coordinate: str, declared: Sequence[tuple[_Entry, Field]]
    ) -> None:
        resolved = [(e, f) for e, f in declared if not f.external]
        for entry, field_def in declared:
            if not field_def.external:
                continue
            for arg_name in _ordered_union([list(f.args) for _, f in resolved]):
                if arg_name in field_def.args:
                    continue
                having = [e.graph.name for e, f in resolved if arg_name in f.args]
                argument = f"{coordinate}({arg_name}:)"
                self.report(
                    "EXTERNAL_ARGUMENT_MISSING",
                    f'Field "{coordinate}" is missing argument "{argument}" in some subgraphs '
                    f'where it is marked @external: argument "{argument}" is declared in '
                    f"subgraph{'s' if len(having) > 1 else ''} "
                    + ", ".join(f'"{n}"' for n in having)
                    + f' but not in subgraph "{entry.graph.name}" (where "{coordinate}" is '
                    "@external)",
                    [*having, entry.graph.name],
                    coordinate,
                )

    def _check_override(self, coordinate: str, declared: Sequence[tuple[_Entry, Field]]) -> None:
        by_graph = {e.graph.name: f for e, f in declared}
        overriding = [(e, f) for e, f in declared if f.override is not None]
        if len(overriding) > 1:
            names = [e.graph.name for e, _ in overriding]
            self.report(
                "OVERRIDE_SOURCE_HAS_OVERRIDE",
                f'Field "{coordinate}" on subgraph "{names[0]}" is also marked with directive '
                f"@override in subgraph{'s' if len(names) > 2 else ''} "
                + ", ".join(f'"{n}"' for n in names[1:])
                + ". Only one @override directive is allowed per field.",
                names,
                coordinate,
            )
            return
        for entry, field_def in overriding:
            source = by_graph.get(str(field_def.override))
            if source is not None and source.override is not None:
                self.report(
                    "OVERRIDE_SOURCE_HAS_OVERRIDE",
                    f'Field "{coordinate}" on subgraph "{entry.graph.name}" is also marked with '
                    f'directive @override in subgraph "{field_def.override}". Only one @override '
                    "directive is allowed per field.",
                    [entry.graph.name, str(field_def.override)],
                    coordinate,
                )

    def _check_sharing(self, coordinate: str, declared: Sequence[tuple[_Entry, Field]]) -> None:
        overridden = {f.override for _, f in declared if f.override is not None}
        resolving = [
            (e, f) for e, f in declared if not f.external and e.graph.name not in overridden
        ]
        if len(resolving) < 2:
            return
        non_shareable = [e.graph.name for e, f in resolving if not (f.shareable or f.used_as_key)]
        if not non_shareable:
            return
        names = [e.graph.name for e, _ in resolving]
        if len(non_shareable) == len(names):
            where = "in all of them"
        else:
            where = (
                "in subgraph"
                + ("s " if len(non_shareable) > 1 else " ")
                + ", ".join(f'"{n}"' for n in non_shareable)
            )
        listed = " and ".join(f'"{n}"' for n in names)
        self.report(
            "INVALID_FIELD_SHARING",
            f'Non-shareable field "{coordinate}" is resolved from multiple subgraphs: it is '
            f"resolved from subgraphs {listed} and defined as non-shareable {where}",
            names,
            coordinate,
        )

    # -- arguments -----------------------------------------------------------------------------

    def _merge_arguments(
        self, coordinate: str, declared: Sequence[tuple[_Entry, Field]]
    ) -> list[Argument]:
        names = _ordered_union([list(f.args) for _, f in declared])
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
        present: Sequence[tuple[_Entry, InputValue]],
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
            description=_first(a.description for _, a in present),
            deprecation=_first(a.deprecation for _, a in present),
            inaccessible=any(a.inaccessible for _, a in present),
            tags=_ordered_union([a.tags for _, a in present]),
        )

    # -- interfaces ------------------------------------------------------------------------------

    def _merge_interface(self, name: str, entries: list[_Entry]) -> SupergraphType:
        result = SupergraphType(name, "interface")
        self._merge_type_common(result, entries)
        for entry in entries:
            result.join_types.extend(self._join_types_of(entry))
            for interface in entry.type_def.interfaces:
                if interface not in result.interfaces:
                    result.interfaces.append(interface)
                result.implements.append((entry.graph.enum, interface))
        if all(entry.type_def.interface_object for entry in entries):
            names = [entry.graph.name for entry in entries]
            self.report(
                "INTERFACE_OBJECT_USAGE_ERROR",
                f'Type "{name}" is declared with @interfaceObject in all the subgraphs in which '
                "it is defined (subgraphs " + ", ".join(f'"{n}"' for n in names) + "), but an "
                "@interfaceObject needs one subgraph that defines it as an interface with its "
                "implementations.",
                names,
                name,
            )
        for field_name in _ordered_union([list(e.type_def.fields) for e in entries]):
            coordinate = f"{name}.{field_name}"
            declared = [
                (e, e.type_def.fields[field_name])
                for e in entries
                if field_name in e.type_def.fields
            ]
            merged_type = self._merged_output_type(coordinate, declared)
            joins: list[JoinField] = []
            if len(declared) != len(entries):
                joins = [
                    JoinField(
                        graph=e.graph.enum,
                        type=type_string(f.type) if type_string(f.type) != merged_type else None,
                        override=f.override,
                        provides=f.provides,
                        requires=f.requires,
                        external=f.external,
                    )
                    for e, f in declared
                ]
            # Interface objects resolve the interface's fields: the sharing rules apply to them.
            self._check_sharing(
                coordinate, [(e, f) for e, f in declared if e.type_def.interface_object]
            )
            result.fields.append(
                SupergraphField(
                    name=field_name,
                    type=merged_type,
                    args=self._merge_arguments(coordinate, declared),
                    description=_first(f.description for _, f in declared),
                    deprecation=_first(f.deprecation for _, f in declared),
                    inaccessible=any(f.inaccessible for _, f in declared),
                    tags=_ordered_union([f.tags for _, f in declared]),
                    join_fields=joins,
                )
            )
        return result

    def _add_interface_object_fields(self, merged: dict[str, SupergraphType]) -> None:
        """Give implementations the fields that @interfaceObject subgraphs add to an interface."""
        for interface_name, entries in self.by_name.items():
            if not any(entry.type_def.interface_object for entry in entries):
                continue
            interface = merged.get(interface_name)
            if interface is None or interface.kind != "interface":
                continue
            for implementation in merged.values():
                if (
                    implementation.kind != "object"
                    or interface_name not in implementation.interfaces
                ):
                    continue
                present = {f.name for f in implementation.fields}
                for interface_field in interface.fields:
                    if interface_field.name in present:
                        continue
                    implementation.fields.append(
                        SupergraphField(
                            name=interface_field.name,
                            type=interface_field.type,
                            args=list(interface_field.args),
                            description=interface_field.description,
                            deprecation=interface_field.deprecation,
                            inaccessible=interface_field.inaccessible,
                            tags=list(interface_field.tags),
                            join_fields=[JoinField()],
                        )
                    )

    def _check_interface_implementations(self, merged: dict[str, SupergraphType]) -> None:
        for implementation in merged.values():
            if implementation.kind not in ("object", "interface"):
                continue
            present = {f.name for f in implementation.fields}
            for interface_name in implementation.interfaces:
                interface = merged.get(interface_name)
                if interface is None:
                    continue
                for interface_field in interface.fields:
                    if interface_field.name in present:
                        continue
                    declared_in = [
                        e.graph.name
                        for e in self.by_name.get(interface_name, [])
                        if interface_field.name in e.type_def.fields
                    ]
                    implements_in = [
                        e.graph.name
                        for e in self.by_name.get(implementation.name, [])
                        if interface_name in e.type_def.interfaces
                    ]
                    self.report(
                        "INTERFACE_FIELD_NO_IMPLEM",
                        f'Interface field "{interface_name}.{interface_field.name}" is declared in '
                        "subgraph " + ", ".join(f'"{n}"' for n in declared_in) + f" but type "
                        f'"{implementation.name}", which implements "{interface_name}" only in '
                        "subgraph "
                        + ", ".join(f'"{n}"' for n in implements_in)
                        + f', does not have field "{interface_field.name}".',
                        declared_in + implements_in,
                        f"{implementation.name}.{interface_field.name}",
                    )

    def _check_interface_keys(self, merged: dict[str, SupergraphType]) -> None:
        """Check that a subgraph with a resolvable interface @key knows every implementation.

        It answers ``_entities`` for the interface and must return the concrete type, so it has
        to define all the types that implement the interface anywhere in the supergraph.
        """
        for interface in merged.values():
            if interface.kind != "interface":
                continue
            implementations = sorted(
                t.name
                for t in merged.values()
                if t.kind == "object" and interface.name in t.interfaces
            )
            for entry in self.by_name.get(interface.name, []):
                type_def = entry.type_def
                if type_def.interface_object or not any(k.resolvable for k in type_def.keys):
                    continue
                local = {
                    t.name
                    for t in entry.graph.subgraph.types.values()
                    if t.kind == "object" and interface.name in t.interfaces
                }
                missing = [name for name in implementations if name not in local]
                if not missing:
                    continue
                graph = entry.graph.name
                plural = len(missing) > 1
                listed = _and_list([f'"{name}"' for name in missing])
                self.report(
                    "INTERFACE_KEY_MISSING_IMPLEMENTATION_TYPE",
                    f'[{graph}] Interface type "{interface.name}" has a resolvable key '
                    f'(@key(fields: "{type_def.keys[0].fields}")) in subgraph "{graph}" but that '
                    f"subgraph is missing some of the supergraph implementation types of "
                    f'"{interface.name}". Subgraph "{graph}" should define '
                    f"{'types' if plural else 'type'} {listed} (and have "
                    f'{"them" if plural else "it"} implement "{interface.name}").',
                    [graph],
                    interface.name,
                )

    # -- unions, enums, inputs, scalars ----------------------------------------------------------

    def _merge_union(self, name: str, entries: list[_Entry]) -> SupergraphType:
        result = SupergraphType(name, "union")
        self._merge_type_common(result, entries)
        for entry in entries:
            result.join_types.append(JoinType(entry.graph.enum))
            for member in entry.type_def.members:
                if member not in result.members:
                    result.members.append(member)
                result.union_members.append((entry.graph.enum, member))
        return result

    def _merge_enum(self, name: str, entries: list[_Entry]) -> SupergraphType:
        result = SupergraphType(name, "enum")
        self._merge_type_common(result, entries)
        result.join_types = [JoinType(entry.graph.enum) for entry in entries]
        inputs, outputs = self.enum_usage.get(name, ([], []))
        all_names = _ordered_union([list(e.type_def.values) for e in entries])
        defined_in = {
            value: [e for e in entries if value in e.type_def.values] for value in all_names
        }
        everywhere = [v for v in all_names if len(defined_in[v]) == len(entries)]
        if inputs and not outputs:
            kept = everywhere
            if not kept:
                self.report(
                    "EMPTY_MERGED_ENUM_TYPE",
                    f'None of the values of enum type "{name}" are defined consistently in all '
                    "the subgraphs defining that type. As only values common to all subgraphs "
                    "are merged (the enum is only used as an input), this would result in an "
                    "empty type.",
                    [e.graph.name for e in entries],
                    name,
                )
        else:
            kept = all_names
            if inputs and outputs:
                for value in all_names:
                    if len(defined_in[value]) == len(entries):
                        continue
                    if any(e.type_def.values[value].inaccessible for e in defined_in[value]):
                        continue
                    have = [e.graph.name for e in defined_in[value]]
                    lack = [e.graph.name for e in entries if e not in defined_in[value]]
                    self.report(
                        "ENUM_VALUE_MISMATCH",
                        f'Enum type "{name}" is used as both input type (for example, as type of '
                        f'"{inputs[0]}") and output type (for example, as type of '
                        f'"{outputs[0]}"), but value "{value}" is not defined in all the '
                        f'subgraphs defining "{name}": "{value}" is defined in subgraph'
                        f"{'s' if len(have) > 1 else ''} "
                        + ", ".join(f'"{n}"' for n in have)
                        + f" but not in subgraph{'s' if len(lack) > 1 else ''} "
                        + ", ".join(f'"{n}"' for n in lack),
                        have + lack,
                        f"{name}.{value}",
                    )
        for value_name in kept:
            declared = [e.type_def.values[value_name] for e in defined_in[value_name]]
            result.values.append(
                SupergraphEnumValue(
                    name=value_name,
                    description=_first(v.description for v in declared),
                    deprecation=_first(v.deprecation for v in declared),
                    inaccessible=any(v.inaccessible for v in declared),
                    tags=_ordered_union([v.tags for v in declared]),
                    graphs=[e.graph.enum for e in defined_in[value_name]],
                )
            )
        return result

    def _merge_input(self, name: str, entries: list[_Entry]) -> SupergraphType:
        result = SupergraphType(name, "input")
        self._merge_type_common(result, entries)
        result.join_types = [JoinType(entry.graph.enum) for entry in entries]
        for field_name in _ordered_union([list(e.type_def.input_fields) for e in entries]):
            coordinate = f"{name}.{field_name}"
            present = [
                (e, e.type_def.input_fields[field_name])
                for e in entries
                if field_name in e.type_def.input_fields
            ]
            if len(present) != len(entries):
                required_in = [
                    e.graph.name
                    for e, f in present
                    if print_ast(f.type).endswith("!") and f.default is None
                ]
                if required_in:
                    lacking = [
                        e.graph.name for e in entries if field_name not in e.type_def.input_fields
                    ]
                    self.report(
                        "REQUIRED_INPUT_FIELD_MISSING_IN_SOME_SUBGRAPH",
                        f'Input object field "{coordinate}" is required in some subgraphs but '
                        "does not appear in all subgraphs: it is required in subgraph "
                        + ", ".join(f'"{n}"' for n in required_in)
                        + " but does not appear in subgraph "
                        + ", ".join(f'"{n}"' for n in lacking),
                        required_in + lacking,
                        coordinate,
                    )
                continue
            value = self._merge_input_value(
                "FIELD_TYPE_MISMATCH",
                "INPUT_FIELD_DEFAULT_MISMATCH",
                "input field",
                coordinate,
                present,
            )
            if value is None:
                continue
            if any(type_string(f.type) != value.type for _, f in present):
                value.join_fields = [
                    JoinField(graph=e.graph.enum, type=type_string(f.type)) for e, f in present
                ]
            result.input_fields.append(value)
        if not result.input_fields and any(e.type_def.input_fields for e in entries):
            self.report(
                "EMPTY_MERGED_INPUT_TYPE",
                f'None of the fields of input object type "{name}" are consistently defined in '
                "all the subgraphs defining that type. As only fields common to all subgraphs "
                "are merged, this would result in an empty type.",
                [e.graph.name for e in entries],
                name,
            )
        return result

    def _merge_scalar(self, name: str, entries: list[_Entry]) -> SupergraphType:
        result = SupergraphType(name, "scalar")
        self._merge_type_common(result, entries)
        result.join_types = [JoinType(entry.graph.enum) for entry in entries]
        result.specified_by = _first(e.type_def.specified_by for e in entries)
        return result

    # -- directives ------------------------------------------------------------------------------

    def executable_directives(self) -> list[str]:
        """Print the executable directives every subgraph defines alike (shared locations)."""
        if not self.graphs:
            return []
        first = self.graphs[0].subgraph.executable_directives
        printed: list[str] = []
        for name, definition in first.items():
            others = [g.subgraph.executable_directives.get(name) for g in self.graphs[1:]]
            if any(other is None for other in others):
                continue
            arguments = [print_ast(arg) for arg in definition.arguments or ()]
            if any(
                [print_ast(arg) for arg in (other.arguments or ())] != arguments
                for other in others
                if other is not None
            ):
                continue
            locations = [
                loc.value for loc in definition.locations if loc.value in EXECUTABLE_LOCATIONS
            ]
            for other in others:
                if other is not None:
                    kept = {loc.value for loc in other.locations}
                    locations = [loc for loc in locations if loc in kept]
            if not locations:
                continue
            args = f"({', '.join(arguments)})" if arguments else ""
            repeatable = " repeatable" if definition.repeatable else ""
            printed.append(f"directive @{name}{args}{repeatable} on {' | '.join(locations)}")
        return printed


def _key_paths(type_def: TypeDef) -> set[str]:
    """Leaf paths common to every key of a type (what any representation of it carries)."""
    common: set[str] | None = None
    for key in type_def.keys:
        if key.selection is None:
            continue
        paths = leaf_paths(key.selection)
        common = paths if common is None else common & paths
    return common or set()


def _and_list(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _is_bare(join: JoinField) -> bool:
    return not (
        join.external
        or join.override
        or join.override_label
        or join.provides
        or join.requires
        or join.used_overridden
        or join.type
    )


def _first(values: Iterable[_T | None]) -> _T | None:
    for value in values:
        if value is not None:
            return value
    return None


def _ordered_union(lists: Iterable[Iterable[str]]) -> list[str]:
    seen: dict[str, None] = {}
    for items in lists:
        for item in items:
            seen.setdefault(item, None)
    return list(seen)


def merge_subgraphs(
    subgraphs: Sequence[Subgraph], issues: list[CompositionIssue]
) -> ComposedSupergraph:
    """Merge already-read subgraphs; problems are appended to ``issues``."""
    enums = graph_enum_names([s.name for s in subgraphs])
    graphs = sorted(
        (Graph(s.name, s.url, enums[s.name], s) for s in subgraphs), key=lambda g: g.enum
    )
    merger = _Merger(graphs, issues)
    types = merger.merge()
    present = {t.name for t in types}
    query = next((t for t in types if t.name == "Query"), None)
    if query is None or not query.fields:
        merger.report(
            "NO_QUERIES",
            "No queries found in any subgraph: a supergraph must have a query root type with "
            "at least one field.",
        )
    return ComposedSupergraph(
        graphs=graphs,
        join_version=join_spec_version(subgraphs),
        types=types,
        directive_definitions=merger.executable_directives(),
        root_types=[(operation, name) for operation, name in ROOTS if name in present],
        uses_tag=any(s.uses_tag for s in subgraphs),
        uses_inaccessible=any(s.uses_inaccessible for s in subgraphs),
    )
