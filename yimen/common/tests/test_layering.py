"""The layering STYLE.md §1 states, as grep-able facts: the workbench is a door beside the API, not
behind it (its field labels and action registry are the domain's), and `common/` knows no domain app
(each app registers its own periodic job with the worker; the test world lives in yimen/testing.py)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the yimen package
_STRING_IMPORTERS = {"import_module", "import_string", "__import__"}


def _imports(app: str):
    """(file, imported module) for every import in `app`, tests and migrations excluded: imports inside
    functions too, relative ones resolved, `from yimen import cases` as yimen.cases, and the literal
    dotted paths given to import_module / import_string."""
    for path in sorted((ROOT / app).rglob("*.py")):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        relative = path.relative_to(ROOT)
        package = ["yimen", *relative.parent.parts]  # the package a relative import starts from
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield relative, alias.name
            elif isinstance(node, ast.ImportFrom):
                base = package[: len(package) - node.level + 1] if node.level else []
                module = ".".join([*base, *([node.module] if node.module else [])])
                yield relative, module
                for alias in node.names:
                    yield relative, f"{module}.{alias.name}"
            elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name in _STRING_IMPORTERS and isinstance(node.args[0].value, str):
                    yield relative, node.args[0].value


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_the_web_imports_nothing_from_the_api():
    offending = [f"{path}: {module}" for path, module in _imports("web") if _within(module, "yimen.api")]
    assert offending == []


def test_common_imports_no_domain_app():
    """Nothing of yimen outside common itself: no app (every package with an apps.py), nor the project's
    modules that know them (settings, urls, the test world)."""
    apps = sorted(path.parent.name for path in ROOT.glob("*/apps.py"))
    assert {"accounts", "cases", "web"} <= set(apps)  # the walk below looks where the apps are

    offending = sorted({
        f"{path}: {module}" for path, module in _imports("common")
        if _within(module, "yimen") and not _within(module, "yimen.common") and module != "yimen"
    })
    assert offending == [], "common/ must know no domain app:\n" + "\n".join(offending)
