"""House rules for crypto/, checked on the source (it imports nothing from the project)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

CRYPTO = Path(__file__).resolve().parents[2] / "crypto"
THIRD_PARTY = {"cryptography", "sqlalchemy", "strawberry", "graphql"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative imports stay inside the package
                continue
            assert node.module is not None
            found.add(node.module.split(".")[0])
    return found


def test_crypto_imports_only_itself_the_stdlib_and_its_declared_libraries() -> None:
    files = sorted(CRYPTO.glob("**/*.py"))
    assert len(files) >= 10
    for path in files:
        outside = _imports(path) - {"crypto"} - THIRD_PARTY - set(sys.stdlib_module_names)
        assert not outside, f"{path.name} imports {sorted(outside)}"


_FORBIDDEN_ATTRIBUTES = {"environ", "getenv", "read_text", "read_bytes", "urandom", "token_bytes"}
_FORBIDDEN_CALLS = {"open", "getenv"}


def _import_time_statements(body: list[ast.stmt]) -> list[ast.stmt]:
    """Statements that run when the module is imported (function bodies do not)."""
    running: list[ast.stmt] = []
    for statement in body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            running.extend(statement.decorator_list)  # type: ignore[arg-type]
        elif isinstance(statement, ast.ClassDef):
            running.extend(_import_time_statements(statement.body))
        else:
            running.append(statement)
    return running


def test_nothing_reads_keys_or_the_environment_at_import_time() -> None:
    for path in sorted(CRYPTO.glob("**/*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for statement in _import_time_statements(tree.body):
            for node in ast.walk(statement):
                if isinstance(node, ast.Attribute):
                    assert node.attr not in _FORBIDDEN_ATTRIBUTES, (path.name, ast.unparse(node))
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                    assert node.func.id not in _FORBIDDEN_CALLS, (path.name, ast.unparse(node))
