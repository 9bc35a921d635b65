"""Find a subgraph's own settings, table metadata and schema by its name, for operator commands.

Operator commands (keys, compose) work on each subgraph through the subgraph's own modules:
``subgraphs.<name>.settings`` (its ``SubgraphSettings`` subclass, so the environment prefix and the
default database are the service's), ``subgraphs.<name>.models`` (``Base.metadata``: the tables
and their sealed columns) and ``subgraphs.<name>.schema`` (``schema``, for the SDL). Imports happen
on demand, so a command about one subgraph never imports the others.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

from sqlalchemy import MetaData

from subgraphs.kit import SubgraphSettings

from .services import SUBGRAPHS

__all__ = ["SUBGRAPH_NAMES", "check_names", "load_metadata", "load_schema", "load_settings"]

SUBGRAPH_NAMES: tuple[str, ...] = tuple(service.name for service in SUBGRAPHS)


def check_names(names: list[str] | None) -> list[str]:
    """Return ``names`` (default: every subgraph); an unknown name is a ``ValueError``."""
    if not names:
        return list(SUBGRAPH_NAMES)
    unknown = [name for name in names if name not in SUBGRAPH_NAMES]
    if unknown:
        raise ValueError(
            f"unknown subgraph {', '.join(unknown)} (known: {', '.join(SUBGRAPH_NAMES)})"
        )
    return list(dict.fromkeys(names))


def _module(name: str, part: str) -> Any:
    try:
        return importlib.import_module(f"subgraphs.{name}.{part}")
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith(f"subgraphs.{name}"):
            raise ValueError(
                f"the {name} subgraph has no {part} module (not available yet)"
            ) from exc
        raise


def load_settings(name: str) -> SubgraphSettings:
    """Return the subgraph's settings, read from the environment as the service reads them."""
    module = _module(name, "settings")
    for _, value in inspect.getmembers(module, inspect.isclass):
        if (
            issubclass(value, SubgraphSettings)
            and value is not SubgraphSettings
            and value.subgraph == name
        ):
            settings: SubgraphSettings = value()
            return settings
    raise ValueError(f"subgraphs.{name}.settings defines no settings class for {name!r}")


def load_metadata(name: str) -> MetaData:
    """Return the subgraph's table metadata (``subgraphs.<name>.models.Base.metadata``)."""
    metadata = getattr(getattr(_module(name, "models"), "Base", None), "metadata", None)
    if not isinstance(metadata, MetaData):
        raise ValueError(f"subgraphs.{name}.models has no Base.metadata")
    return metadata


def load_schema(name: str) -> Any:
    """Return the subgraph's Strawberry schema (``subgraphs.<name>.schema.schema``)."""
    schema = getattr(_module(name, "schema"), "schema", None)
    if schema is None:
        raise ValueError(f"subgraphs.{name}.schema has no schema object")
    return schema
