"""A federation 2.9 supergraph with security, cost, tag and custom composed directives, and a
progressive @override: loads, exposes a clean API schema, and executes."""

from __future__ import annotations

from typing import Any

from graphql import print_schema

from router.gateway import Gateway
from router.supergraph import Supergraph
from tests.router.engine.subgraph_kit import (
    FIXTURES,
    InProcessTransport,
    TestSubgraph,
    read_sdl,
)

SUPERGRAPH = Supergraph.from_sdl((FIXTURES / "features" / "supergraph.graphql").read_text())
USERS = [{"id": "1", "locale": "en", "score": 10, "name": "Ann", "tier": "PRO"}]


def transport() -> InProcessTransport:
    def user(rep: dict[str, Any]) -> dict[str, Any] | None:
        return next((u for u in USERS if u["id"] == rep["id"]), None)

    return InProcessTransport(
        {
            "accounts": TestSubgraph(
                "accounts",
                read_sdl("features", "accounts"),
                resolvers={"Query": {"users": lambda _r, _i, first, **_hidden: USERS[:first]}},
                entities={"User": user},
            ),
            "scores": TestSubgraph(
                "scores",
                read_sdl("features", "scores"),
                entities={"User": lambda rep: {"id": rep["id"], "score": 99}},
            ),
        }
    )


def test_api_schema_keeps_composed_directives_and_drops_spec_ones() -> None:
    api = print_schema(SUPERGRAPH.api_schema)
    assert "directive @audit(reason: String) on FIELD_DEFINITION | OBJECT" in api
    for spec_directive in ("@cost", "@listSize", "@tag", "@authenticated", "@policy", "@requires"):
        assert f"directive {spec_directive}" not in api
    assert "secret: String" in api
    assert "users(first: Int = 10): [User!]!" in api  # @inaccessible argument removed
    assert "INTERNAL" not in api  # @inaccessible enum value removed


async def test_inaccessible_argument_and_enum_value_are_rejected_by_validation() -> None:
    gateway = Gateway(SUPERGRAPH, transport())
    outcome = await gateway.execute("{ users(includeHidden: true) { name } }")
    assert outcome.phase == "validate"
    outcome = await gateway.execute(
        '{ __type(name: "Tier") { enumValues { name } } users { tier } }'
    )
    assert outcome.response == {
        "data": {
            "__type": {"enumValues": [{"name": "FREE"}, {"name": "PRO"}]},
            "users": [{"tier": "PRO"}],
        }
    }


async def test_progressive_override_with_labels_off_keeps_the_original_subgraph() -> None:
    t = transport()
    outcome = await Gateway(SUPERGRAPH, t).execute("{ users { name score } }")
    assert outcome.response == {"data": {"users": [{"name": "Ann", "score": 10}]}}
    assert [name for name, _ in t.requests] == ["accounts"]


async def test_deprecation_survives_into_introspection() -> None:
    outcome = await Gateway(SUPERGRAPH, transport()).execute(
        '{ __type(name: "User") { fields(includeDeprecated: true) {'
        " name isDeprecated deprecationReason } } }"
    )
    fields = {f["name"]: f for f in outcome.response["data"]["__type"]["fields"]}
    assert fields["locale"]["isDeprecated"] is True
    assert fields["locale"]["deprecationReason"] == "use language"
    assert fields["name"]["isDeprecated"] is False


async def test_subscriptions_are_refused_as_unsupported() -> None:
    outcome = await Gateway(SUPERGRAPH, transport()).execute("subscription { ticks }")
    assert outcome.phase == "validate"
    assert outcome.response["errors"][0]["extensions"]["code"] == "OPERATION_NOT_SUPPORTED"
