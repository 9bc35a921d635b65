"""The router's configuration file: ``python -m router --config router.yaml`` (``ROUTER_CONFIG``).

One flat YAML mapping whose keys are the router's settings, named as their environment variables
without the ``ROUTER_`` prefix, in lower case (``port``, ``auth_mode``, ``subgraph_read_timeout``,
``header_rules``, ...): the fields of :class:`~router.settings.RouterSettings`,
:class:`~router.auth.settings.SecuritySettings` and :class:`~router.rest.settings.RestSettings`.
``deploy/router.example.yaml`` lists every key with its default and meaning, and a test keeps it
complete. Precedence: command-line options, then the environment (a variable that is set wins
over the file's key), then the file, then the defaults.

Everything is validated before the router starts; :class:`ConfigError` lists every problem at
once, each prefixed with the file and the key (``router.yaml: subgraph_read_timeout: Input should
be greater than 0``), never quoting a value (the file may hold a secret).
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_settings import BaseSettings

from router.auth.settings import SecuritySettings
from router.rest.settings import RestSettings
from router.settings import RouterSettings

__all__ = ["CONFIG_ENV", "ConfigError", "RouterConfig", "load_router_config", "setting_keys"]

CONFIG_ENV = "ROUTER_CONFIG"
_PREFIX = "ROUTER_"
# Settings read from a variable of another name than ROUTER_<KEY>.
_ENV_NAMES = {"data_dir": "WEALTHTECH_DATA_DIR"}
_CLASSES: tuple[type[BaseSettings], ...] = (RouterSettings, SecuritySettings, RestSettings)


class ConfigError(ValueError):
    """The configuration file (or a setting) is invalid; the message lists every problem."""


@dataclass(frozen=True)
class RouterConfig:
    """The router's settings, from the file (if any) and the environment."""

    router: RouterSettings
    security: SecuritySettings
    rest: RestSettings
    path: Path | None = None


def setting_keys() -> dict[str, tuple[type[BaseSettings], ...]]:
    """Return every key the file accepts, with the settings classes that read it."""
    keys: dict[str, tuple[type[BaseSettings], ...]] = {}
    for cls in _CLASSES:
        for name in cls.model_fields:
            keys[name] = (*keys.get(name, ()), cls)
    return keys


def env_name(key: str) -> str:
    """Return the environment variable that overrides ``key`` (``port`` -> ``ROUTER_PORT``)."""
    return _ENV_NAMES.get(key, _PREFIX + key.upper())


def load_router_config(
    path: str | os.PathLike[str] | None = None,
    *,
    overrides: Mapping[str, Any] | None = None,
) -> RouterConfig:
    """Read ``path`` (``None``: only the environment) and build the three settings objects.

    ``overrides`` (command-line options) win over everything. Raises :class:`ConfigError`.
    """
    env = os.environ
    where = str(path) if path is not None else "settings"
    values = _read(Path(path)) if path is not None else {}
    keys = setting_keys()
    problems = [_unknown(where, key, keys) for key in values if key not in keys]
    # A variable that is set wins over the file (the settings classes read it themselves).
    from_file = {k: v for k, v in values.items() if k in keys and env_name(k) not in env}
    chosen = {**from_file, **(overrides or {})}
    built: dict[type[BaseSettings], BaseSettings] = {}
    for cls in _CLASSES:
        mine = {k: v for k, v in chosen.items() if cls in keys.get(k, ())}
        try:
            built[cls] = cls(**mine)
        except ValidationError as exc:
            problems.extend(_describe(where, exc, env))
    if problems:
        raise ConfigError("\n".join(problems))
    router, security, rest = (built[cls] for cls in _CLASSES)
    assert isinstance(router, RouterSettings)
    assert isinstance(security, SecuritySettings)
    assert isinstance(rest, RestSettings)
    return RouterConfig(router, security, rest, Path(path) if path is not None else None)


def _read(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror or exc}") from None
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise ConfigError(f"{path}: {problem}{at}") from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict) or not all(isinstance(k, str) for k in loaded):
        raise ConfigError(f"{path}: the file must be a mapping of setting names to values")
    return loaded


def _unknown(where: str, key: str, keys: Mapping[str, object]) -> str:
    close = difflib.get_close_matches(key.lower(), list(keys), n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"{where}: unknown setting '{key}'{hint}"


def _describe(where: str, exc: ValidationError, env: Mapping[str, str]) -> list[str]:
    lines = []
    for error in exc.errors(include_input=False, include_url=False):
        location = ".".join(str(part) for part in error["loc"]) or "(settings)"
        key = str(error["loc"][0]) if error["loc"] else ""
        # Say where the bad value came from: the variable, when it is set, else the file.
        source = env_name(key) if key and env_name(key) in env else where
        lines.append(f"{source}: {location}: {error['msg']}")
    return lines
