"""The composition pipeline: read each subgraph, merge, check, print, self-check."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from graphql import GraphQLError, build_ast_schema, parse

from ._inaccessible import check_inaccessible
from ._merge import merge_subgraphs
from ._model import ComposedSupergraph
from ._print import print_supergraph
from ._satisfiability import check_satisfiability
from ._subgraph import read_subgraph
from ._subgraph_model import Subgraph
from .errors import CompositionError, CompositionIssue

_SUBGRAPH_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


@dataclass(frozen=True)
class SubgraphSource:
    """A subgraph to compose: its name (the ``join__Graph`` name), routing URL and SDL."""

    name: str
    url: str
    sdl: str


@dataclass(frozen=True)
class Composition:
    """A successful composition: the supergraph SDL and the model it was printed from."""

    supergraph_sdl: str
    model: ComposedSupergraph


def compose_supergraph(subgraphs: Iterable[SubgraphSource]) -> Composition:
    """Compose subgraphs into a supergraph; raise CompositionError listing every problem."""
    sources = list(subgraphs)
    issues: list[CompositionIssue] = []
    _check_sources(sources, issues)
    read: list[Subgraph] = []
    for source in sources:
        subgraph = read_subgraph(source.name, source.url, source.sdl, issues)
        if subgraph is not None:
            read.append(subgraph)
    if issues:
        # Merging broken subgraphs would only repeat the same problems in other words.
        raise CompositionError(issues)
    model = merge_subgraphs(read, issues)
    if not issues:

        def report(code: str, message: str, coordinate: str) -> None:
            declaring = _declaring_subgraphs(model, coordinate)
            where = ", ".join(f'"{name}"' for name in declaring)
            plural = "s" if len(declaring) > 1 else ""
            suffix = f" (declared in subgraph{plural} {where})" if declaring else ""
            if message.endswith("."):
                message, suffix = message[:-1], suffix + "."
            issues.append(CompositionIssue(code, message + suffix, declaring, coordinate))

        check_inaccessible(model, report)
    if not issues:
        check_satisfiability(model, issues)
    if issues:
        raise CompositionError(issues)
    sdl = print_supergraph(model)
    try:
        build_ast_schema(parse(sdl))
    except (GraphQLError, TypeError) as exc:  # a bug here, not in the subgraphs: say so plainly
        raise CompositionError(
            [
                CompositionIssue(
                    "INTERNAL_ERROR",
                    f"the composed supergraph is not a valid GraphQL schema ({exc}); "
                    "this is a composer bug, please report it with the subgraph SDLs",
                )
            ]
        ) from exc
    return Composition(sdl, model)


def compose(subgraphs: Iterable[SubgraphSource]) -> str:
    """Compose Federation 2 subgraph SDLs into a supergraph SDL (join v0.3-v0.5 format).

    Raises ``CompositionError`` whose ``issues`` name each problem with an Apollo-style code.
    """
    return compose_supergraph(subgraphs).supergraph_sdl


def _declaring_subgraphs(model: ComposedSupergraph, coordinate: str) -> tuple[str, ...]:
    """Names of the subgraphs that declare ``Type``, ``Type.member`` or ``Type.field(arg:)``."""
    type_name, _, rest = coordinate.partition(".")
    member = rest.split("(", 1)[0]
    names: list[str] = []
    for graph in model.graphs:
        type_def = graph.subgraph.types.get(type_name)
        if type_def is None:
            continue
        if member and not (
            member in type_def.fields
            or member in type_def.input_fields
            or member in type_def.values
        ):
            continue
        names.append(graph.name)
    return tuple(names)


def _check_sources(sources: list[SubgraphSource], issues: list[CompositionIssue]) -> None:
    if not sources:
        issues.append(CompositionIssue("NO_SUBGRAPHS", "No subgraphs to compose."))
    seen: set[str] = set()
    for source in sources:
        if not _SUBGRAPH_NAME.match(source.name):
            issues.append(
                CompositionIssue(
                    "INVALID_SUBGRAPH_NAME",
                    f'Subgraph name "{source.name}" is not usable: use letters, digits, "_" '
                    'and "-", starting with a letter or digit.',
                    (source.name,),
                )
            )
        if source.name in seen:
            issues.append(
                CompositionIssue(
                    "INVALID_SUBGRAPH_NAME",
                    f'Subgraph name "{source.name}" is used by more than one subgraph.',
                    (source.name,),
                )
            )
        seen.add(source.name)
        if not source.url:
            issues.append(
                CompositionIssue(
                    "INVALID_SUBGRAPH_URL",
                    f'Subgraph "{source.name}" has no routing URL: the router would not know '
                    "where to send its requests.",
                    (source.name,),
                )
            )
