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

from ._merge_base import Entry, first_of, ordered_union
from ._merge_leaf import LeafTypes
from ._merge_rules import RuleChecks
from ._model import ComposedSupergraph, Graph, JoinField, JoinType, SupergraphField, SupergraphType
from ._subgraph_model import Field, Subgraph, type_string
from ._types import is_output_subtype, merge_output_types
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


class _Merger(RuleChecks, LeafTypes):
    """Merges every type of the subgraphs into the supergraph model."""

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

    def _check_kind(self, name: str, entries: list[Entry]) -> str | None:
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

    def _merge_object(self, name: str, entries: list[Entry]) -> SupergraphType:
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
        field_names = ordered_union(list(e.type_def.fields) for e in entries)
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

    def _keep_join_type(self, entry: Entry) -> bool:
        type_def = entry.type_def
        if type_def.keys or type_def.has_definition or type_def.extension:
            return True
        return any(not f.external or f.provided or f.required for f in type_def.fields.values())

    def _join_types_of(self, entry: Entry) -> list[JoinType]:
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

    def _merged_output_type(self, coordinate: str, declared: Sequence[tuple[Entry, Field]]) -> str:
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

    def _merge_object_field(
        self,
        type_name: str,
        declared: list[tuple[Entry, Field]],
        entries: list[Entry],
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
            deprecation=first_of(f.deprecation for _, f in declared),
            inaccessible=any(f.inaccessible for _, f in declared),
            tags=ordered_union([f.tags for _, f in declared]),
            join_fields=join_fields,
        )

    @staticmethod
    def _object_field_description(
        declared: Sequence[tuple[Entry, Field]], entries: Sequence[Entry]
    ) -> str | None:
        description = first_of(f.description for _, f in declared)
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
        declared: list[tuple[Entry, Field]],
        entries: list[Entry],
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

        def external_on_join(entry: Entry, field_def: Field) -> bool:
            if not field_def.external:
                return False
            if field_def.provided:
                return True
            return not (field_def.used_as_key and entry.type_def.extension)

        def used_overridden(entry: Entry, field_def: Field) -> bool:
            if override_of_field != entry.graph.name:
                return False
            return (field_def.used_as_key and not field_def.external) or (
                entry.graph.enum in interface_graphs
            )

        def join_field(entry: Entry, field_def: Field, *, in_override: bool) -> JoinField:
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
            chosen: list[tuple[Entry, Field]] = []
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

    # -- interfaces ------------------------------------------------------------------------------

    def _merge_interface(self, name: str, entries: list[Entry]) -> SupergraphType:
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
        for field_name in ordered_union([list(e.type_def.fields) for e in entries]):
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
                    description=first_of(f.description for _, f in declared),
                    deprecation=first_of(f.deprecation for _, f in declared),
                    inaccessible=any(f.inaccessible for _, f in declared),
                    tags=ordered_union([f.tags for _, f in declared]),
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
