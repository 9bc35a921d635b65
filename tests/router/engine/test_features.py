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
USERS = [{"id": "1", "locale": "en", "score": 10, "name": "Ann"}]


def transport() -> InProcessTransport:
    def user(rep: dict[str, Any]) -> dict[str, Any] | None:
        return next((u for u in USERS if u["id"] == rep["id"]), None)

    return InProcessTransport(
        {
            "accounts": TestSubgraph(
                "accounts",
                read_sdl("features", "accounts"),
                resolvers={"Query": {"users": lambda _r, _i, first: USERS[:first]}},
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
    assert "users(first: Int = 10): [User!]!" in api


async def test_progressive_override_with_labels_off_keeps_the_original_subgraph() -> None:
    t = transport()
    outcome = await Gateway(SUPERGRAPH, t).execute("{ users { name score } }")
    assert outcome.response == {"data": {"users": [{"name": "Ann", "score": 10}]}}
    assert [name for name, _ in t.requests] == ["accounts"]
