"""The router's YAML configuration file (issue 13.5): one schema, env wins, precise errors."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from router.config import ConfigError, load_router_config, setting_keys
from router.settings import RouterSettings
from tests.router.http.router_process import ROOT, running_router
from tests.router.standins import RunningFleet

EXAMPLE = ROOT / "deploy" / "router.example.yaml"


@pytest.fixture(autouse=True)
def _no_router_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("ROUTER_") or name == "WEALTHTECH_DATA_DIR":
            monkeypatch.delenv(name)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "router.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_example_documents_every_setting_and_loads_as_the_defaults() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    documented = set(re.findall(r"^# ([a-z_0-9]+):", text, flags=re.MULTILINE))
    missing = sorted(set(setting_keys()) - documented)
    assert not missing, f"add these settings to deploy/router.example.yaml: {missing}"
    assert not documented - set(setting_keys()), "the example names settings that do not exist"
    # Uncommented, every documented default is accepted and is the default.
    uncommented = re.sub(r"^# ([a-z_0-9]+:)", r"\1", text, flags=re.MULTILINE)
    path = EXAMPLE.with_name("router.example.uncommented.yaml")
    try:
        path.write_text(uncommented, encoding="utf-8")
        loaded = load_router_config(path)
    finally:
        path.unlink()
    assert loaded.router == RouterSettings()
    assert loaded.security.auth_mode == "required" and loaded.rest.idempotency_lock_seconds == 60


def test_file_values_apply_the_environment_wins_and_options_win_over_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(
        tmp_path,
        """
port: 4100
host: 0.0.0.0
auth_mode: "off"
subgraph_read_timeout: 3.5
subgraph_policies: {compliance: {read_timeout: 1, retry_attempts: 0}}
header_rules:
  all: [{propagate: x-tenant}]
cors_origins: [https://a.example, https://b.example]
idempotency_retention_seconds: 60
""",
    )
    config = load_router_config(path)
    assert (config.router.port, config.router.host) == (4100, "0.0.0.0")
    assert config.router.subgraph_read_timeout == 3.5
    assert config.router.subgraph_policies["compliance"].retry_attempts == 0
    assert config.router.header_rules["all"][0].propagate == "x-tenant"
    assert config.security.auth_mode == "off"
    assert config.security.cors_origins == ["https://a.example", "https://b.example"]
    assert config.rest.idempotency_retention_seconds == 60
    monkeypatch.setenv("ROUTER_PORT", "4200")
    monkeypatch.setenv("ROUTER_AUTH_MODE", "required")
    config = load_router_config(path)
    assert config.router.port == 4200 and config.security.auth_mode == "required"
    assert config.router.host == "0.0.0.0"  # not in the environment: the file's
    config = load_router_config(path, overrides={"port": 4300})
    assert config.router.port == 4300


def test_every_problem_is_reported_at_once_naming_file_and_key(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
prot: 4000
subgraph_read_timeout: -1
subgraph_policies: {users: {read_timeout: 0, nonsense: 1}}
auth_mode: sometimes
jwt_hs256_secret: 12
""",
    )
    with pytest.raises(ConfigError) as caught:
        load_router_config(path)
    lines = str(caught.value).splitlines()
    assert f"{path}: unknown setting 'prot' (did you mean 'port'?)" in lines
    assert f"{path}: subgraph_read_timeout: Input should be greater than 0" in lines
    assert f"{path}: subgraph_policies.users.read_timeout: Input should be greater than 0" in lines
    assert f"{path}: subgraph_policies.users.nonsense: Extra inputs are not permitted" in lines
    assert f"{path}: auth_mode: Input should be 'required' or 'off'" in lines
    assert f"{path}: jwt_hs256_secret: Input should be a valid string" in lines
    assert len(lines) == 6, lines


def test_a_bad_environment_value_is_named_by_its_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROUTER_PORT", "four thousand")
    with pytest.raises(ConfigError, match=r"^ROUTER_PORT: port: Input should be a valid integer"):
        load_router_config(_write(tmp_path, "host: 127.0.0.1\n"))


def test_values_are_never_quoted_in_errors(tmp_path: Path) -> None:
    path = _write(tmp_path, "internal_token_ttl_seconds: s3cr3t-value\n")
    with pytest.raises(ConfigError) as caught:
        load_router_config(path)
    assert "s3cr3t" not in str(caught.value)
    assert "internal_token_ttl_seconds: Input should be a valid integer" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("port: [4000\n", r"router\.yaml: expected ',' or '\]', but got .* \(line 2, column 1\)"),
        ("- port\n", "the file must be a mapping of setting names to values"),
        ("1: x\n", "the file must be a mapping of setting names to values"),
    ],
)
def test_a_malformed_file_says_where(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_router_config(_write(tmp_path, text))


def test_an_empty_file_is_the_defaults(tmp_path: Path) -> None:
    assert load_router_config(_write(tmp_path, "# nothing\n")).router == RouterSettings()


def test_a_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"cannot read config file .*nope\.yaml"):
        load_router_config(tmp_path / "nope.yaml")


def test_python_m_router_takes_its_settings_from_the_file(
    fleet: RunningFleet, tmp_path: Path
) -> None:
    supergraph = tmp_path / "supergraph.graphql"
    supergraph.write_text(fleet.supergraph_sdl(), encoding="utf-8")
    config = _write(tmp_path, f"supergraph_path: {supergraph}\nauth_mode: 'off'\n")
    with running_router(None, data_dir=tmp_path, args=["--config", str(config)]) as router:
        response = httpx.post(f"{router.url}/graphql", json={"query": "{ users { name } }"})
        stderr = router.stderr
    # No token needed: auth_mode came from the file, and so did the supergraph.
    assert response.status_code == 200 and response.json()["data"]["users"]
    assert "AUTHENTICATION IS OFF" in stderr
    broken = _write(tmp_path, "auth_mode: 'off'\nprot: 1\n")
    result = subprocess.run(
        [sys.executable, "-m", "router", "--config", str(broken), "--supergraph", str(supergraph)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=dict(os.environ),
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert f"error: {broken}: unknown setting 'prot' (did you mean 'port'?)" in result.stderr
