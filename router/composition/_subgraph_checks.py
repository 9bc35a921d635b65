"""Checks on one subgraph's federation directives: field sets and @external usage.

@key/@requires/@provides field sets must select existing fields the right way, and @external
fields must be used. The checks also record which fields each field set uses (key, required,
provided), which composition needs later.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from graphql.language import (
    InlineFragmentNode,
    ListTypeNode,
    NonNullTypeNode,
    SelectionSetNode,
    TypeNode,
)

from ._fieldset import FieldSetSyntaxError, SelectedField, iter_fields, parse_field_set
from ._subgraph_model import (
    BUILT_IN_SCALARS,
    Field,
    Key,
    Subgraph,
    TypeDef,
    named_type,
    type_string,
)


class Reporter(Protocol):
    """Where a subgraph's problems go (prefixed with the subgraph's name)."""

    def report(self, code: str, message: str, coordinate: str | None = None) -> None: ...


def parse_or_report(
    reporter: Reporter, code: str, type_name: str, directive: str, fields: str
) -> SelectionSetNode | None:
    """Parse a field set, reporting ``code`` (and returning None) when it does not parse."""
    try:
        return parse_field_set(fields)
    except FieldSetSyntaxError as exc:
        reporter.report(
            code,
            f'On type "{type_name}", for @{directive}(fields: "{fields}"): '
            f"the field set is not a valid selection: {exc}",
            type_name,
        )
        return None


class FieldSetChecker:
    """Checks @key, @requires and @provides field sets of one subgraph and marks what they use."""

    def __init__(self, subgraph: Subgraph, report: Reporter) -> None:
        self.subgraph = subgraph
        self.reader = report

    def _child(self, parent: str, field_name: str) -> str | None:
        return self.subgraph.field_type_name(parent, field_name)

    def _walk(
        self, selection: SelectionSetNode, parent: str
    ) -> list[SelectedField | tuple[str, InlineFragmentNode]]:
        return list(iter_fields(selection, parent, self._child))

    def check(self) -> None:
        for type_def in self.subgraph.types.values():
            for key in type_def.keys:
                self._check_key(type_def, key)
            for field_def in type_def.fields.values():
                if type_def.kind == "interface" and not type_def.interface_object:
                    self._check_interface_field(type_def, field_def)
                    continue
                if field_def.requires is not None:
                    self._check_requires(type_def, field_def, field_def.requires)
                if field_def.provides is not None:
                    self._check_provides(type_def, field_def, field_def.provides)
        for type_def in self.subgraph.types.values():
            if type_def.kind == "interface" and not type_def.interface_object:
                continue  # @external there is refused above
            for field_def in type_def.fields.values():
                self._check_external_use(type_def, field_def)

    def _check_interface_field(self, type_def: TypeDef, field_def: Field) -> None:
        """Refuse @requires, @provides and @external on an interface's fields (meaningless)."""
        coordinate = f"{type_def.name}.{field_def.name}"
        for directive, used in (
            ("requires", field_def.requires),
            ("provides", field_def.provides),
        ):
            if used is not None:
                self.reader.report(
                    f"{directive.upper()}_UNSUPPORTED_ON_INTERFACE",
                    f'Cannot use @{directive} on field "{coordinate}" of parent type '
                    f'"{type_def.name}": @{directive} is not yet supported within interfaces',
                    coordinate,
                )
        if field_def.external:
            self.reader.report(
                "EXTERNAL_ON_INTERFACE",
                f'Interface type field "{coordinate}" is marked @external but @external is not '
                "allowed on interface fields.",
                coordinate,
            )

    def _check_no_directives(
        self, selection: SelectionSetNode, code: str, prefix: str, coordinate: str
    ) -> bool:
        """Field sets select fields; a directive in one is an error (and is reported)."""
        for item in self._walk(selection, ""):
            node = item[1] if isinstance(item, tuple) else item.node
            for directive in node.directives or ():
                self.reader.report(
                    code, prefix + f'Unknown directive "@{directive.name.value}"', coordinate
                )
                return False
        return True

    def _prefix(self, type_name: str, directive: str, fields: str) -> str:
        return f'On type "{type_name}", for @{directive}(fields: "{fields}"): '

    def _check_key(self, type_def: TypeDef, key: Key) -> None:
        if key.selection is None:
            return
        prefix = self._prefix(type_def.name, "key", key.fields)
        if not self._check_no_directives(
            key.selection, "KEY_INVALID_FIELDS", prefix, type_def.name
        ):
            return
        for item in self._walk(key.selection, type_def.name):
            if isinstance(item, tuple):
                self.reader.report(
                    "KEY_INVALID_FIELDS",
                    prefix + "fragments are not allowed in a @key",
                    type_def.name,
                )
                continue
            found = self._field(item)
            if found is None:
                self.reader.report(
                    "KEY_INVALID_FIELDS",
                    prefix
                    + self._missing(item)
                    + " (the field should either be added to this subgraph or, if it should not "
                    "be resolved by this subgraph, you need to add it to this subgraph with "
                    "@external).",
                    type_def.name,
                )
                continue
            # Nested key fields count too: composition treats every key field as shareable.
            found.used_as_key = True
            coordinate = f"{item.parent_type}.{item.node.name.value}"
            if item.node.arguments:
                self.reader.report(
                    "KEY_FIELDS_HAS_ARGS",
                    prefix + f'field "{coordinate}" includes arguments (not allowed in a @key)',
                    coordinate,
                )
            target = self.subgraph.types.get(named_type(found.type))
            if _is_list(found.type) or (
                target is not None and target.kind in ("interface", "union")
            ):
                what = (
                    "List" if _is_list(found.type) else target.kind.capitalize() if target else ""
                )
                self.reader.report(
                    "KEY_FIELDS_SELECT_INVALID_TYPE",
                    prefix + f'field "{coordinate}" is a {what} type which is not allowed in @key',
                    coordinate,
                )
            self._check_leaf_selection(item, found, "KEY_INVALID_FIELDS", prefix)

    def _check_requires(self, type_def: TypeDef, owner: Field, fields: str) -> None:
        coordinate = f"{type_def.name}.{owner.name}"
        selection = parse_or_report(
            self.reader, "REQUIRES_INVALID_FIELDS", type_def.name, "requires", fields
        )
        if selection is None:
            return
        prefix = f'On field "{coordinate}", for @requires(fields: "{fields}"): '
        if not self._check_no_directives(selection, "REQUIRES_INVALID_FIELDS", prefix, coordinate):
            return
        code = "REQUIRES_INVALID_FIELDS"
        for item, found in self._selected_fields(
            selection, type_def.name, code, prefix, coordinate
        ):
            found.required = True
            if (
                len(item.path) == 1
                and not found.external
                and not found.used_as_key
                and item.parent_type == type_def.name
            ):
                self.reader.report(
                    "REQUIRES_FIELDS_MISSING_EXTERNAL",
                    prefix + f'field "{item.parent_type}.{item.node.name.value}" should not be '
                    "part of a @requires since it is already provided by this subgraph (it is "
                    "not marked @external)",
                    coordinate,
                )

    def _check_provides(self, type_def: TypeDef, owner: Field, fields: str) -> None:
        coordinate = f"{type_def.name}.{owner.name}"
        target_name = named_type(owner.type)
        target = self.subgraph.types.get(target_name)
        prefix = f'On field "{coordinate}", for @provides(fields: "{fields}"): '
        if target is None or target.kind not in ("object", "interface", "union"):
            self.reader.report(
                "PROVIDES_ON_NON_OBJECT_FIELD",
                f'Invalid @provides directive on field "{coordinate}": field has type '
                f'"{type_string(owner.type)}" which is not a Composite Type',
                coordinate,
            )
            return
        selection = parse_or_report(
            self.reader, "PROVIDES_INVALID_FIELDS", type_def.name, "provides", fields
        )
        if selection is None:
            return
        if not self._check_no_directives(selection, "PROVIDES_INVALID_FIELDS", prefix, coordinate):
            return
        code = "PROVIDES_INVALID_FIELDS"
        for item, found in self._selected_fields(selection, target_name, code, prefix, coordinate):
            found.provided = True
            parent = self.subgraph.types.get(item.parent_type)
            if not found.external and parent is not None and parent.is_entity:
                self.reader.report(
                    "PROVIDES_FIELDS_MISSING_EXTERNAL",
                    prefix + f'field "{item.parent_type}.{item.node.name.value}" should not be '
                    "part of a @provides since it is already provided by this subgraph (it is "
                    "not marked @external)",
                    coordinate,
                )

    def _check_external_use(self, type_def: TypeDef, field_def: Field) -> None:
        if not field_def.external or field_def.used_as_key or field_def.required:
            return
        if field_def.provided:
            return
        for interface in type_def.interfaces:
            interface_def = self.subgraph.types.get(interface)
            if interface_def is not None and field_def.name in interface_def.fields:
                return
        coordinate = f"{type_def.name}.{field_def.name}"
        self.reader.report(
            "EXTERNAL_UNUSED",
            f'Field "{coordinate}" is marked @external but is not used in any federation '
            "directive (@key, @provides, @requires) or to satisfy an interface; the field "
            "declaration has no use and should be removed (or the field should not be "
            "@external).",
            coordinate,
        )

    def _selected_fields(
        self, selection: SelectionSetNode, root: str, code: str, prefix: str, coordinate: str
    ) -> Iterator[tuple[SelectedField, Field]]:
        """Yield the fields a @requires/@provides selection names, each checked as a leaf or not.

        A field the subgraph does not define is reported (with ``code``) and skipped.
        """
        for item in self._walk(selection, root):
            if isinstance(item, tuple):
                continue
            found = self._field(item)
            if found is None:
                self.reader.report(
                    code,
                    prefix
                    + self._missing(item)
                    + " (if the field is defined in another subgraph, you need to add it to "
                    "this subgraph with @external).",
                    coordinate,
                )
                continue
            self._check_leaf_selection(item, found, code, prefix)
            yield item, found

    def _field(self, item: SelectedField) -> Field | None:
        parent = self.subgraph.types.get(item.parent_type)
        if parent is None:
            return None
        return parent.fields.get(item.node.name.value)

    def _missing(self, item: SelectedField) -> str:
        return f'Cannot query field "{item.node.name.value}" on type "{item.parent_type}"'

    def _check_leaf_selection(
        self, item: SelectedField, found: Field, code: str, prefix: str
    ) -> None:
        target = self.subgraph.types.get(named_type(found.type))
        composite = target is not None and target.kind in ("object", "interface", "union")
        coordinate = f"{item.parent_type}.{item.node.name.value}"
        if composite and item.node.selection_set is None:
            self.reader.report(
                code,
                prefix + f'field "{coordinate}" has composite type '
                f'"{named_type(found.type)}" and needs a selection of subfields',
                coordinate,
            )
        elif not composite and item.node.selection_set is not None:
            self.reader.report(
                code,
                prefix + f'field "{coordinate}" has leaf type "{named_type(found.type)}" '
                "and cannot have a selection of subfields",
                coordinate,
            )


def _is_list(type_node: TypeNode) -> bool:
    if isinstance(type_node, NonNullTypeNode):
        type_node = type_node.type
    return isinstance(type_node, ListTypeNode)


def check_references(subgraph: Subgraph, reader: Reporter) -> None:
    """Every referenced type must be defined in the subgraph (graphql validity, briefly)."""
    known = set(subgraph.types) | BUILT_IN_SCALARS
    for type_def in subgraph.types.values():
        references: list[tuple[str, str]] = []
        for field_def in type_def.fields.values():
            references.append((f"{type_def.name}.{field_def.name}", named_type(field_def.type)))
            references.extend(
                (f"{type_def.name}.{field_def.name}({arg.name}:)", named_type(arg.type))
                for arg in field_def.args.values()
            )
        references.extend(
            (f"{type_def.name}.{value.name}", named_type(value.type))
            for value in type_def.input_fields.values()
        )
        references.extend((type_def.name, member) for member in type_def.members)
        references.extend((type_def.name, interface) for interface in type_def.interfaces)
        for coordinate, referenced in references:
            if referenced not in known:
                reader.report(
                    "INVALID_GRAPHQL", f'Unknown type "{referenced}" (used by "{coordinate}")'
                )
