"""Fetching SDLs from subgraphs that require an internal token (docs/security.md).

The subgraph is the real users app (lifespan, migrations, its development key pair in a temporary
data directory), which refuses any request without a valid ``X-Internal-Token``. The command is
run against it served over loopback HTTP, the token given by option or by environment.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from crypto import load_or_create_dev_keypair, mint_internal_token
from router.composition import SubgraphFetchError, fetch_subgraph
from router.composition.__main__ import INTERNAL_TOKEN_ENV, main
from subgraphs.users.app import create_app
from subgraphs.users.settings import UsersSettings
from tests.subgraphs.support import make_encryption_services


def _settings(folder: Path) -> UsersSettings:
    return UsersSettings(
        database_url=f"sqlite+aiosqlite:///{folder / 'users.sqlite3'}", data_dir=folder
    )


def _users_app(folder: Path) -> FastAPI:
    return create_app(_settings(folder), encryption_services=make_encryption_services("users"))


def _token(folder: Path) -> str:
    """Return a token signed with the key pair the app in ``folder`` accepts (no role, scope)."""
    private_key, _public = load_or_create_dev_keypair(_settings(folder).keys_dir)
    return mint_internal_token(private_key, sub="service|composition", roles=())


@pytest.fixture
def served_users(tmp_path: Path) -> Iterator[str]:
    """Serve the users app (with its lifespan) on a loopback port; yield its GraphQL URL."""
    app = _users_app(tmp_path)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on", ws="none", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the users app did not start")
            threading.Event().wait(0.01)
        yield f"http://127.0.0.1:{port}/graphql"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


async def test_fetch_sends_the_internal_token_and_is_refused_without(tmp_path: Path) -> None:
    app = _users_app(tmp_path)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://users"
        ) as client,
    ):
        with pytest.raises(SubgraphFetchError, match=r"HTTP 401.*--internal-token"):
            await fetch_subgraph("users", "http://users/graphql", client=client)
        with pytest.raises(SubgraphFetchError, match=r"HTTP 401\b(?!.*--internal-token)"):
            await fetch_subgraph(
                "users", "http://users/graphql", client=client, internal_token="not-a-token"
            )
        source = await fetch_subgraph(
            "users", "http://users/graphql", client=client, internal_token=_token(tmp_path)
        )
    assert source.name == "users"
    assert "type User" in source.sdl and "@key" in source.sdl


def test_command_takes_the_token_from_the_environment(
    served_users: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "supergraph.graphql"
    monkeypatch.delenv(INTERNAL_TOKEN_ENV, raising=False)
    assert main(["--from-urls", f"users={served_users}", "--out", str(out)]) == 2
    assert "internal token" in capsys.readouterr().err
    assert not out.exists()

    monkeypatch.setenv(INTERNAL_TOKEN_ENV, _token(tmp_path))
    assert main(["--from-urls", f"users={served_users}", "--out", str(out)]) == 0
    supergraph = out.read_text(encoding="utf-8")
    assert f'@join__graph(name: "users", url: "{served_users}")' in supergraph
    assert "type User" in supergraph


def test_command_option_overrides_the_environment(
    served_users: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(INTERNAL_TOKEN_ENV, "stale-token")
    out = tmp_path / "supergraph.graphql"
    argv = ["--from-urls", f"users={served_users}", "--out", str(out)]
    assert main(argv) == 2
    assert main([*argv, "--internal-token", _token(tmp_path)]) == 0
    assert "type User" in out.read_text(encoding="utf-8")
