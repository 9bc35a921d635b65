"""Federation conformance over the "shop" scenario: real subgraphs, real plans, real answers."""

from __future__ import annotations

from typing import Any

import pytest

from router.gateway import ExecutionOutcome, Gateway
from router.planning import Parallel, Sequence
from tests.router.engine.shop import shop_transport
from tests.router.engine.subgraph_kit import InProcessTransport, load_supergraph

SUPERGRAPH = load_supergraph("shop")


@pytest.fixture
def transport() -> InProcessTransport:
    return shop_transport()


@pytest.fixture
def gateway(transport: InProcessTransport) -> Gateway:
    return Gateway(SUPERGRAPH, transport)


async def run(gateway: Gateway, query: str, **kwargs: Any) -> ExecutionOutcome:
    return await gateway.execute(query, **kwargs)


async def test_root_fields_of_several_subgraphs_run_in_parallel(
    gateway: Gateway, transport: InProcessTransport
) -> None:
    query = "{ me { username } topProducts(first: 2) { name } }"
    plan = gateway.plan(query)
    assert isinstance(plan.node, Parallel)
    outcome = await run(gateway, query)
    assert outcome.phase == "execute"
    assert outcome.response == {
        "data": {
            "me": {"username": "ada"},
            "topProducts": [{"name": "Table"}, {"name": "Couch"}],
        }
    }
    assert sorted(name for name, _ in transport.requests) == ["products", "users"]


async def test_entity_jumps_several_hops_deep(gateway: Gateway) -> None:
    outcome = await run(
        gateway,
        "{ me { reviews { product { name reviews { author { name } } } } } }",
    )
    assert outcome.response == {
        "data": {
            "me": {
                "reviews": [
                    {
                        "product": {
                            "name": "Table",
                            "reviews": [
                                {"author": {"name": "Ada Lovelace"}},
                                {"author": {"name": "Bob Moore"}},
                            ],
                        }
                    }
                ]
            }
        }
    }


async def test_entities_fetched_once_per_plan_node_with_deduplicated_representations(
    gateway: Gateway, transport: InProcessTransport
) -> None:
    query = "{ users { reviews { product { name } } } topProducts(first: 3) { inStock } }"
    outcome = await run(gateway, query)
    assert "errors" not in outcome.response
    products = [
        [r["product"]["name"] for r in user["reviews"]]
        for user in outcome.response["data"]["users"]
    ]
    assert products == [["Table"], ["Table"], ["Couch", "Lamp"]]
    assert transport.count("products", entities_only=True) == 1
    assert transport.count("reviews", entities_only=True) == 1
    entity_payload = next(
        p for name, p in transport.requests if name == "products" and "_entities" in p["query"]
    )
    # p1 is reviewed twice but sent once
    assert sorted(r["upc"] for r in entity_payload["variables"]["representations"]) == [
        "p1",
        "p2",
        "p4",
    ]


async def test_provided_fields_are_not_fetched_from_their_owner(
    gateway: Gateway, transport: InProcessTransport
) -> None:
    outcome = await run(gateway, "{ latestReviews { author { username } } }")
    usernames = [r["author"]["username"] for r in outcome.response["data"]["latestReviews"]]
    assert usernames == ["cy", "ghost", "cy", "bob", "ada"]
    assert [name for name, _ in transport.requests] == ["reviews"]


async def test_requires_sends_required_fields_in_representations(
    gateway: Gateway, transport: InProcessTransport
) -> None:
    query = """{ topProducts(first: 3) { upc inStock
                 slow: shippingEstimate fast: shippingEstimate(expedited: true) } }"""
    outcome = await run(gateway, query)
    assert outcome.response == {
        "data": {
            "topProducts": [
                {"upc": "p1", "inStock": True, "slow": 50, "fast": 60},
                {"upc": "p2", "inStock": False, "slow": 0, "fast": 10},
                {"upc": "p3", "inStock": True, "slow": 25, "fast": 35},
            ]
        }
    }
    payload = next(p for name, p in transport.requests if name == "inventory")
    assert payload["variables"]["representations"][0] == {
        "__typename": "Product",
        "upc": "p1",
        "price": 899,
        "weight": 100,
    }


async def test_inaccessible_field_is_not_in_the_api(gateway: Gateway) -> None:
    outcome = await run(gateway, "{ me { riskScore } }")
    assert outcome.phase == "validate"
    (error,) = outcome.response["errors"]
    assert "riskScore" in error["message"]
    assert error["locations"] == [{"line": 1, "column": 8}]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "data" not in outcome.response


async def test_subgraph_error_on_nullable_field_is_repathed(gateway: Gateway) -> None:
    outcome = await run(gateway, "{ topProducts(first: 2) { reviews { author { name } } } }")
    assert outcome.response["data"]["topProducts"][1] == {"reviews": [{"author": {"name": None}}]}
    (error,) = outcome.response["errors"]
    assert error["message"] == "name is sealed"
    assert error["path"] == ["topProducts", 1, "reviews", 0, "author", "name"]


async def test_error_on_non_null_field_nulls_nearest_nullable_parent(gateway: Gateway) -> None:
    outcome = await run(gateway, '{ product(upc: "p4") { name reviews { body } } me { username } }')
    assert outcome.response["data"] == {"product": None, "me": {"username": "ada"}}
    (error,) = outcome.response["errors"]
    assert error["message"] == "review r5 body is unavailable"
    assert error["path"] == ["product", "reviews", 0, "body"]


async def test_entity_not_found_gives_null_and_non_null_violation(gateway: Gateway) -> None:
    outcome = await run(gateway, '{ product(upc: "p4") { name inStock } }')
    assert outcome.response["data"] == {"product": None}
    (error,) = outcome.response["errors"]
    assert error == {
        "message": "Cannot return null for non-nullable field Product.inStock.",
        "path": ["product", "inStock"],
    }
    # a nullable field of an unknown entity is just null
    outcome = await run(gateway, '{ product(upc: "p3") { reviews { author { username name } } } }')
    assert outcome.response == {
        "data": {"product": {"reviews": [{"author": {"username": "ghost", "name": None}}]}}
    }


async def test_unreachable_subgraph_gives_partial_data_and_errors(
    gateway: Gateway, transport: InProcessTransport
) -> None:
    transport.down.add("reviews")
    outcome = await run(
        gateway, "{ me { username reviews { body } } topProducts(first: 1) { name } }"
    )
    assert outcome.phase == "execute"
    assert outcome.response["data"] == {"me": None, "topProducts": [{"name": "Table"}]}
    codes = [e.get("extensions", {}).get("code") for e in outcome.response["errors"]]
    assert "SUBREQUEST_HTTP_ERROR" in codes

    transport.down = {"users"}
    outcome = await run(gateway, "{ me { username } topProducts(first: 1) { name } }")
    assert outcome.response["data"] == {"me": None, "topProducts": [{"name": "Table"}]}
    assert outcome.response["errors"][0]["extensions"]["service"] == "users"


async def test_mutation_root_fields_run_in_order(
    gateway: Gateway, transport: InProcessTransport
) -> None:
    query = """mutation {
      first: renameUser(id: "u1", name: "First") { name }
      review: addReview(upc: "p2", body: "Sturdy") { body author { name } product { name } }
      second: renameUser(id: "u1", name: "Second") { name }
    }"""
    plan = gateway.plan(query)
    assert isinstance(plan.node, Sequence)
    outcome = await run(gateway, query)
    assert outcome.response == {
        "data": {
            "first": {"name": "First"},
            "review": {"body": "Sturdy", "author": {"name": "First"}, "product": {"name": "Couch"}},
            "second": {"name": "Second"},
        }
    }
    roots = [name for name, p in transport.requests if "_entities" not in p["query"]]
    assert roots == ["users", "reviews", "users"]


async def test_fragments_aliases_variables_and_conditions(gateway: Gateway) -> None:
    query = """
      query Shop($first: Int, $withReviews: Boolean!, $skipName: Boolean = false) {
        items: topProducts(first: $first) {
          ...ProductBits
          ... on Product @include(if: $withReviews) { reviews { who: author { username } } }
        }
      }
      fragment ProductBits on Product { id: upc title: name @skip(if: $skipName) inStock }
    """
    outcome = await run(gateway, query, variables={"first": 1, "withReviews": True})
    assert outcome.response == {
        "data": {
            "items": [
                {
                    "id": "p1",
                    "title": "Table",
                    "inStock": True,
                    "reviews": [{"who": {"username": "ada"}}, {"who": {"username": "bob"}}],
                }
            ]
        }
    }
    outcome = await run(
        gateway, query, variables={"first": 1, "withReviews": False, "skipName": True}
    )
    assert outcome.response == {"data": {"items": [{"id": "p1", "inStock": True}]}}


async def test_typename_at_root_and_on_entities(gateway: Gateway) -> None:
    outcome = await run(gateway, "{ __typename me { __typename kind: __typename username } }")
    assert outcome.response == {
        "data": {
            "__typename": "Query",
            "me": {"__typename": "User", "kind": "User", "username": "ada"},
        }
    }


async def test_introspection_is_answered_from_the_api_schema(
    gateway: Gateway, transport: InProcessTransport
) -> None:
    outcome = await run(
        gateway, '{ __schema { queryType { name } } __type(name: "User") { fields { name } } }'
    )
    data = outcome.response["data"]
    assert data["__schema"] == {"queryType": {"name": "Query"}}
    assert sorted(f["name"] for f in data["__type"]["fields"]) == [
        "id",
        "name",
        "reviews",
        "username",
    ]
    assert transport.requests == []


async def test_parse_and_variable_errors_stop_before_execution(
    gateway: Gateway, transport: InProcessTransport
) -> None:
    outcome = await run(gateway, "{ me { ")
    assert outcome.phase == "parse"
    assert outcome.response["errors"][0]["locations"] == [{"line": 1, "column": 8}]
    outcome = await run(gateway, "query ($id: ID!) { user(id: $id) { name } }")
    assert outcome.phase == "validate"
    assert "$id" in outcome.response["errors"][0]["message"]
    outcome = await run(gateway, "{ me { name } }", operation_name="Nope")
    assert outcome.phase == "validate"
    outcome = await run(
        gateway,
        'mutation { renameUser(id: "u1", name: "x") { name } }',
        allowed_operation_kinds=frozenset({"query"}),
    )
    assert outcome.phase == "validate"
    assert transport.requests == []


def test_plans_are_cached(gateway: Gateway) -> None:
    query = "{ me { name } }"
    assert gateway.plan(query) is gateway.plan(query)
    assert gateway.plan(query) is not gateway.plan("{ me { username } }")


async def test_client_alias_named_like_a_key_field_does_not_break_the_jump(
    gateway: Gateway,
) -> None:
    outcome = await run(gateway, "{ me { id: username name: id reviews { body } } }")
    assert outcome.response == {
        "data": {"me": {"id": "ada", "name": "u1", "reviews": [{"body": "Love it"}]}}
    }


async def test_variables_reach_entity_fetches_with_their_defaults(
    gateway: Gateway, transport: InProcessTransport
) -> None:
    query = """query Ship($fast: Boolean = true, $first: Int) {
      topProducts(first: $first) { shippingEstimate(expedited: $fast) } }"""
    outcome = await run(gateway, query, variables={"first": 1})
    assert outcome.response == {"data": {"topProducts": [{"shippingEstimate": 60}]}}
    inventory = next(p for name, p in transport.requests if name == "inventory")
    assert "$fast: Boolean = true" in inventory["query"]
    assert "first" not in inventory["variables"]


async def test_root_field_error_keeps_its_path_and_conditions_apply_to_root_fields(
    gateway: Gateway, transport: InProcessTransport
) -> None:
    query = """query ($withMe: Boolean!) {
      user(id: "u3") { username name } me @include(if: $withMe) { username } }"""
    outcome = await run(gateway, query, variables={"withMe": False})
    assert outcome.response == {
        "data": {"user": {"username": "cy", "name": None}},
        "errors": [{"message": "name is sealed", "path": ["user", "name"]}],
    }


class _BrokenTransport:
    async def send(self, subgraph: str, payload: dict[str, Any], context: Any) -> dict[str, Any]:
        raise RuntimeError("bug in a transport")


async def test_a_transport_bug_becomes_an_error_not_an_exception() -> None:
    gateway = Gateway(SUPERGRAPH, _BrokenTransport())
    outcome = await run(gateway, "{ me { username } }")
    assert outcome.phase == "execute"
    assert outcome.response["data"] == {"me": None}
    assert outcome.response["errors"][0]["extensions"]["code"] == "SUBREQUEST_HTTP_ERROR"


@pytest.mark.parametrize("size", [1, 2, 3])
async def test_one_entities_request_per_plan_node_whatever_the_list_size(
    gateway: Gateway, transport: InProcessTransport, size: int
) -> None:
    outcome = await run(gateway, f"{{ topProducts(first: {size}) {{ inStock reviews {{ id }} }} }}")
    assert len(outcome.response["data"]["topProducts"]) == size
    for subgraph in ("inventory", "reviews"):
        (payload,) = [p for name, p in transport.requests if name == subgraph]
        assert len(payload["variables"]["representations"]) == size


async def test_several_operations_without_a_name_is_a_validation_error(gateway: Gateway) -> None:
    outcome = await run(gateway, "query A { me { name } } query B { me { username } }")
    assert outcome.phase == "validate"
    assert "operation name" in outcome.response["errors"][0]["message"]
    outcome = await run(
        gateway, "query A { me { name } } query B { me { username } }", operation_name="B"
    )
    assert outcome.response == {"data": {"me": {"username": "ada"}}}


async def test_variables_that_are_not_an_object_are_refused(gateway: Gateway) -> None:
    outcome = await gateway.execute("{ me { name } }", [1, 2])  # type: ignore[arg-type]
    assert outcome.phase == "validate"
    assert outcome.response["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_mutation_fields_after_a_failed_one_still_run(
    gateway: Gateway, transport: InProcessTransport
) -> None:
    transport.down.add("reviews")
    outcome = await run(
        gateway,
        """mutation {
          a: renameUser(id: "u2", name: "Before") { name }
          b: addReview(upc: "p1", body: "lost") { id }
          c: renameUser(id: "u2", name: "After") { name }
        }""",
    )
    # addReview is non-null, so its failure nulls the whole data, but the spec still executes
    # the later root fields: the user was renamed twice.
    assert outcome.response["data"] is None
    assert outcome.response["errors"][0]["extensions"] == {
        "code": "SUBREQUEST_HTTP_ERROR",
        "service": "reviews",
    }
    assert [name for name, _ in transport.requests] == ["users", "reviews", "users"]
    check = await run(gateway, '{ user(id: "u2") { name } }')
    assert check.response == {"data": {"user": {"name": "After"}}}


class _MalformedTransport:
    """Answers every request with data of the wrong shape."""

    async def send(self, subgraph: str, payload: dict[str, Any], context: Any) -> dict[str, Any]:
        return {"data": {"me": "not an object", "topProducts": {"upc": 1}}}


async def test_malformed_subgraph_data_is_nulled_not_passed_through() -> None:
    outcome = await run(
        Gateway(SUPERGRAPH, _MalformedTransport()), "{ me { name } topProducts { upc } }"
    )
    assert outcome.response["data"] is None  # topProducts is [Product!]! and not a list
    # Each malformed value has its error at its own path, in response order (the spec fixes no
    # order): `me` (nullable, a string where a User is expected) as well as `topProducts`, whose
    # null reaches data. Hive Gateway reports only topProducts here, because graphql-js 16 stops
    # collecting errors once a non-null root field failed while `me` was still pending; asked
    # alone, `me` gets its error at ["me"] there too (docs/decisions/0017-robust-execution.md).
    assert [(e["path"], e["extensions"]["code"]) for e in outcome.response["errors"]] == [
        (["me"], "SUBREQUEST_MALFORMED_RESPONSE"),
        (["topProducts"], "SUBREQUEST_MALFORMED_RESPONSE"),
    ]
    assert outcome.response["errors"][1]["message"] == (
        "Invalid value for Query.topProducts: the subgraph returned an object where a list is "
        "expected."
    )


@pytest.mark.parametrize(("variables", "reviews_fetched"), [({}, True), ({"x": False}, False)])
async def test_a_fetch_under_a_false_condition_is_not_sent(
    gateway: Gateway,
    transport: InProcessTransport,
    variables: dict[str, Any],
    reviews_fetched: bool,
) -> None:
    query = "query ($x: Boolean = true) { me { username reviews @include(if: $x) { body } } }"
    assert "include: $x" in str(gateway.plan(query))
    outcome = await run(gateway, query, variables=variables)
    expected_me: dict[str, Any] = {"username": "ada"}
    if reviews_fetched:
        expected_me["reviews"] = [{"body": "Love it"}]
    assert outcome.response == {"data": {"me": expected_me}}
    assert ("reviews" in [name for name, _ in transport.requests]) is reviews_fetched


async def test_too_deep_or_too_long_operations_are_refused(
    transport: InProcessTransport,
) -> None:
    gateway = Gateway(SUPERGRAPH, transport, max_depth=5, max_tokens=200)
    deep = "{ me { reviews { product { reviews { author { name } } } } } }"
    outcome = await run(gateway, deep)
    assert outcome.phase == "validate"
    assert "6 levels deep" in outcome.response["errors"][0]["message"]
    long = "{ " + " ".join(f"a{i}: me {{ name }}" for i in range(60)) + " }"
    assert (await run(gateway, long)).phase == "parse"
    assert transport.requests == []  # refused before any subgraph was asked
    via_fragment = "{ me { ...R } } fragment R on User { reviews { product { reviews { body } } } }"
    assert (await run(gateway, via_fragment)).phase == "execute"  # 5 levels: allowed


async def test_introspection_inside_root_fragments(gateway: Gateway) -> None:
    outcome = await run(
        gateway,
        "query { ... on Query { __schema { queryType { name } } } ...T me { username } }"
        ' fragment T on Query { __type(name: "Review") { name } }',
    )
    assert outcome.response == {
        "data": {
            "__schema": {"queryType": {"name": "Query"}},
            "__type": {"name": "Review"},
            "me": {"username": "ada"},
        }
    }


async def test_variable_coercion_errors_do_not_repeat_the_values_sent(gateway: Gateway) -> None:
    # A value of the wrong type may be a sensitive field's plaintext (a tax id sent where a number
    # was expected): the error names the variable and says why, never echoes the value.
    outcome = await gateway.execute(
        "query ($n: Int, $body: String!)"
        " { topProducts(first: $n) { upc } product(upc: $body) { upc } }",
        {"n": "AB123456C", "body": {"ssn": "AB123456C", "phone": 447700900123}},
    )
    assert outcome.phase == "validate"
    errors = outcome.response["errors"]
    assert [e["extensions"]["code"] for e in errors] == ["BAD_USER_INPUT"] * 2
    messages = " ".join(e["message"] for e in errors)
    assert "AB123456C" not in messages and "447700900123" not in messages, messages
    assert "$n" in messages and "$body" in messages
    assert "Int cannot represent non-integer value: <value>" in messages
