"""Interoperability with the reference composer, npm ``@theguild/federation-composition``.

Both ways: (a) on the same subgraphs the reference composes a supergraph whose federation
metadata is the same as ours (compared as data, ignoring order and field-set spacing), and the
reference reads our supergraph (the public API schema it derives from ours equals the one it
derives from its own); (b) on broken subgraphs the reference reports the same error codes as ours.
All cases run in two Node processes (see ``reference``), to keep the suite fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from graphql import build_ast_schema, parse, print_schema

from router.composition import CompositionError, compose
from tests.router.composition.graphs import VALID_GRAPHS
from tests.router.composition.invalid_graphs import INVALID_GRAPHS
from tests.router.composition.reference import guild_batch, normalise

pytestmark = pytest.mark.node


@pytest.fixture(scope="module")
def reference(node_tools: Path) -> dict[str, Any]:
    composed = guild_batch(
        node_tools,
        compose={
            **{f"valid:{k}": g for k, g in VALID_GRAPHS.items()},
            **{f"invalid:{k}": c.subgraphs for k, c in INVALID_GRAPHS.items()},
        },
    )["compose"]
    public_inputs: dict[str, str] = {}
    for name, graph in VALID_GRAPHS.items():
        public_inputs[f"ours:{name}"] = compose(graph)
        theirs = composed[f"valid:{name}"].get("supergraphSdl")
        if theirs is not None:
            public_inputs[f"theirs:{name}"] = theirs
    public = guild_batch(node_tools, public=public_inputs)["public"]
    return {"compose": composed, "public": public}


def _printed(public_result: dict[str, Any]) -> str:
    assert "publicSdl" in public_result, public_result.get("errors")
    return print_schema(build_ast_schema(parse(public_result["publicSdl"])))


@pytest.mark.parametrize("name", sorted(VALID_GRAPHS))
def test_reference_composes_the_same_supergraph(reference: dict[str, Any], name: str) -> None:
    theirs = reference["compose"][f"valid:{name}"]
    assert "supergraphSdl" in theirs, theirs.get("errors")
    assert normalise(compose(VALID_GRAPHS[name])) == normalise(theirs["supergraphSdl"])


@pytest.mark.parametrize("name", sorted(VALID_GRAPHS))
def test_our_supergraph_is_printed_exactly_like_the_reference(
    reference: dict[str, Any], name: str
) -> None:
    theirs = reference["compose"][f"valid:{name}"]["supergraphSdl"]
    assert compose(VALID_GRAPHS[name]) == theirs + "\n"  # same text; ours ends with a newline


@pytest.mark.parametrize("name", sorted(VALID_GRAPHS))
def test_reference_reads_our_supergraph(reference: dict[str, Any], name: str) -> None:
    ours = _printed(reference["public"][f"ours:{name}"])
    theirs = _printed(reference["public"][f"theirs:{name}"])
    assert ours == theirs


@pytest.mark.parametrize("name", sorted(INVALID_GRAPHS))
def test_reference_reports_the_same_errors(reference: dict[str, Any], name: str) -> None:
    case = INVALID_GRAPHS[name]
    theirs = reference["compose"][f"invalid:{name}"]
    reference_codes = [error["code"] for error in theirs.get("errors", [])]
    with pytest.raises(CompositionError) as caught:
        compose(case.subgraphs)
    if case.reference:
        assert case.code in reference_codes, theirs.get("errors")
        # Every code we report, the reference reports too (it may add consequences of the same
        # problem, e.g. FIELD_TYPE_MISMATCH next to EXTERNAL_TYPE_MISMATCH).
        assert set(caught.value.codes) <= set(reference_codes), theirs.get("errors")
    else:
        # A known, documented difference (see the case's note): if the reference starts to
        # agree, this fails so that the note gets removed.
        assert case.code not in reference_codes, case.reference_note
