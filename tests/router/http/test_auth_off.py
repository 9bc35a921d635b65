"""ROUTER_AUTH_MODE=off and header propagation rules (issue 13.4).

The stand-in subgraphs (tests/router/standins.py) authenticate nobody, like most subgraphs a
general gateway serves: ``python -m router --auth-mode off`` serves their supergraph with no caller
token and sends them no internal token; the header rules decide what else they receive.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from crypto import load_or_create_dev_keypair, verify_internal_token
from router.auth import SecuritySettings
from router.headers import HeaderRule, compile_header_rules
from router.http import create_app
from router.settings import RouterSettings
from router.supergraph import Supergraph
from tests.router.http.router_process import ROOT, running_router
from tests.router.standins import RunningFleet, serve_in_thread, supergraph_sdl
from tests.router.standins import create_app as create_standins

QUERY = '{ user(id: "usr_0002") { name accounts { id transactions { id } } } }'
RULES = {
    "all": [{"propagate": "x-tenant"}, {"insert": "x-gateway", "value": "wealthtech"}],
    "users": [{"propagate": "x-lang", "rename": "accept-language"}],
    "accounts": [{"insert": "x-source", "value": "router"}],
}


class Recorder:
    """Wraps the stand-ins and records the headers of every subgraph request, by subgraph."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.seen: list[tuple[str, dict[str, str]]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            subgraph = scope["path"].strip("/").split("/")[0]
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
            self.seen.append((subgraph, headers))
        await self.app(scope, receive, send)

    def of(self, subgraph: str) -> list[dict[str, str]]:
        return [headers for name, headers in self.seen if name == subgraph]


@pytest.fixture(scope="module")
def recorded() -> Iterator[tuple[Recorder, RunningFleet]]:
    recorder = Recorder(create_standins())
    with serve_in_thread(recorder) as fleet:  # type: ignore[arg-type]
        yield recorder, fleet


def test_an_auth_off_router_process_serves_plain_subgraphs(
    recorded: tuple[Recorder, RunningFleet], tmp_path: Path
) -> None:
    recorder, fleet = recorded
    supergraph = tmp_path / "supergraph.graphql"
    supergraph.write_text(fleet.supergraph_sdl(), encoding="utf-8")
    env: dict[str, str | None] = {"ROUTER_HEADER_RULES": json.dumps(RULES)}
    with running_router(
        supergraph, data_dir=tmp_path, args=["--auth-mode", "off"], env=env
    ) as router:
        recorder.seen.clear()
        response = httpx.post(
            f"{router.url}/graphql",
            json={"query": QUERY},
            headers={
                "x-tenant": "t-1",
                "x-lang": "fr",
                "x-other": "never forwarded",
                # A client cannot smuggle an identity in: the router drops it.
                "x-internal-token": "forged",
                "authorization": "Bearer whatever",
            },
        )
        stderr = router.stderr
    assert response.status_code == 200, response.text
    assert response.json()["data"]["user"]["name"] == "User 002"
    assert response.json()["data"]["user"]["accounts"][0]["transactions"]
    assert "AUTHENTICATION IS OFF" in stderr and "no internal token" in stderr
    assert {name for name, _ in recorder.seen} == {"users", "accounts", "transactions"}
    for name, headers in recorder.seen:
        assert "x-internal-token" not in headers, name
        assert "authorization" not in headers, name
        assert "x-other" not in headers, name
        assert headers["x-tenant"] == "t-1" and headers["x-gateway"] == "wealthtech"
        assert len(headers["x-request-id"]) == 32
        # The per-subgraph rules reach only their subgraph.
        assert ("accept-language" in headers) == (name == "users"), name
        assert (headers.get("x-source") == "router") == (name == "accounts"), name
    assert recorder.of("users")[0]["accept-language"] == "fr"
    assert "x-lang" not in recorder.of("users")[0]


def test_auth_is_required_by_default(
    recorded: tuple[Recorder, RunningFleet], tmp_path: Path
) -> None:
    _, fleet = recorded
    supergraph = tmp_path / "supergraph.graphql"
    supergraph.write_text(fleet.supergraph_sdl(), encoding="utf-8")
    with running_router(supergraph, data_dir=tmp_path, env={"ROUTER_AUTH_MODE": None}) as router:
        response = httpx.post(f"{router.url}/graphql", json={"query": QUERY})
        stderr = router.stderr
    assert response.status_code == 401
    assert "AUTHENTICATION IS OFF" not in stderr


async def test_auth_off_with_a_signing_key_sends_a_token_for_the_fixed_identity(
    recorded: tuple[Recorder, RunningFleet], tmp_path: Path
) -> None:
    recorder, fleet = recorded
    _, public_key = load_or_create_dev_keypair(tmp_path / "keys")
    security = SecuritySettings(
        data_dir=tmp_path,
        auth_mode="off",
        internal_signing_key_file=tmp_path / "keys" / "internal-token.pem",
        anonymous_roles=("advisor",),
    )
    app = create_app(
        Supergraph.from_sdl(fleet.supergraph_sdl()), RouterSettings(), security=security
    )
    recorder.seen.clear()
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://router.test"
        ) as client,
    ):
        response = await client.post("/graphql", json={"query": QUERY})
    assert response.status_code == 200, response.text
    (token,) = {headers["x-internal-token"] for _, headers in recorder.seen}
    claims = verify_internal_token(token, [public_key])
    assert claims.sub == "anonymous" and claims.roles == frozenset({"advisor"})


def test_auth_off_generates_no_development_key(tmp_path: Path) -> None:
    security = SecuritySettings(data_dir=tmp_path, auth_mode="off")
    create_app(Supergraph.from_sdl(supergraph_sdl("http://x")), RouterSettings(), security=security)
    assert not (tmp_path / "keys").exists()


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ({"usres": [{"propagate": "x-a"}]}, "header rules of 'usres': no such subgraph"),
        ({"all": [{"propagate": "x-internal-token"}]}, "'x-internal-token' is written by"),
        ({"all": [{"insert": "Content-Length", "value": "1"}]}, "'content-length' is written by"),
        ({"users": [{"propagate": "authorization"}]}, "only with ROUTER_AUTH_MODE=off"),
        ({"users": [{"insert": "authorization", "value": "x"}]}, "only with ROUTER_AUTH_MODE=off"),
    ],
)
def test_bad_rules_are_refused_naming_the_rule(
    rules: dict[str, list[dict[str, str]]], message: str
) -> None:
    parsed = {
        key: [HeaderRule.model_validate(rule) for rule in listed] for key, listed in rules.items()
    }
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        compile_header_rules(parsed, ["users", "accounts"])


def test_authorization_may_be_propagated_with_auth_off() -> None:
    plan = compile_header_rules(
        {"users": [HeaderRule(propagate="authorization")]}, ["users"], authorization_allowed=True
    )
    assert plan.subgraph_headers({"authorization": "Bearer t"}) == {
        "users": {"authorization": "Bearer t"}
    }


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({}, "exactly one of 'propagate' and 'insert'"),
        ({"propagate": "a", "insert": "b", "value": "c"}, "exactly one of"),
        ({"insert": "x-a"}, "needs a 'value'"),
        ({"propagate": "x-a", "value": "v"}, "takes no 'value'"),
        ({"insert": "x-a", "value": "v", "rename": "x-b"}, "'rename' goes with 'propagate'"),
        ({"propagate": "bad name"}, "not a valid header name"),
        ({"insert": "x-a", "value": "a\r\nb"}, "must not contain CR, LF"),
        ({"propagate": "x-a", "extra": 1}, "Extra inputs are not permitted"),
    ],
)
def test_a_malformed_rule_says_what_is_wrong(rule: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        HeaderRule.model_validate(rule)


def test_the_router_refuses_to_start_on_a_bad_rule(
    recorded: tuple[Recorder, RunningFleet], tmp_path: Path
) -> None:
    _, fleet = recorded
    supergraph = tmp_path / "supergraph.graphql"
    supergraph.write_text(fleet.supergraph_sdl(), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "router", "--supergraph", str(supergraph)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={
            **os.environ,
            "WEALTHTECH_DATA_DIR": str(tmp_path),
            "ROUTER_HEADER_RULES": json.dumps({"nope": [{"propagate": "x-a"}]}),
        },
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "header rules of 'nope': no such subgraph" in result.stderr
