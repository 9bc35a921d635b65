"""Rules that keep the API schema valid once ``@inaccessible`` elements are removed from it.

The client-facing schema is the supergraph without its ``@inaccessible`` elements. That must still
be a valid GraphQL schema: no visible field may return or take a hidden type, a visible type must
keep at least one visible field or value, a hidden argument or input field cannot be required, and
an object cannot hide a field that a visible interface promises.
"""

from __future__ import annotations

from collections.abc import Callable

from ._model import ComposedSupergraph, SupergraphType

Report = Callable[[str, str, str], None]  # (code, message, coordinate)


def _named(type_string: str) -> str:
    return type_string.replace("[", "").replace("]", "").replace("!", "")


def _required(type_string: str, default: str | None) -> bool:
    return type_string.endswith("!") and default is None


def check_inaccessible(supergraph: ComposedSupergraph, report: Report) -> None:
    """Report each element that would leave the API schema invalid."""
    types = {t.name: t for t in supergraph.types}

    def hidden(name: str) -> bool:
        found = types.get(name)
        return found is not None and found.inaccessible

    for type_def in supergraph.types:
        _check_children(type_def, report)
        for field in type_def.fields:
            coordinate = f"{type_def.name}.{field.name}"
            visible = not (type_def.inaccessible or field.inaccessible)
            if visible and hidden(_named(field.type)):
                report(
                    "REFERENCED_INACCESSIBLE",
                    f'Type "{_named(field.type)}" is @inaccessible but is referenced by '
                    f'"{coordinate}", which is in the API schema.',
                    coordinate,
                )
            for argument in field.args:
                argument_coordinate = f"{coordinate}({argument.name}:)"
                if visible and not argument.inaccessible and hidden(_named(argument.type)):
                    report(
                        "REFERENCED_INACCESSIBLE",
                        f'Type "{_named(argument.type)}" is @inaccessible but is referenced by '
                        f'"{argument_coordinate}", which is in the API schema.',
                        argument_coordinate,
                    )
                if (
                    not field.inaccessible
                    and argument.inaccessible
                    and _required(argument.type, argument.default)
                ):
                    report(
                        "REQUIRED_INACCESSIBLE",
                        f'Argument "{argument_coordinate}" is @inaccessible but is a required '
                        "argument of its field.",
                        argument_coordinate,
                    )
        for input_field in type_def.input_fields:
            coordinate = f"{type_def.name}.{input_field.name}"
            if not type_def.inaccessible and input_field.inaccessible:
                if _required(input_field.type, input_field.default):
                    report(
                        "REQUIRED_INACCESSIBLE",
                        f'Input field "{coordinate}" is @inaccessible but is a required input '
                        "field of its type.",
                        coordinate,
                    )
            elif not type_def.inaccessible and hidden(_named(input_field.type)):
                report(
                    "REFERENCED_INACCESSIBLE",
                    f'Type "{_named(input_field.type)}" is @inaccessible but is referenced by '
                    f'"{coordinate}", which is in the API schema.',
                    coordinate,
                )
        if type_def.kind == "object" and not type_def.inaccessible:
            _check_implemented(type_def, types, report)


def _check_children(type_def: SupergraphType, report: Report) -> None:
    if type_def.inaccessible:
        return
    children: list[bool]
    if type_def.kind == "enum":
        children, what = [v.inaccessible for v in type_def.values], "values"
    elif type_def.kind in ("object", "interface"):
        children, what = [f.inaccessible for f in type_def.fields], "fields"
    elif type_def.kind == "input":
        children, what = [f.inaccessible for f in type_def.input_fields], "fields"
    else:
        return
    if children and all(children):
        report(
            "ONLY_INACCESSIBLE_CHILDREN",
            f'Type "{type_def.name}" is in the API schema but all of its {what} are @inaccessible.',
            type_def.name,
        )


def _check_implemented(
    type_def: SupergraphType, types: dict[str, SupergraphType], report: Report
) -> None:
    for field in type_def.fields:
        if not field.inaccessible:
            continue
        for interface_name in type_def.interfaces:
            interface = types.get(interface_name)
            if interface is None or interface.inaccessible:
                continue
            promised = next((f for f in interface.fields if f.name == field.name), None)
            if promised is not None and not promised.inaccessible:
                report(
                    "IMPLEMENTED_BY_INACCESSIBLE",
                    f'Field "{type_def.name}.{field.name}" is @inaccessible but implements the '
                    f'interface field "{interface_name}.{field.name}", which is in the API '
                    "schema.",
                    f"{type_def.name}.{field.name}",
                )
