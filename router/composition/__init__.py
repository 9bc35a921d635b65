"""Compose Federation 2 subgraph SDLs into a standard supergraph SDL.

Public API::

    compose(subgraphs: Iterable[SubgraphSource]) -> str          the supergraph SDL
    compose_supergraph(subgraphs) -> Composition                 SDL and the composed model
    CompositionError(issues: list[CompositionIssue])             raised when they do not compose
    load_subgraphs_from_dir(path, urls=...) -> list[SubgraphSource]
    fetch_subgraph(name, url) / fetch_subgraphs(...)             `_service { sdl }` over HTTP

The output is the ``@link``/``join__*`` format (join v0.3 to v0.5) that Apollo's composition and
``@theguild/federation-composition`` write, so any Federation 2 gateway reads it.
``python -m router.composition`` is the command (see ``__main__``).

Pipeline (``_compose``), one module per stage:

- ``_subgraph`` reads one SDL (``@link`` names, plumbing removed) into ``_subgraph_model``;
  ``_validity`` checks it is valid GraphQL, ``_subgraph_checks`` its federation directives
  (field sets parsed by ``_fieldset``);
- ``_merge`` (with ``_merge_base``, ``_merge_rules``, ``_merge_leaf``, ``_types``) merges the
  subgraphs into the ``_model`` with its ``join__*`` metadata and checks the merge rules;
- ``_inaccessible`` keeps the API schema valid, ``_satisfiability`` checks reachability;
- ``_print`` writes the SDL.
"""

from ._compose import Composition, SubgraphSource, compose, compose_supergraph
from .errors import CompositionError, CompositionIssue, SubgraphFetchError
from .sources import fetch_subgraph, fetch_subgraphs, load_subgraphs_from_dir

__all__ = [
    "Composition",
    "CompositionError",
    "CompositionIssue",
    "SubgraphFetchError",
    "SubgraphSource",
    "compose",
    "compose_supergraph",
    "fetch_subgraph",
    "fetch_subgraphs",
    "load_subgraphs_from_dir",
]
