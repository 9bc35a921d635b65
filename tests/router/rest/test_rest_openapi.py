"""OpenAPI and /docs describe every route; schemathesis finds no 5xx and no schema mismatch."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.router.rest.platform import Platform
from tests.router.rest.rest_support import account_body, user_body
from tests.router.rest.served import served_platform

EXAMPLES = 25  # per operation: 12 operations stay well under a minute
OPERATIONS = {
    (method, f"/api/{name}{suffix}")
    for name in ("user", "investment", "transaction", "compliance")
    for method, suffix in (("post", ""), ("get", "/{id}"), ("patch", "/{id}"))
}


def _resolve(document: dict[str, Any], ref: str) -> dict[str, Any]:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    assert isinstance(node, dict)
    return node


async def test_the_document_describes_every_route(platform: Platform) -> None:
    response = await platform.router.get("/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.1")
    found = {(method, path) for path, item in document["paths"].items() for method in item}
    assert found == OPERATIONS
    for method, path in OPERATIONS:
        operation = document["paths"][path][method]
        responses = operation["responses"]
        success = "201" if method == "post" else "200"
        assert set(responses) >= {success, "500", "503"}
        assert "retry-after" in {h.lower() for h in responses["503"]["headers"]}
        for status, described in responses.items():
            media = "application/problem+json" if int(status) >= 400 else "application/json"
            assert list(described["content"]) == [media], (path, method, status)
            _resolve(document, described["content"][media]["schema"]["$ref"])
        if method != "get":
            assert {"400", "409", "422"} <= set(responses)
            schema_ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            body_schema = _resolve(document, schema_ref)
            assert body_schema["additionalProperties"] is False
        if method == "post":
            assert "Location" in responses["201"]["headers"]
            (key,) = [p for p in operation["parameters"] if p["name"] == "Idempotency-Key"]
            assert key["required"] is (path == "/api/transaction")
        else:
            assert responses.keys() >= {"404"}
    # Amounts: requests take exact decimals (string or number), responses give strings.
    schemas = document["components"]["schemas"]
    amount_in = schemas["TransactionCreate"]["properties"]["consideration_amount"]
    assert {s["type"] for s in amount_in["anyOf"]} == {"string", "number"}
    assert schemas["Transaction"]["properties"]["consideration_amount"]["type"] == "string"
    assert schemas["Money"]["properties"]["amount"]["type"] == "string"
    # The idempotent POSTs' body and a PATCH's `version` are required.
    assert "version" in schemas["UserPatch"]["required"]

    docs = await platform.router.get("/docs")
    assert docs.status_code == 200
    assert docs.headers["content-type"].startswith("text/html")
    for _, path in OPERATIONS:
        assert f"<code>{path}</code>" in docs.text
    assert "http://" not in docs.text and "https://" not in docs.text  # nothing from the internet


def _check_against_document(
    document: dict[str, Any], method: str, path: str, response: Any
) -> None:
    """The response's status, media type and body are those the document gives for the route."""
    described = document["paths"][path][method]["responses"][str(response.status_code)]
    media = response.headers["content-type"]
    (schema,) = [c["schema"] for m, c in described["content"].items() if m == media]
    validator = jsonschema_rs.Draft202012Validator(
        {"components": document["components"], **schema}, validate_formats=True
    )
    errors = [e.message for e in validator.iter_errors(response.json())]
    assert not errors, (method, path, response.status_code, errors)
    for header in described.get("headers", {}):
        if header == "Location":
            assert header.lower() in response.headers


async def test_real_responses_match_the_document(platform: Platform) -> None:
    client = platform.router
    document = (await client.get("/openapi.json")).json()
    seen: set[tuple[str, str, int]] = set()

    async def check(method: str, path: str, url: str, **kw: Any) -> Any:
        response = await client.request(method.upper(), url, **kw)
        _check_against_document(document, method, path, response)
        seen.add((method, path, response.status_code))
        return response.json()

    user = await check("post", "/api/user", "/api/user", json=user_body())
    await check("get", "/api/user/{id}", f"/api/user/{user['id']}")
    await check("patch", "/api/user/{id}", f"/api/user/{user['id']}", json={"version": 1})
    account = await check(
        "post",
        "/api/investment",
        "/api/investment",
        json=account_body(user["id"], account_type="GIA"),
    )
    await check(
        "patch",
        "/api/investment/{id}",
        f"/api/investment/{account['id']}",
        json={"version": 1, "status": "ACTIVE"},
    )
    await check("get", "/api/investment/{id}", f"/api/investment/{account['id']}")
    txn = await check(
        "post",
        "/api/transaction",
        "/api/transaction",
        json={
            "account_id": account["id"],
            "type": "DEPOSIT",
            "consideration_amount": "0.01",
        },
        headers={"Idempotency-Key": "doc-1"},
    )
    await check("get", "/api/transaction/{id}", f"/api/transaction/{txn['id']}")
    await check(
        "patch",
        "/api/transaction/{id}",
        f"/api/transaction/{txn['id']}",
        json={"version": 1, "status": "CANCELLED"},
    )
    log = await check(
        "post",
        "/api/compliance",
        "/api/compliance",
        json={
            "account_id": account["id"],
            "event_type": "DATA_ACCESS",
            "outcome": "CLEAR",
            "log_details": {"fields": ["email"]},
            "response_id": "r",
            "performed_by": "ops",
        },
    )
    await check("get", "/api/compliance/{id}", f"/api/compliance/{log['id']}")
    await check(
        "patch",
        "/api/compliance/{id}",
        f"/api/compliance/{log['id']}",
        json={"version": 1, "performed_by": "ops", "provider": "internal"},
    )
    # Problems too: 400, 404, 409, 422, 503.
    await check(
        "post", "/api/user", "/api/user", content=b"[", headers={"content-type": "application/json"}
    )
    await check("get", "/api/user/{id}", "/api/user/usr_none")
    await check("post", "/api/user", "/api/user", json=user_body())
    await check("patch", "/api/user/{id}", f"/api/user/{user['id']}", json={"version": "2"})
    platform.gate.down.add("compliance")
    await check("get", "/api/compliance/{id}", f"/api/compliance/{log['id']}")
    statuses = {status for _, _, status in seen}
    assert statuses == {200, 201, 400, 404, 409, 422, 503}
    assert {(m, p) for m, p, _ in seen} == OPERATIONS


@pytest.fixture(scope="module")
def rest_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    folder: Path = tmp_path_factory.mktemp("schemathesis")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(
            "ROUTER_IDEMPOTENCY_DATABASE_URL", f"sqlite:///{folder / 'idempotency.sqlite3'}"
        )
        with served_platform(folder) as (base_url, headers):
            yield schemathesis.openapi.from_url(f"{base_url}/openapi.json"), headers


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


# schemathesis's own pytest integration (from_fixture) does not run under pytest 9, so each
# operation's hypothesis strategy is driven here directly; one test per operation.
@pytest.mark.parametrize(("method", "path"), sorted(OPERATIONS))
def test_schemathesis_finds_no_server_error_and_no_schema_mismatch(
    rest_schema: Any, method: str, path: str
) -> None:
    loaded, headers = rest_schema
    operation = loaded[path][method.upper()]

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def call(case: Any) -> None:
        case.call_and_validate(checks=CHECKS, headers=headers)

    call()
