"""Telemetry settings of one service, from the environment under that service's prefix.

Every service reads the same names under its own prefix (``ROUTER_``, ``USERS_``,
``INVESTMENTS_``, ``TRANSACTIONS_``, ``COMPLIANCE_``); where OpenTelemetry has a standard
variable, it is the fallback for every service at once:

=================================  ==========================================================
``<P>_OTEL_TRACES_ENDPOINT``       OTLP/HTTP traces URL (``http://collector:4318/v1/traces``);
                                   else ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``, else
                                   ``OTEL_EXPORTER_OTLP_ENDPOINT`` + ``/v1/traces``. Unset:
                                   no tracing at all.
``<P>_OTEL_SAMPLING_RATIO``        share of new traces recorded, 0..1 (else
                                   ``OTEL_TRACES_SAMPLER_ARG``; default 1). A request that
                                   arrives with a ``traceparent`` follows its sampled flag.
``<P>_OTEL_SERVICE_NAME``          ``service.name`` of the spans (default: the service's name).
``<P>_METRICS_PORT``               serve ``/metrics`` (Prometheus text) on this separate port;
                                   unset: no metrics server.
``<P>_METRICS_HOST``               address of that port (default ``127.0.0.1``).
``<P>_METRICS_ON_PUBLIC_PORT``     also answer ``/metrics`` on the service's own port (default
                                   false: callers of the public port never see it).
``<P>_LOG_FORMAT``                 ``human`` (default), ``json`` (one object per line) or
                                   ``auto`` (json unless standard error is a terminal).
``<P>_ACCESS_LOG``                 one line per request (default: on with json, off with human).
=================================  ==========================================================

The exporter itself still reads the standard ``OTEL_EXPORTER_OTLP_HEADERS`` and
``OTEL_EXPORTER_OTLP_TIMEOUT`` (credentials for a collector stay out of this object).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

__all__ = ["LogFormat", "TelemetrySettings"]

LogFormat = Literal["human", "json"]
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


@dataclass(frozen=True, slots=True)
class TelemetrySettings:
    """What one service records and where it sends it; everything is off by default."""

    service: str
    traces_endpoint: str | None = None
    sampling_ratio: float = 1.0
    service_name: str | None = None
    metrics_port: int | None = None
    metrics_host: str = "127.0.0.1"
    metrics_on_public_port: bool = False
    log_format: LogFormat = "human"
    access_log: bool = False

    def __post_init__(self) -> None:
        if not 0.0 <= self.sampling_ratio <= 1.0:
            raise ValueError("the sampling ratio must be between 0 and 1")
        if self.metrics_port is not None and not 0 <= self.metrics_port <= 65535:
            raise ValueError("the metrics port must be between 0 and 65535")

    @property
    def tracing(self) -> bool:
        return self.traces_endpoint is not None

    @property
    def metrics(self) -> bool:
        return self.metrics_port is not None or self.metrics_on_public_port

    @property
    def active(self) -> bool:
        """Whether anything per request is recorded (else no telemetry layer is installed)."""
        return self.tracing or self.metrics or self.access_log

    @property
    def resource_name(self) -> str:
        return self.service_name or self.service

    @classmethod
    def from_env(
        cls, prefix: str, service: str, environ: Mapping[str, str] | None = None
    ) -> TelemetrySettings:
        """Read the settings of ``service`` under ``prefix`` (``ROUTER`` or ``ROUTER_``).

        Raises ``ValueError`` naming the variable whose value is wrong.
        """
        env = os.environ if environ is None else environ
        p = prefix.rstrip("_").upper() + "_"

        def get(name: str) -> str | None:
            value = env.get(p + name)
            return value.strip() if value is not None and value.strip() else None

        endpoint = get("OTEL_TRACES_ENDPOINT") or _standard_endpoint(env)
        ratio_text = get("OTEL_SAMPLING_RATIO") or (env.get("OTEL_TRACES_SAMPLER_ARG") or None)
        log_format = (get("LOG_FORMAT") or "human").lower()
        if log_format not in ("human", "json", "auto"):
            raise ValueError(f"{p}LOG_FORMAT must be human, json or auto, not {log_format!r}")
        if log_format == "auto":
            log_format = "human" if sys.stderr.isatty() else "json"
        access = _boolean(get("ACCESS_LOG"), p + "ACCESS_LOG")
        port_text = get("METRICS_PORT")
        try:
            ratio = float(ratio_text) if ratio_text is not None else 1.0
        except ValueError:
            raise ValueError(
                f"{p}OTEL_SAMPLING_RATIO must be a number, not {ratio_text!r}"
            ) from None
        if not 0.0 <= ratio <= 1.0:
            raise ValueError(f"{p}OTEL_SAMPLING_RATIO must be between 0 and 1, not {ratio}")
        if port_text is not None and not port_text.isdigit():
            raise ValueError(f"{p}METRICS_PORT must be a port number, not {port_text!r}")
        return cls(
            service=service,
            traces_endpoint=endpoint,
            sampling_ratio=ratio,
            service_name=get("OTEL_SERVICE_NAME"),
            metrics_port=int(port_text) if port_text is not None else None,
            metrics_host=get("METRICS_HOST") or "127.0.0.1",
            metrics_on_public_port=bool(
                _boolean(get("METRICS_ON_PUBLIC_PORT"), p + "METRICS_ON_PUBLIC_PORT")
            ),
            log_format="json" if log_format == "json" else "human",
            access_log=access if access is not None else log_format == "json",
        )


def _standard_endpoint(env: Mapping[str, str]) -> str | None:
    traces = (env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or "").strip()
    if traces:
        return traces
    base = (env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or "").strip()
    return base.rstrip("/") + "/v1/traces" if base else None


def _boolean(value: str | None, name: str) -> bool | None:
    if value is None:
        return None
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ValueError(f"{name} must be true or false, not {value!r}")
