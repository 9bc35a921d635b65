"""The security layer in front of the router's endpoints: authentication, the internal token the
subgraphs get, limits and CSRF over HTTP, and the production switches."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from crypto.internal_token import load_or_create_dev_keypair, verify_internal_token
from router.auth import SecuritySettings
from router.http import create_app
from router.settings import RouterSettings
from tests.router.security.keys_support import SECRET, hs256
from tests.router.security.router_support import secured_router
from tests.router.standins import RunningFleet

GR = "application/graphql-response+json"
USERS = {"query": "{ users(first: 2) { id name } }"}
EXPECTED = {
    "data": {
        "users": [{"id": "usr_0001", "name": "User 001"}, {"id": "usr_0002", "name": "User 002"}]
    }
}


def error_code(response) -> str:  # type: ignore[no-untyped-def]
    return str(response.json()["errors"][0]["extensions"]["code"])


async def test_missing_token_is_401_with_a_bearer_challenge(
    fleet: RunningFleet, tmp_path: Path
) -> None:
    async with secured_router(fleet, tmp_path) as router:
        response = await router.client.post("/graphql", json=USERS, headers={"accept": GR})
        assert response.status_code == 401
        assert response.headers["content-type"] == GR
        assert response.headers["www-authenticate"] == 'Bearer realm="wealthtech"'
        assert error_code(response) == "UNAUTHENTICATED"
        assert "data" not in response.json()
        # Legacy application/json clients get the same 401.
        legacy = await router.client.post("/graphql", json=USERS)
        assert legacy.status_code == 401 and error_code(legacy) == "UNAUTHENTICATED"
    assert router.recording.contexts == []  # nothing reached a subgraph


@pytest.mark.parametrize(
    "authorization",
    ["Basic dXNlcjpwYXNz", "Bearer", "Bearer not.a.jwt", f"Bearer {hs256(b'x' * 48)}"],
)
async def test_invalid_token_is_401_invalid_token(
    fleet: RunningFleet, tmp_path: Path, authorization: str
) -> None:
    async with secured_router(fleet, tmp_path) as router:
        response = await router.client.post(
            "/graphql", json=USERS, headers={"authorization": authorization}
        )
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == (
        'Bearer realm="wealthtech", error="invalid_token"'
    )
    assert error_code(response) == "UNAUTHENTICATED"


async def test_expired_token_says_so(fleet: RunningFleet, tmp_path: Path) -> None:
    async with secured_router(fleet, tmp_path) as router:
        token = router.token("admin", ttl_seconds=1, now=1_000_000)
        response = await router.client.post(
            "/graphql", json=USERS, headers={"authorization": f"Bearer {token}"}
        )
    assert response.status_code == 401
    assert response.json()["errors"][0]["message"] == "The bearer token has expired."


async def test_rest_routes_answer_401_as_a_problem(fleet: RunningFleet, tmp_path: Path) -> None:
    async with secured_router(fleet, tmp_path) as router:
        response = await router.client.get("/api/user/usr_1")
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"] == 'Bearer realm="wealthtech"'
        body = response.json()
        assert body["code"] == "UNAUTHENTICATED" and body["status"] == 401
        assert body["instance"] == "/api/user/usr_1"
        # The documentation stays public.
        assert (await router.client.get("/openapi.json")).status_code == 200
        assert (await router.client.get("/healthz")).status_code == 200


async def test_subgraphs_get_an_internal_token_and_never_the_callers_token(
    fleet: RunningFleet, tmp_path: Path
) -> None:
    async with secured_router(fleet, tmp_path) as router:
        token = router.token("client", user_id="usr_0001", scope=["pii:read"])
        response = await router.client.post(
            "/graphql",
            json={"query": "{ users(first: 1) { accounts { id } } }"},
            headers={
                "authorization": f"Bearer {token}",
                "x-request-id": "req-42",
                # A client trying to speak for itself towards the subgraphs:
                "x-internal-token": "forged",
            },
        )
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "req-42"
    assert response.json()["data"]["users"][0]["accounts"]
    _, public_key = load_or_create_dev_keypair(tmp_path / "keys")
    assert len(router.recording.contexts) == 2
    for context in router.recording.contexts:
        assert set(context.headers) == {"x-internal-token", "x-request-id"}
        assert context.request_id == "req-42"
        principal = verify_internal_token(context.headers["x-internal-token"], [public_key])
        assert principal.sub == "user:usr_0001"
        assert principal.roles == {"client"}
        assert principal.scopes == {"pii:read"}
        assert principal.user_id == "usr_0001"
        # The token names the caller, not the request (reused per caller, ADR 0013): the request
        # id travels beside it in X-Request-Id, checked above.
        assert principal.request_id is None
        assert principal.expires_at is not None


async def test_a_request_id_is_made_when_missing_or_unsafe(
    fleet: RunningFleet, tmp_path: Path
) -> None:
    answered: list[str] = []
    async with secured_router(fleet, tmp_path) as router:
        for request_id in (None, "bad id\twith spaces", "x" * 200):
            headers = router.bearer("admin")
            if request_id is not None:
                headers["x-request-id"] = request_id
            response = await router.client.post("/graphql", json=USERS, headers=headers)
            answered.append(response.headers["x-request-id"])
    ids = [context.request_id for context in router.recording.contexts]
    assert ids == answered  # the response names the id the subgraphs saw
    assert len(ids) == 3 and len(set(ids)) == 3
    assert all(i is not None and len(i) == 32 for i in ids)


def test_forwarding_the_authorization_header_is_refused(
    fleet: RunningFleet, tmp_path: Path
) -> None:
    from router.supergraph import Supergraph

    with pytest.raises(ValueError, match="must not include 'authorization'"):
        create_app(
            Supergraph.from_sdl(fleet.supergraph_sdl()),
            RouterSettings(forward_headers=("Authorization", "x-request-id")),
            security=SecuritySettings(data_dir=tmp_path),
        )


@pytest.mark.parametrize("name", ["Host", "content-length", "Transfer-Encoding", "connection"])
def test_forwarding_a_framing_header_is_refused(
    fleet: RunningFleet, tmp_path: Path, name: str
) -> None:
    # The subgraph client writes these itself: a forwarded copy would frame the request twice.
    from router.supergraph import Supergraph

    with pytest.raises(ValueError, match=f"must not include '{name.lower()}'"):
        create_app(
            Supergraph.from_sdl(fleet.supergraph_sdl()),
            RouterSettings(forward_headers=("x-request-id", name)),
            security=SecuritySettings(data_dir=tmp_path),
        )


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("{ users { accounts { transactions { complianceLogs { transaction { id } } } } } }",
         "QUERY_TOO_DEEP"),
        ("{ " + " ".join(f"u{n}: users(first: 1) {{ id }}" for n in range(31)) + " }",
         "TOO_MANY_ALIASES"),
        ("{ users(first: 1) { " + "id " * 3100 + "} }", "TOO_MANY_TOKENS"),
        ("{ users(first: 101) { id } }", "PAGE_SIZE_TOO_LARGE"),
    ],
)  # fmt: skip
async def test_each_limit_has_its_code_and_a_400(
    fleet: RunningFleet, tmp_path: Path, query: str, code: str
) -> None:
    async with secured_router(fleet, tmp_path, max_query_depth=5) as router:
        response = await router.client.post(
            "/graphql", json={"query": query}, headers={**router.bearer(), "accept": GR}
        )
    assert response.status_code == 400
    assert response.headers["content-type"] == GR
    assert error_code(response) == code
    assert router.recording.contexts == []


async def test_page_size_from_variables(fleet: RunningFleet, tmp_path: Path) -> None:
    query = "query Q($n: Int!) { users(first: $n) { id } }"
    async with secured_router(fleet, tmp_path) as router:
        too_many = await router.client.post(
            "/graphql", json={"query": query, "variables": {"n": 1000}}, headers=router.bearer()
        )
        fine = await router.client.post(
            "/graphql", json={"query": query, "variables": {"n": 2}}, headers=router.bearer()
        )
    assert too_many.status_code == 400 and error_code(too_many) == "PAGE_SIZE_TOO_LARGE"
    assert fine.status_code == 200 and len(fine.json()["data"]["users"]) == 2


async def test_body_size_limit_on_graphql_and_rest(fleet: RunningFleet, tmp_path: Path) -> None:
    padding = "#" + "x" * 2000 + "\n"
    async with secured_router(fleet, tmp_path, max_body_bytes=1000) as router:
        graphql = await router.client.post(
            "/graphql", json={"query": padding + "{ users { id } }"}, headers=router.bearer()
        )
        rest = await router.client.post(
            "/api/user", json={"first_name": "x" * 2000}, headers=router.bearer()
        )
        anonymous = await router.client.post("/graphql", json={"query": padding})
    assert graphql.status_code == 413 and error_code(graphql) == "PAYLOAD_TOO_LARGE"
    assert rest.status_code == 413
    assert rest.headers["content-type"] == "application/problem+json"
    assert rest.json()["code"] == "PAYLOAD_TOO_LARGE"
    # The size is checked before anything else: even an anonymous caller gets the 413.
    assert anonymous.status_code == 413


async def test_csrf_prevention(fleet: RunningFleet, tmp_path: Path) -> None:
    async with secured_router(fleet, tmp_path) as router:
        bearer = router.bearer()
        plain_get = await router.client.get("/graphql", params=USERS, headers=bearer)
        form_post = await router.client.post(
            "/graphql",
            content=b"query=%7Busers%7Bid%7D%7D",
            headers={**bearer, "content-type": "application/x-www-form-urlencoded"},
        )
        preflighted = await router.client.get(
            "/graphql", params=USERS, headers={**bearer, "apollo-require-preflight": "true"}
        )
        named = await router.client.get(
            "/graphql", params=USERS, headers={**bearer, "x-apollo-operation-name": "Users"}
        )
    for refused in (plain_get, form_post):
        assert refused.status_code == 400
        assert error_code(refused) == "BAD_REQUEST"
        assert "Cross-Site Request Forgery" in refused.json()["errors"][0]["message"]
    assert preflighted.status_code == 200 and preflighted.json() == EXPECTED
    assert named.status_code == 200


async def test_csrf_prevention_can_be_switched_off(fleet: RunningFleet, tmp_path: Path) -> None:
    async with secured_router(fleet, tmp_path, csrf_prevention=False) as router:
        response = await router.client.get("/graphql", params=USERS, headers=router.bearer())
    assert response.status_code == 200


def production(tmp_path: Path, **more: object) -> dict[str, object]:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    key_file = tmp_path / "signing.pem"
    key_file.write_bytes(pem)
    return {
        "env": "production",
        "jwt_hs256_secret": SECRET.decode(),
        "internal_signing_key_file": key_file,
        **more,
    }


INTROSPECTION = {"query": "{ __schema { queryType { name } } }"}


async def test_production_turns_introspection_and_graphiql_off(
    fleet: RunningFleet, tmp_path: Path
) -> None:
    bearer = {"authorization": f"Bearer {hs256()}"}
    async with secured_router(fleet, tmp_path, **production(tmp_path)) as router:
        introspection = await router.client.post("/graphql", json=INTROSPECTION, headers=bearer)
        graphiql = await router.client.get("/graphql", headers={"accept": "text/html"})
        typename = await router.client.post(
            "/graphql", json={"query": "{ __typename }"}, headers=bearer
        )
    assert introspection.status_code == 400
    assert error_code(introspection) == "INTROSPECTION_DISABLED"
    assert graphiql.status_code == 404
    assert typename.status_code == 200
    assert not (tmp_path / "keys").exists()  # production generated nothing


async def test_production_switches_can_be_turned_back_on(
    fleet: RunningFleet, tmp_path: Path
) -> None:
    settings = production(tmp_path, introspection=True, graphiql=True)
    async with secured_router(fleet, tmp_path, **settings) as router:
        introspection = await router.client.post(
            "/graphql", json=INTROSPECTION, headers={"authorization": f"Bearer {hs256()}"}
        )
        graphiql = await router.client.get("/graphql", headers={"accept": "text/html"})
    assert introspection.status_code == 200
    assert introspection.json()["data"]["__schema"]["queryType"]["name"] == "Query"
    assert graphiql.status_code in (200, 503)  # 503: assets not installed on this machine


async def test_development_allows_introspection_and_the_graphiql_page_without_a_token(
    fleet: RunningFleet, tmp_path: Path
) -> None:
    async with secured_router(fleet, tmp_path) as router:
        page = await router.client.get("/graphql", headers={"accept": "text/html"})
        introspection = await router.client.post(
            "/graphql", json=INTROSPECTION, headers=router.bearer("client")
        )
    assert page.status_code in (200, 503)
    assert "GraphiQL" in page.text
    assert introspection.status_code == 200


def test_production_without_a_signing_key_fails_at_startup(
    fleet: RunningFleet, tmp_path: Path
) -> None:
    from router.supergraph import Supergraph

    settings = SecuritySettings(
        env="production", data_dir=tmp_path, jwt_hs256_secret=SECRET.decode()
    )
    with pytest.raises(ValueError, match="ROUTER_INTERNAL_SIGNING_KEY"):
        create_app(Supergraph.from_sdl(fleet.supergraph_sdl()), RouterSettings(), security=settings)
    assert not (tmp_path / "keys").exists()


async def test_cors_is_off_by_default_and_configurable(fleet: RunningFleet, tmp_path: Path) -> None:
    preflight = {
        "origin": "https://app.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type",
    }
    async with secured_router(fleet, tmp_path) as router:
        closed = await router.client.options("/graphql", headers=preflight)
        simple = await router.client.post(
            "/graphql", json=USERS, headers={**router.bearer(), "origin": "https://app.example"}
        )
    assert "access-control-allow-origin" not in closed.headers
    assert "access-control-allow-origin" not in simple.headers
    async with secured_router(fleet, tmp_path, cors_origins="https://app.example") as router:
        opened = await router.client.options("/graphql", headers=preflight)
        other = await router.client.options(
            "/graphql", headers={**preflight, "origin": "https://evil.example"}
        )
    assert opened.status_code == 200
    assert opened.headers["access-control-allow-origin"] == "https://app.example"
    assert "authorization" in opened.headers["access-control-allow-headers"].lower()
    assert other.status_code == 400
    assert "access-control-allow-origin" not in other.headers


def test_the_security_layer_cannot_be_installed_twice(fleet: RunningFleet, tmp_path: Path) -> None:
    from router.security import install_security
    from router.supergraph import Supergraph

    settings = SecuritySettings(data_dir=tmp_path)
    app = create_app(
        Supergraph.from_sdl(fleet.supergraph_sdl()), RouterSettings(), security=settings
    )
    with pytest.raises(ValueError, match="already installed"):
        install_security(app, settings)


async def test_body_limit_holds_for_a_streamed_body_without_length(
    fleet: RunningFleet, tmp_path: Path
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"query": "#'
        for _ in range(20):
            yield b"x" * 100
        yield b'\n{ users { id } }"}'

    async with secured_router(fleet, tmp_path, max_body_bytes=1000) as router:
        response = await router.client.post(
            "/graphql",
            content=chunks(),
            headers={**router.bearer(), "content-type": "application/json"},
        )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert error_code(response) == "PAYLOAD_TOO_LARGE"


async def test_one_internal_token_per_caller_is_reused_and_never_shared(
    fleet: RunningFleet, tmp_path: Path
) -> None:
    async with secured_router(fleet, tmp_path) as router:
        for _ in range(2):
            for role in ("admin", "advisor"):
                response = await router.client.post(
                    "/graphql", json=USERS, headers=router.bearer(role)
                )
                assert response.status_code == 200
    tokens = [context.headers["x-internal-token"] for context in router.recording.contexts]
    admin_first, advisor_first, admin_again, advisor_again = tokens
    assert admin_first == admin_again and advisor_first == advisor_again
    assert admin_first != advisor_first
    _, public_key = load_or_create_dev_keypair(tmp_path / "keys")
    assert verify_internal_token(admin_first, [public_key]).roles == {"admin"}
    assert verify_internal_token(advisor_first, [public_key]).roles == {"advisor"}
