"""Differential tests: the same operations through our router and Hive Gateway, same answers.

Both gateways run the same supergraph over the same stand-in subgraphs, served over real HTTP on
loopback. See ``harness.py`` for what is compared and how responses are normalised.
"""

from __future__ import annotations

import httpx
import pytest

from tests.router.differential.harness import Operation, assert_equivalent, run_both

FAN_OUT = """
query FanOut($first: Int!) {
  users(first: $first) {
    id name email
    accounts {
      id name balance currency
      transactions { id amount currency kind complianceLogs { id outcome reviewer } }
    }
  }
}
"""

OPERATIONS = [
    Operation("single subgraph", "{ users(first: 3) { id name email } }"),
    Operation("nested entity fan-out", FAN_OUT, variables={"first": 6}),
    Operation(
        "entity jump from a nullable root",
        '{ account(id: "acc_00003") { id name transactions { id complianceLogs { outcome } } } }',
    ),
    Operation(
        "parallel roots over several subgraphs",
        '{ complianceStatus users(first: 1) { name } transaction(id: "txn_000004") { amount } }',
    ),
    Operation(
        "aliases, fragments, typename",
        """
        query { first: users(first: 2) { ...U } again: user(id: "usr_0002") { __typename ...U } }
        fragment U on User { uid: id name ... on User { accounts { __typename id } } }
        """,
    ),
    Operation(
        "skip and include with variables",
        """
        query ($withAccounts: Boolean!, $skipEmail: Boolean!) {
          users(first: 2) {
            id email @skip(if: $skipEmail) accounts @include(if: $withAccounts) { id }
          }
        }
        """,
        variables={"withAccounts": True, "skipEmail": True},
    ),
    Operation(
        "operation name picks one of several",
        "query A { complianceStatus } query B { users(first: 1) { id } }",
        operation_name="B",
    ),
    Operation("nullable field errors keep the rest", "{ users(first: 6) { id riskNote } }"),
    Operation(
        "non-null entity field error nulls the nullable parent",
        '{ transaction(id: "txn_000011") { id amount auditCode } ok: transaction(id: "txn_000012") '
        "{ id auditCode } }",
    ),
    Operation("non-null root field error nulls data", "{ complianceStatus broken }"),
    Operation(
        "unknown entity id gives null", '{ user(id: "usr_9999") { id name accounts { id } } }'
    ),
    Operation("mutation", 'mutation { echo(message: "hello") }'),
    Operation(
        "introspection of a type", '{ __type(name: "Transaction") { name kind fields { name } } }'
    ),
    Operation("validation error", "{ users { id nope } }"),
    Operation(
        "missing required variable",
        "query ($id: ID!) { user(id: $id) { id } }",
        compare_messages=False,
    ),
    Operation(
        "variable of the wrong type",
        "query ($n: Int!) { users(first: $n) { id } }",
        variables={"n": "x"},
        compare_messages=False,
    ),
]


@pytest.mark.parametrize("operation", OPERATIONS, ids=[o.name for o in OPERATIONS])
async def test_same_response_as_hive_gateway(
    operation: Operation, ours: httpx.AsyncClient, reference: httpx.AsyncClient
) -> None:
    mine, theirs = await run_both(operation, ours, reference)
    assert theirs.status in (200, 400)  # the reference itself answered, not a crash
    assert_equivalent(mine, theirs)
