"""Merging unions, enums, input objects, scalars and executable directive definitions."""

from __future__ import annotations

from graphql import print_ast

from ._merge_base import Entry, MergeBase, first_of, ordered_union
from ._model import JoinField, JoinType, SupergraphEnumValue, SupergraphType
from ._subgraph_model import EXECUTABLE_LOCATIONS, type_string


class LeafTypes(MergeBase):
    """Merges of the types that have no fields to resolve."""

    def _merge_union(self, name: str, entries: list[Entry]) -> SupergraphType:
        result = SupergraphType(name, "union")
        self._merge_type_common(result, entries)
        for entry in entries:
            result.join_types.append(JoinType(entry.graph.enum))
            for member in entry.type_def.members:
                if member not in result.members:
                    result.members.append(member)
                result.union_members.append((entry.graph.enum, member))
        return result

    def _merge_enum(self, name: str, entries: list[Entry]) -> SupergraphType:
        result = SupergraphType(name, "enum")
        self._merge_type_common(result, entries)
        result.join_types = [JoinType(entry.graph.enum) for entry in entries]
        inputs, outputs = self.enum_usage.get(name, ([], []))
        all_names = ordered_union([list(e.type_def.values) for e in entries])
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
                    description=first_of(v.description for v in declared),
                    deprecation=first_of(v.deprecation for v in declared),
                    inaccessible=any(v.inaccessible for v in declared),
                    tags=ordered_union([v.tags for v in declared]),
                    graphs=[e.graph.enum for e in defined_in[value_name]],
                )
            )
        return result

    def _merge_input(self, name: str, entries: list[Entry]) -> SupergraphType:
        result = SupergraphType(name, "input")
        self._merge_type_common(result, entries)
        result.one_of = any(entry.type_def.one_of for entry in entries)
        result.join_types = [JoinType(entry.graph.enum) for entry in entries]
        for field_name in ordered_union([list(e.type_def.input_fields) for e in entries]):
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

    def _merge_scalar(self, name: str, entries: list[Entry]) -> SupergraphType:
        result = SupergraphType(name, "scalar")
        self._merge_type_common(result, entries)
        result.join_types = [JoinType(entry.graph.enum) for entry in entries]
        result.specified_by = first_of(e.type_def.specified_by for e in entries)
        return result

    def executable_directives(self) -> list[str]:
        """Print @oneOf (when used) and the executable directives every subgraph defines alike."""
        if not self.graphs:
            return []
        printed: list[str] = []
        if any(entry.type_def.one_of for entries in self.by_name.values() for entry in entries):
            printed.append("directive @oneOf on INPUT_OBJECT")
        first = self.graphs[0].subgraph.executable_directives
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
