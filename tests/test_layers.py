"""The apps point one way: a lower app never imports a higher one, and views import no views."""

import ast
from pathlib import Path

import pytest
from django.conf import settings

# Bottom to top. History is below people because people's teams keep a change history too.
LAYERS = ["history", "people", "customers", "sales", "dataio", "automation"]
ROOT = Path(settings.BASE_DIR)


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def sources(app: str) -> list[Path]:
    return sorted(p for p in (ROOT / app).rglob("*.py") if "migrations" not in p.parts)


@pytest.mark.parametrize("app", LAYERS)
def test_an_app_imports_only_the_apps_below_it(app):
    higher = set(LAYERS[LAYERS.index(app) + 1 :])
    wrong = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in sources(app)
        for name in sorted(imported_modules(path))
        if name.split(".")[0] in higher
    ]
    assert wrong == []


@pytest.mark.parametrize("app", LAYERS)
def test_views_and_api_modules_import_no_views_module(app):
    wrong = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in sources(app)
        if {"views", "api"} & set(path.relative_to(ROOT).parts[:-1])
        for name in sorted(imported_modules(path))
        if name.split(".")[0] in LAYERS and "views" in name.split(".")[1:]
    ]
    assert wrong == []
