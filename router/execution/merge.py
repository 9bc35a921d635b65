"""Merging subgraph results into the response tree in place, and finding objects at a path."""

from __future__ import annotations

from typing import Any

Path = tuple[str | int, ...]


def merge_into(
    target: dict[str, Any], source: dict[str, Any], object_types: frozenset[str]
) -> None:
    """Deep-merge `source` into `target` without copying.

    `__typename` is only replaced when the current one is not a concrete type of the API (an
    `@interfaceObject` answers with its interface's name; a later fetch learns the real type).
    """
    for key, value in source.items():
        current = target.get(key)
        if current is None:
            target[key] = value
        elif isinstance(current, dict) and isinstance(value, dict):
            merge_into(current, value, object_types)
        elif isinstance(current, list) and isinstance(value, list) and len(current) == len(value):
            for index, (old, new) in enumerate(zip(current, value, strict=True)):
                if isinstance(old, dict) and isinstance(new, dict):
                    merge_into(old, new, object_types)
                elif new is not None or old is None:
                    current[index] = new
        elif key == "__typename":
            if current not in object_types:
                target[key] = value
        else:
            target[key] = value


def objects_at(data: Any, path: tuple[str, ...]) -> list[dict[str, Any]]:
    """Return every object found at `path` ("@" walks list elements)."""
    found: list[dict[str, Any]] = []
    _collect(data, path, 0, found)
    return found


def _collect(value: Any, path: tuple[str, ...], index: int, found: list[dict[str, Any]]) -> None:
    if value is None:
        return
    if index == len(path):
        if isinstance(value, dict):
            found.append(value)
        elif isinstance(value, list):  # a list below the last segment: its elements
            for element in value:
                _collect(element, path, index, found)
        return
    segment = path[index]
    if segment == "@":
        if isinstance(value, list):
            last = index + 1 == len(path)
            for element in value:
                if last and isinstance(element, dict):
                    found.append(element)  # the common `list.@` end, without a call per item
                else:
                    _collect(element, path, index + 1, found)
    elif isinstance(value, dict):
        _collect(value.get(segment), path, index + 1, found)


def paths_at(data: Any, path: tuple[str, ...]) -> dict[int, list[Path]]:
    """Response paths of the objects at `path`, by object identity (only needed for errors)."""
    found: dict[int, list[Path]] = {}
    _walk(data, path, 0, (), found)
    return found


def _walk(
    value: Any,
    path: tuple[str, ...],
    index: int,
    at: Path,
    found: dict[int, list[Path]],
) -> None:
    if value is None:
        return
    if index == len(path):
        if isinstance(value, dict):
            found.setdefault(id(value), []).append(at)
        elif isinstance(value, list):
            for position, element in enumerate(value):
                _walk(element, path, index, (*at, position), found)
        return
    segment = path[index]
    if segment == "@":
        if isinstance(value, list):
            for position, element in enumerate(value):
                _walk(element, path, index + 1, (*at, position), found)
    elif isinstance(value, dict):
        _walk(value.get(segment), path, index + 1, (*at, segment), found)
