"""Imports between accord's packages point one way: down the layers below.

Every ``import accord...`` and ``from accord... import`` counts, wherever it is written: at the
top of a module, inside a function, or under ``if TYPE_CHECKING:``. A package may import its own
modules and any package in a lower layer, never one above. docs/architecture.md draws the layers.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parent.parent / "src" / "accord"

# Bottom to top. A name is a package (a directory) or a top-level module of accord.
LAYERS: list[str] = [
    "models",  # the tables
    "observability",  # metrics, logs, request ids: needs nothing of accord
    "settings",
    "core",  # ids, errors, numbers, text, locale, dates, visibility, tables, auth, caches
    "db",
    "migrations",
    "search",  # the full-text matching SQL
    "media",  # images: processing (Pillow), storage, variants on disk, export records
    "content",  # the content model, its records and document format, loading them
    "read",
    "write",
    "schedule",  # the scheduler and what is due: publishes through the writer
    "schema",  # the strawberry types, derived from the content model
    "fastpath",  # SQL that builds JSON, derived from the content model
    "operation",  # one operation's life: prepare, check, run
    "live",
    "feeds",
    "http",
    "web",
    "push",  # webhooks and the WebSub hub, their GraphQL admin fields (handed to the schema)
    "migrate",
    "startup",
    "services",  # wiring
    "app",
    "cli",
]
RANK = {name: rank for rank, name in enumerate(LAYERS)}


def _package(module: str) -> str:
    """``accord.read.lists`` -> ``read``; ``accord.settings`` -> ``settings``."""
    return module.split(".")[1]


def _module_name(path: Path) -> str:
    parts = path.relative_to(SOURCE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, imported accord module) of every import in a file, nested and conditional included."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("accord."):
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.ImportFrom) and node.module == "accord":
            found += [(node.lineno, f"accord.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if alias.name.startswith("accord.")]
    return found


SOURCES = sorted(SOURCE.rglob("*.py"))


def test_every_package_has_a_layer() -> None:
    packages = {_package(_module_name(path)) for path in SOURCES if _module_name(path) != "accord"}
    assert packages - set(LAYERS) == set(), "add the new package to LAYERS (and docs/architecture.md)"


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: _module_name(path))
def test_imports_point_down(path: Path) -> None:
    module = _module_name(path)
    if module == "accord":
        return
    own = _package(module)
    upward = [
        f"line {line}: {module} imports {imported} ({_package(imported)} is above {own})"
        for line, imported in imports_of(path)
        if _package(imported) != own and RANK[_package(imported)] > RANK[own]
    ]
    assert upward == []


def test_the_checker_sees_upward_imports(tmp_path: Path) -> None:
    """The rule can fail: a conditional, nested import of a higher package is found."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from accord.services import Services\n"
        "def later() -> None:\n"
        "    import accord.http.apq\n",
        encoding="utf-8",
    )
    assert imports_of(sample) == [(3, "accord.services"), (5, "accord.http.apq")]
