"""Log lines: one JSON object per line (opt-in), or the human format; the access log.

Every line carries the request id of the request it was written under (a context variable the
telemetry middleware sets) and, when that request is traced, its trace and span ids, so that a
log line leads to the trace and back. Structured fields ride on the record as ``fields`` (a
dict): the access log puts the operation name, status, duration and caller subject there, and
never the variables or anything else from the request body.
"""

from __future__ import annotations

import contextvars
import copy
import datetime as dt
import logging
from typing import Any

import orjson
from opentelemetry import trace

from telemetry.settings import TelemetrySettings

__all__ = [
    "ACCESS_LOGGER",
    "HumanFormatter",
    "JsonFormatter",
    "current_request_id",
    "log_config",
]

ACCESS_LOGGER = "wealthtech.access"
current_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "wealthtech_request_id", default=None
)


def _trace_ids() -> tuple[str, str] | None:
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return format(context.trace_id, "032x"), format(context.span_id, "016x")


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, ids, fields, exception."""

    def __init__(self, service: str | None = None) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if self.service:
            entry["service"] = self.service
        request_id = current_request_id.get()
        if request_id is not None:
            entry["request_id"] = request_id
        ids = _trace_ids()
        if ids is not None:
            entry["trace_id"], entry["span_id"] = ids
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            for key, value in fields.items():
                entry.setdefault(key, value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode("utf-8")


class HumanFormatter(logging.Formatter):
    """``time level logger: message [request_id=... trace_id=...]`` (the terminal default)."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        tags = []
        request_id = current_request_id.get()
        if request_id is not None:
            tags.append(f"request_id={request_id}")
        ids = _trace_ids()
        if ids is not None:
            tags.append(f"trace_id={ids[0]}")
        return f"{text} [{' '.join(tags)}]" if tags else text


def log_config(settings: TelemetrySettings, level: str = "info") -> dict[str, Any] | None:
    """Return the ``logging.config.dictConfig`` for uvicorn's ``log_config``, or ``None``.

    ``None`` (human format, no access log) keeps uvicorn's own configuration, exactly as before
    this module existed. JSON sends every logger (the service's, uvicorn's) through one JSON
    handler on standard error; the human format with the access log adds that one logger.
    """
    from uvicorn.config import LOGGING_CONFIG

    if settings.log_format == "human" and not settings.access_log:
        return None
    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config["disable_existing_loggers"] = False
    if settings.log_format == "human":
        config["formatters"]["wealthtech"] = {"()": f"{__name__}.HumanFormatter"}
        config["handlers"]["wealthtech"] = {
            "class": "logging.StreamHandler",
            "formatter": "wealthtech",
            "stream": "ext://sys.stderr",
        }
        config["loggers"][ACCESS_LOGGER] = {
            "handlers": ["wealthtech"],
            "level": "INFO",
            "propagate": False,
        }
        return config
    config["formatters"] = {
        "json": {"()": f"{__name__}.JsonFormatter", "service": settings.resource_name}
    }
    config["handlers"] = {
        "json": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stderr",
        }
    }
    upper = level.upper()
    config["loggers"] = {
        "uvicorn": {"handlers": ["json"], "level": upper, "propagate": False},
        "uvicorn.error": {"level": upper},
        "uvicorn.access": {"handlers": ["json"], "level": upper, "propagate": False},
        ACCESS_LOGGER: {
            "handlers": ["json"],
            "level": "INFO" if settings.access_log else "WARNING",
            "propagate": False,
        },
    }
    config["root"] = {"handlers": ["json"], "level": upper}
    return config
