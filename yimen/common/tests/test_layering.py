"""The layering STYLE.md §1 states, as a grep-able fact: the workbench is a door beside the API, not
behind it (its field labels and action registry are the domain's)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the yimen package


def _imports(app: str):
    """(file, imported module) for every import in `app`, tests excluded."""
    for path in (ROOT / app).rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield path.relative_to(ROOT), alias.name
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                yield path.relative_to(ROOT), node.module


def test_the_web_imports_nothing_from_the_api():
    offending = [f"{path}: {module}" for path, module in _imports("web") if module.split(".")[:2] == ["yimen", "api"]]
    assert offending == []
