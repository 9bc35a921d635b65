"""GraphQL-over-HTTP semantics of /graphql through the real gateway and stand-in subgraphs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import orjson

from router.auth import SecuritySettings, load_or_create_dev_secret, mint_dev_token
from router.execution import RequestContext
from router.http import create_app
from router.http.app import RouterApp
from router.settings import RouterSettings
from router.subgraph_client import SubgraphClient
from router.supergraph import Supergraph
from tests.router.standins import RunningFleet, free_port

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
USERS_QUERY = "{ users(first: 2) { id name } }"


def media(response: httpx.Response) -> str:
    return response.headers["content-type"].split(";")[0]


async def test_post_query_answers_with_graphql_response_json_when_accepted(
    router: httpx.AsyncClient,
) -> None:
    response = await router.post(
        "/graphql", json={"query": USERS_QUERY}, headers={"accept": GRAPHQL_RESPONSE}
    )
    assert response.status_code == 200
    assert media(response) == GRAPHQL_RESPONSE
    assert response.json() == {
        "data": {
            "users": [
                {"id": "usr_0001", "name": "User 001"},
                {"id": "usr_0002", "name": "User 002"},
            ]
        }
    }


async def test_legacy_client_without_accept_gets_application_json(
    router: httpx.AsyncClient,
) -> None:
    request = router.build_request(
        "POST",
        "/graphql",
        content=orjson.dumps({"query": USERS_QUERY}),
        headers={"content-type": JSON},
    )
    del request.headers["accept"]  # httpx sends */* unless told otherwise
    response = await router.send(request)
    assert response.status_code == 200
    assert media(response) == JSON
    assert len(response.json()["data"]["users"]) == 2


async def test_accept_preference_order_is_respected(router: httpx.AsyncClient) -> None:
    response = await router.post(
        "/graphql",
        json={"query": USERS_QUERY},
        headers={"accept": f"{JSON}, {GRAPHQL_RESPONSE};q=0.5"},
    )
    assert media(response) == JSON


async def test_variables_and_operation_name_select_the_operation(router: httpx.AsyncClient) -> None:
    document = """
        query One($id: ID!) { user(id: $id) { id name } }
        query Two { complianceStatus }
    """
    response = await router.post(
        "/graphql",
        json={"query": document, "variables": {"id": "usr_0007"}, "operationName": "One"},
        headers={"accept": GRAPHQL_RESPONSE},
    )
    assert response.json() == {"data": {"user": {"id": "usr_0007", "name": "User 007"}}}


async def test_validation_error_is_400_with_graphql_response_json(
    router: httpx.AsyncClient,
) -> None:
    response = await router.post(
        "/graphql", json={"query": "{ nope }"}, headers={"accept": GRAPHQL_RESPONSE}
    )
    assert response.status_code == 400
    assert media(response) == GRAPHQL_RESPONSE
    body = response.json()
    assert "data" not in body
    assert "nope" in body["errors"][0]["message"]


async def test_validation_error_is_200_with_legacy_application_json(
    router: httpx.AsyncClient,
) -> None:
    response = await router.post("/graphql", json={"query": "{ nope }"}, headers={"accept": JSON})
    assert response.status_code == 200
    assert media(response) == JSON
    assert response.json()["errors"]


async def test_parse_error_is_400(router: httpx.AsyncClient) -> None:
    response = await router.post(
        "/graphql", json={"query": "{ users { "}, headers={"accept": GRAPHQL_RESPONSE}
    )
    assert response.status_code == 400
    assert "Syntax Error" in response.json()["errors"][0]["message"]


async def test_execution_error_is_200_with_errors_and_data(router: httpx.AsyncClient) -> None:
    response = await router.post(
        "/graphql", json={"query": "{ broken }"}, headers={"accept": GRAPHQL_RESPONSE}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["message"] == "broken on purpose"
    assert body["errors"][0]["path"] == ["broken"]


async def test_wrong_content_type_is_415(router: httpx.AsyncClient) -> None:
    response = await router.post(
        "/graphql",
        content=b"query=%7B%7D",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 415
    assert "application/json" in response.json()["errors"][0]["message"]


async def test_broken_json_body_is_400_with_a_clear_message(router: httpx.AsyncClient) -> None:
    response = await router.post(
        "/graphql",
        content=b'{"query": "{ users { id } }"',
        headers={"content-type": JSON, "accept": GRAPHQL_RESPONSE},
    )
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["message"].startswith("The request body is not valid JSON")
    assert error["extensions"]["code"] == "BAD_REQUEST"


async def test_body_that_is_not_an_object_or_lacks_query_is_400(router: httpx.AsyncClient) -> None:
    for body, fragment in (
        (b"[1, 2]", "JSON object"),
        (b"{}", "'query' parameter is required"),
        (b'{"query": 3}', "must be a string"),
        (
            b'{"query": "{ __typename }", "variables": [1]}',
            "'variables' parameter must be a JSON object",
        ),
    ):
        response = await router.post("/graphql", content=body, headers={"content-type": JSON})
        assert response.status_code == 400, body
        assert fragment in response.json()["errors"][0]["message"], body


async def test_unacceptable_accept_header_is_406(router: httpx.AsyncClient) -> None:
    response = await router.post(
        "/graphql", json={"query": USERS_QUERY}, headers={"accept": "text/csv"}
    )
    assert response.status_code == 406


async def test_get_runs_queries(router: httpx.AsyncClient) -> None:
    response = await router.get(
        "/graphql",
        params={
            "query": "query Q($id: ID!) { user(id: $id) { name } }",
            "variables": '{"id": "usr_0003"}',
        },
        headers={"accept": GRAPHQL_RESPONSE},
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"user": {"name": "User 003"}}}


async def test_get_with_broken_variables_json_is_400(router: httpx.AsyncClient) -> None:
    response = await router.get(
        "/graphql", params={"query": USERS_QUERY, "variables": "{nope"}, headers={"accept": JSON}
    )
    assert response.status_code == 400
    assert "'variables' parameter is not valid JSON" in response.json()["errors"][0]["message"]


async def test_mutation_over_get_is_405_and_over_post_runs(router: httpx.AsyncClient) -> None:
    mutation = 'mutation { echo(message: "hello") }'
    response = await router.get(
        "/graphql", params={"query": mutation}, headers={"accept": GRAPHQL_RESPONSE}
    )
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert "POST" in response.json()["errors"][0]["message"]
    response = await router.post(
        "/graphql", json={"query": mutation}, headers={"accept": GRAPHQL_RESPONSE}
    )
    assert response.json() == {"data": {"echo": "hello"}}


async def test_unreachable_subgraph_gives_partial_data_and_errors(router_factory) -> None:
    dead = f"http://127.0.0.1:{free_port()}/graphql"
    async with router_factory(subgraph_urls={"accounts": dead}) as router:
        response = await router.post(
            "/graphql",
            json={"query": '{ users(first: 1) { name } account(id: "acc_00003") { id name } }'},
            headers={"accept": GRAPHQL_RESPONSE},
        )
    assert response.status_code == 200
    body = response.json()
    assert body["data"] == {"users": [{"name": "User 001"}], "account": None}
    (error,) = body["errors"]
    assert "accounts" in error["message"]
    assert "could not connect" in error["message"]


async def test_plan_header_returns_the_printed_plan(router: httpx.AsyncClient) -> None:
    query = "{ users(first: 1) { name accounts { id transactions { id } } } }"
    plain = await router.post("/graphql", json={"query": query}, headers={"accept": JSON})
    assert "extensions" not in plain.json()
    response = await router.post(
        "/graphql", json={"query": query}, headers={"accept": JSON, "x-debug-plan": "1"}
    )
    body = response.json()
    assert body["data"] == plain.json()["data"]
    plan = body["extensions"]["queryPlan"]
    assert isinstance(plan, str)
    for subgraph in ("users", "accounts", "transactions"):
        assert subgraph in plan


async def test_plan_header_is_ignored_when_disabled(router_factory) -> None:
    async with router_factory(expose_query_plan=False) as router:
        response = await router.post(
            "/graphql", json={"query": USERS_QUERY}, headers={"x-debug-plan": "1"}
        )
    assert "extensions" not in response.json()


async def test_plans_are_off_by_default_in_production_and_can_be_switched_on(
    router_factory,
) -> None:
    # Unset, ROUTER_EXPOSE_QUERY_PLAN follows ROUTER_ENV: on in development (the fixture above),
    # off in production, where an operator may still switch it on explicitly.
    for expose, shown in ((None, False), (True, True), (False, False)):
        async with router_factory(production=True, expose_query_plan=expose) as router:
            response = await router.post(
                "/graphql", json={"query": USERS_QUERY}, headers={"x-debug-plan": "1"}
            )
        body = response.json()
        assert body["data"]["users"], body
        assert ("queryPlan" in body.get("extensions", {})) is shown, expose


class RecordingTransport:
    """Wraps the real subgraph client and records the context of every subgraph request."""

    def __init__(self, inner: SubgraphClient) -> None:
        self.inner = inner
        self.contexts: list[RequestContext] = []

    async def send(
        self, subgraph: str, payload: dict[str, Any], context: RequestContext
    ) -> dict[str, Any]:
        self.contexts.append(context)
        return await self.inner.send(subgraph, payload, context)


async def test_only_selected_headers_travel_to_subgraphs(
    fleet: RunningFleet, tmp_path: Path
) -> None:
    supergraph = Supergraph.from_sdl(fleet.supergraph_sdl())
    inner = SubgraphClient(supergraph.subgraph_urls)
    recording = RecordingTransport(inner)
    security = SecuritySettings(data_dir=tmp_path)
    app = create_app(supergraph, RouterSettings(), transport=recording, security=security)
    token = mint_dev_token(load_or_create_dev_secret(security.keys_dir), roles=["admin"])
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://r.test") as client:
                response = await client.post(
                    "/graphql",
                    json={"query": "{ users(first: 1) { accounts { id } } }"},
                    headers={
                        "authorization": f"Bearer {token}",
                        "cookie": "s=1",
                        "x-request-id": "r-9",
                    },
                )
    finally:
        await inner.aclose()
    assert response.json() == {
        "data": {"users": [{"accounts": [{"id": "acc_00002"}, {"id": "acc_00003"}]}]}
    }
    assert len(recording.contexts) == 2  # users, then one batched _entities call to accounts
    for context in recording.contexts:
        # The caller's own token never travels: the security layer's internal token does.
        assert set(context.headers) == {"x-internal-token", "x-request-id"}
        assert context.headers["x-request-id"] == "r-9"
        assert context.request_id == "r-9"


def _app_whose_gateway_fails(
    fleet: RunningFleet, tmp_path: Path, monkeypatch: Any
) -> tuple[RouterApp, dict[str, str]]:
    """A router app whose gateway raises (with a card-number-like value), and admin headers."""
    from router.gateway import Gateway

    async def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("unexpected failure with value 4111-1111")

    monkeypatch.setattr(Gateway, "execute", broken)
    security = SecuritySettings(data_dir=tmp_path)
    app = create_app(
        Supergraph.from_sdl(fleet.supergraph_sdl()), RouterSettings(), security=security
    )
    token = mint_dev_token(load_or_create_dev_secret(security.keys_dir), roles=["admin"])
    return app, {"authorization": f"Bearer {token}", "content-type": JSON}


async def test_an_unexpected_failure_on_post_is_a_500_graphql_error_and_reaches_the_server(
    fleet: RunningFleet, tmp_path: Path, monkeypatch: Any
) -> None:
    # POST /graphql skips Starlette's error layer (RouterApp); its own guard must still answer.
    app, headers = _app_whose_gateway_fails(fleet, tmp_path, monkeypatch)
    async with app.router.lifespan_context(app):
        quiet = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=quiet, base_url="http://router.test") as client:
            response = await client.post(
                "/graphql", content=orjson.dumps({"query": USERS_QUERY}), headers=headers
            )
        assert response.status_code == 500
        code = {"code": "INTERNAL_SERVER_ERROR"}
        assert response.json() == {
            "errors": [{"message": "Internal server error.", "extensions": code}]
        }
        assert "4111" not in response.text
        # The exception itself goes on to the server (which logs it), as on every other route.
        loud = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=loud, base_url="http://router.test") as client:
            try:
                await client.post(
                    "/graphql", content=orjson.dumps({"query": USERS_QUERY}), headers=headers
                )
            except RuntimeError as exc:
                assert "unexpected failure" in str(exc)
            else:
                raise AssertionError("the failure did not reach the server")


async def test_other_methods_on_graphql_are_405_naming_get_and_post(
    router: httpx.AsyncClient,
) -> None:
    response = await router.put("/graphql", content=b"{}")
    assert response.status_code == 405
    assert set(response.headers["allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


async def test_the_post_fast_path_steps_aside_for_an_apps_own_error_handler(
    fleet: RunningFleet, tmp_path: Path, monkeypatch: Any
) -> None:
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse

    app, headers = _app_whose_gateway_fails(fleet, tmp_path, monkeypatch)

    async def handler(_request: Request, _exc: Exception) -> PlainTextResponse:
        return PlainTextResponse("handled by the app", status_code=503)

    app.add_exception_handler(Exception, handler)
    async with app.router.lifespan_context(app):
        quiet = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=quiet, base_url="http://router.test") as client:
            response = await client.post(
                "/graphql", content=orjson.dumps({"query": USERS_QUERY}), headers=headers
            )
    assert (response.status_code, response.text) == (503, "handled by the app")
    # And once the app has served a request, no middleware can be added behind its back.
    try:
        app.add_middleware(RouterSettings)  # type: ignore[arg-type]
    except RuntimeError as exc:
        assert "after an application has started" in str(exc)
    else:
        raise AssertionError("middleware was added to a started app")
