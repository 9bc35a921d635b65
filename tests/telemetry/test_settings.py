"""Telemetry settings from the environment: per-service prefixes, OTel's standard fallbacks."""

from __future__ import annotations

import pytest

from router.http import create_app
from telemetry import TelemetryMiddleware, TelemetrySettings, log_config
from tests.conftest import ROOT


def test_everything_is_off_by_default() -> None:
    settings = TelemetrySettings.from_env("ROUTER", "router", {})
    assert not settings.tracing and not settings.metrics and not settings.access_log
    assert not settings.active
    assert settings.log_format == "human"
    assert log_config(settings) is None  # uvicorn's own logging, as before


def test_prefixed_variables_win_over_the_standard_ones() -> None:
    env = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318/",
        "OTEL_TRACES_SAMPLER_ARG": "0.25",
        "USERS_OTEL_TRACES_ENDPOINT": "http://users-collector:4318/v1/traces",
        "USERS_METRICS_PORT": "9464",
        "USERS_LOG_FORMAT": "json",
    }
    users = TelemetrySettings.from_env("USERS_", "users", env)
    assert users.traces_endpoint == "http://users-collector:4318/v1/traces"
    assert users.sampling_ratio == 0.25
    assert users.metrics_port == 9464 and users.metrics_host == "127.0.0.1"
    assert users.log_format == "json" and users.access_log  # on with json unless told
    router = TelemetrySettings.from_env("ROUTER", "router", env)
    assert router.traces_endpoint == "http://collector:4318/v1/traces"
    assert router.metrics_port is None and router.log_format == "human"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("ROUTER_OTEL_SAMPLING_RATIO", "1.5", "ROUTER_OTEL_SAMPLING_RATIO must be between 0 and 1"),
        ("ROUTER_OTEL_SAMPLING_RATIO", "half", "ROUTER_OTEL_SAMPLING_RATIO must be a number"),
        ("ROUTER_METRICS_PORT", "nine", "ROUTER_METRICS_PORT must be a port number"),
        ("ROUTER_LOG_FORMAT", "xml", "ROUTER_LOG_FORMAT must be human, json or auto"),
        ("ROUTER_ACCESS_LOG", "maybe", "ROUTER_ACCESS_LOG must be true or false"),
    ],
)
def test_bad_values_name_the_variable(name: str, value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TelemetrySettings.from_env("ROUTER", "router", {name: value})


def test_json_log_config_sends_every_logger_through_the_json_formatter() -> None:
    settings = TelemetrySettings.from_env("ROUTER", "router", {"ROUTER_LOG_FORMAT": "json"})
    config = log_config(settings, "warning")
    assert config is not None
    assert config["formatters"]["json"]["()"] == "telemetry.logs.JsonFormatter"
    assert config["root"] == {"handlers": ["json"], "level": "WARNING"}
    assert config["loggers"]["wealthtech.access"]["level"] == "INFO"


def test_a_router_with_telemetry_off_has_no_telemetry_layer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    off = create_app(ROOT / "schema" / "supergraph.graphql", telemetry=TelemetrySettings("router"))
    assert TelemetryMiddleware not in [m.cls for m in off.user_middleware]
    on = create_app(
        ROOT / "schema" / "supergraph.graphql",
        telemetry=TelemetrySettings("router", metrics_port=0),
    )
    assert on.user_middleware[0].cls is TelemetryMiddleware  # outermost
