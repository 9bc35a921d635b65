"""``wealthtech plan``: the router's own plan for an operation, printed from a supergraph file."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from router.planning import explain
from router.supergraph import Supergraph
from wealthtech_cli.__main__ import main

SUPERGRAPH = Path(__file__).resolve().parents[2] / "schema" / "supergraph.graphql"
CROSS_SUBGRAPH = """
query Portfolio($id: ID!) {
  user(id: $id) {
    firstName
    investmentAccounts { edges { node { name cashBalance { amount currency } } } }
  }
}
"""


def test_plan_prints_the_fetches_across_subgraphs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", CROSS_SUBGRAPH, "--supergraph", str(SUPERGRAPH)]) == 0
    out = capsys.readouterr().out
    # users first, then investments for the accounts, then transactions for their balances,
    # each entity fetch nested under the path it fills.
    users = out.index('Fetch(service: "users")')
    investments = out.index('Fetch(service: "investments")')
    transactions = out.index('Fetch(service: "transactions")')
    assert users < investments < transactions
    assert 'Flatten(path: "user")' in out
    assert 'Flatten(path: "user.investmentAccounts.edges.@.node")' in out
    assert out.startswith("QueryPlan {")
    # It is exactly the router planner's plan.
    supergraph = Supergraph.from_sdl(SUPERGRAPH.read_text(encoding="utf-8"))
    assert out == explain(supergraph, CROSS_SUBGRAPH) + "\n"


def test_plan_reads_the_operation_from_a_file_or_stdin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    operation = tmp_path / "op.graphql"
    operation.write_text(CROSS_SUBGRAPH, encoding="utf-8")
    assert main(["plan", f"@{operation}", "--supergraph", str(SUPERGRAPH)]) == 0
    from_file = capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO(CROSS_SUBGRAPH))
    assert main(["plan", "-", "--supergraph", str(SUPERGRAPH)]) == 0
    assert capsys.readouterr().out == from_file


@pytest.mark.parametrize(
    ("operation", "message"),
    [
        ("{ user(id: 1) { nope } }", "Cannot query field 'nope'"),
        ("{ user(id: ", "Syntax Error"),
        (
            "query A { users { pageInfo { hasNextPage } } } query B { user(id: 1) { id } }",
            "operation name",
        ),
    ],
)
def test_plan_refuses_an_invalid_operation(
    operation: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["plan", operation, "--supergraph", str(SUPERGRAPH)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert message in captured.err


def test_plan_names_a_missing_supergraph(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(
            [
                "plan",
                "{ users { pageInfo { hasNextPage } } }",
                "--supergraph",
                str(tmp_path / "none.graphql"),
            ]
        )
        == 2
    )
    assert "none.graphql" in capsys.readouterr().err
