"""Router settings (ROUTER_* environment, subgraph URL overrides) and ``python -m router``."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from router.auth import load_or_create_dev_secret, mint_dev_token
from router.settings import RouterSettings
from tests.router.standins import RunningFleet, free_port

ROOT = Path(__file__).resolve().parents[3]
FROM_SUPERGRAPH = {"users": "http://users:4001/graphql", "compliance": "http://c:4004/graphql"}


def test_defaults() -> None:
    settings = RouterSettings(_env_file=None)
    assert settings.port == 4000
    assert settings.supergraph_path == Path("schema/supergraph.graphql")


def test_environment_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROUTER_PORT", "4100")
    monkeypatch.setenv("ROUTER_SUBGRAPH_READ_TIMEOUT", "1.5")
    settings = RouterSettings()
    assert (settings.port, settings.subgraph_read_timeout) == (4100, 1.5)


def test_subgraph_url_override_from_environment() -> None:
    environ = {"ROUTER_SUBGRAPH_URL_USERS": "http://10.0.0.5:4001/graphql"}
    urls = RouterSettings().resolve_subgraph_urls(FROM_SUPERGRAPH, environ)
    assert urls == {"users": "http://10.0.0.5:4001/graphql", "compliance": "http://c:4004/graphql"}


def test_override_naming_no_subgraph_is_an_error() -> None:
    with pytest.raises(ValueError, match="matches no subgraph"):
        RouterSettings().resolve_subgraph_urls(FROM_SUPERGRAPH, {"ROUTER_SUBGRAPH_URL_USRES": "x"})


def _refused_start(supergraph: Path, environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run ``python -m router`` where it must refuse to start: exit status 2, reason on stderr."""
    result = subprocess.run(
        [sys.executable, "-m", "router", "--supergraph", str(supergraph)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=environ,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    return result


def test_main_reports_a_missing_supergraph_clearly(tmp_path: Path) -> None:
    result = _refused_start(tmp_path / "nope.graphql", dict(os.environ))
    assert "cannot read supergraph" in result.stderr


def test_main_serves_a_supergraph_file_with_urls_taken_from_it(
    fleet: RunningFleet, tmp_path: Path
) -> None:
    supergraph = tmp_path / "supergraph.graphql"
    supergraph.write_text(fleet.supergraph_sdl(), encoding="utf-8")
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "router",
            "--supergraph",
            str(supergraph),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**os.environ, "WEALTHTECH_DATA_DIR": str(tmp_path)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    token = mint_dev_token(load_or_create_dev_secret(tmp_path / "keys"), roles=["admin"])
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/healthz")
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(
                        process.stderr.read().decode() if process.stderr else ""
                    ) from None
                time.sleep(0.1)
        response = httpx.post(
            f"{url}/graphql",
            json={"query": '{ user(id: "usr_0002") { name accounts { id } } }'},
            headers={"authorization": f"Bearer {token}"},
        )
        assert response.json() == {
            "data": {
                "user": {"name": "User 002", "accounts": [{"id": "acc_00004"}, {"id": "acc_00005"}]}
            }
        }
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stderr:
            process.stderr.close()


def test_main_reports_a_security_misconfiguration_clearly(
    fleet: RunningFleet, tmp_path: Path
) -> None:
    supergraph = tmp_path / "supergraph.graphql"
    supergraph.write_text(fleet.supergraph_sdl(), encoding="utf-8")
    environ = {
        **os.environ,
        "WEALTHTECH_DATA_DIR": str(tmp_path),
        "ROUTER_ENV": "production",
        "ROUTER_JWT_HS256_SECRET": "x" * 40,
    }
    environ.pop("ROUTER_INTERNAL_SIGNING_KEY", None)
    environ.pop("ROUTER_INTERNAL_SIGNING_KEY_FILE", None)
    result = _refused_start(supergraph, environ)
    assert "ROUTER_INTERNAL_SIGNING_KEY" in result.stderr
    assert "x" * 40 not in result.stderr


def test_a_query_plan_exposed_in_production_is_warned_about() -> None:
    from router.__main__ import startup_warnings
    from router.auth import SecuritySettings

    production = SecuritySettings(env="production")
    (warning,) = startup_warnings(RouterSettings(expose_query_plan=True), production)
    assert "ROUTER_EXPOSE_QUERY_PLAN" in warning
    assert startup_warnings(RouterSettings(), production) == []
    assert startup_warnings(RouterSettings(expose_query_plan=True), SecuritySettings()) == []
