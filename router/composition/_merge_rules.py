"""Merge rules on fields and interfaces: sharing, @external, @override, implementations."""

from __future__ import annotations

from collections.abc import Sequence

from ._merge_base import Entry, MergeBase, and_list, ordered_union
from ._model import SupergraphType
from ._subgraph_model import Field


class RuleChecks(MergeBase):
    """Checks that report problems without building anything."""

    def _check_external_on_base(
        self, coordinate: str, declared: Sequence[tuple[Entry, Field]]
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
        self, coordinate: str, declared: Sequence[tuple[Entry, Field]]
    ) -> None:
        resolved = [(e, f) for e, f in declared if not f.external]
        for entry, field_def in declared:
            if not field_def.external:
                continue
            for arg_name in ordered_union([list(f.args) for _, f in resolved]):
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

    def _check_override(self, coordinate: str, declared: Sequence[tuple[Entry, Field]]) -> None:
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

    def _check_sharing(self, coordinate: str, declared: Sequence[tuple[Entry, Field]]) -> None:
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
                listed = and_list([f'"{name}"' for name in missing])
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
