"""House rules of the subgraphs, checked on the source (AST) rather than remembered.

* a subgraph imports the kit and itself, never another subgraph; the kit imports no subgraph;
* only the request's unit of work commits (services and repositories never call ``commit()``);
* no ``float`` in subgraph code: money, quantities and prices are ``Decimal``;
* no engine is created at import time (module level);
* engines are built only by ``kit.database.create_engine_for`` (``hide_parameters=True``).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SUBGRAPHS = Path(__file__).resolve().parents[3] / "subgraphs"
PACKAGES = sorted(p.name for p in SUBGRAPHS.iterdir() if (p / "__init__.py").exists())
# unit_of_work.py: the one place a request commits; the audit relay commits its own (non-request)
# bookkeeping of which outbox rows were acknowledged.
COMMITTERS = {SUBGRAPHS / "kit" / "unit_of_work.py", SUBGRAPHS / "kit" / "audit.py"}
FLOAT_ALLOWED = {SUBGRAPHS / "kit" / "settings.py"}  # timeouts in seconds are not money


def _sources(package: str) -> Iterator[Path]:
    yield from sorted((SUBGRAPHS / package).rglob("*.py"))


def _imported_modules(tree: ast.AST) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def test_there_are_packages_to_check() -> None:
    assert {"kit", "users"} <= set(PACKAGES)


@pytest.mark.parametrize("package", PACKAGES)
def test_subgraphs_do_not_import_each_other(package: str) -> None:
    allowed = {package} if package == "kit" else {package, "kit"}
    offences = []
    for path in _sources(package):
        for module in _imported_modules(ast.parse(path.read_text(encoding="utf-8"))):
            parts = module.split(".")
            if parts[0] == "subgraphs" and len(parts) > 1 and parts[1] not in allowed:
                offences.append(f"{path.relative_to(SUBGRAPHS)} imports {module}")
    assert offences == []


@pytest.mark.parametrize("package", PACKAGES)
def test_only_the_request_commits(package: str) -> None:
    offences = []
    for path in _sources(package):
        if path in COMMITTERS:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "commit"
            ):
                offences.append(f"{path.relative_to(SUBGRAPHS)}:{node.lineno}")
    assert offences == []


@pytest.mark.parametrize("package", PACKAGES)
def test_no_float(package: str) -> None:
    offences = []
    for path in _sources(package):
        if path in FLOAT_ALLOWED:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Name) and node.id == "float":
                offences.append(f"{path.relative_to(SUBGRAPHS)}:{node.lineno}")
    assert offences == []


@pytest.mark.parametrize("package", PACKAGES)
def test_no_engine_at_import_time(package: str) -> None:
    offences = []
    for path in _sources(package):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for statement in tree.body:  # module level only; functions may build engines
            if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                continue
            for node in ast.walk(statement):
                if isinstance(node, ast.Call):
                    name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                    if name in {
                        "create_async_engine",
                        "create_engine",
                        "create_engine_for",
                        "Database",
                    }:
                        offences.append(f"{path.relative_to(SUBGRAPHS)}:{node.lineno}")
    assert offences == []


def test_engines_are_built_in_one_place() -> None:
    # Every engine must hide statement parameters from its errors (personal data); one builder
    # guarantees it, so nothing else in the subgraphs may call SQLAlchemy's engine factories.
    builder = SUBGRAPHS / "kit" / "database.py"
    offences = []
    for package in PACKAGES:
        for path in _sources(package):
            if path == builder:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call):
                    name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                    if name in {"create_async_engine", "create_engine"}:
                        offences.append(f"{path.relative_to(SUBGRAPHS)}:{node.lineno}")
    assert offences == []
