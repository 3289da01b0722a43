"""The floors of DESIGN.md §2, read from the source: no import runs back up, and no two apps
import each other. Test support (`tests/`, `testing/` packages) assembles the product from above
(a test server serves the project's URLs) and is not part of a floor."""

import ast
import pathlib

import pytest
from django.conf import settings

# What each app may import, besides itself: the floors below it (DESIGN.md §2).
MAY_IMPORT = {
    "core": set(),
    "accounts": {"core"},
    "billing": {"accounts", "core"},
    "usage": {"billing", "accounts", "core"},
    "milestones": {"accounts", "core"},
    "tasks": {"milestones", "usage", "billing", "accounts", "core"},
    "reminders": {"tasks", "milestones", "usage", "billing", "accounts", "core"},
    "ops": {"reminders", "tasks", "milestones", "usage", "billing", "accounts", "core"},
    "creatorcompass": {"ops", "reminders", "tasks", "milestones", "usage", "billing", "accounts", "core"},
}
EXEMPT_PACKAGES = {"tests", "testing"}


def imported_apps(source):
    """The project apps a module's source imports (at any depth: imports inside functions too)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found.update(name.split(".")[0] for name in names if name.split(".")[0] in MAY_IMPORT)
    return found


def upward_imports(modules):
    """(module path, app, imported app) for each import of `modules` ((app, path, source)) that
    runs back up or sideways out of the app's floors."""
    return [
        (path, app, target)
        for app, path, source in modules
        for target in sorted(imported_apps(source) - {app})
        if target not in MAY_IMPORT[app]
    ]


def product_modules():
    root = pathlib.Path(settings.BASE_DIR)
    for app in MAY_IMPORT:
        for path in sorted((root / app).rglob("*.py")):
            if not EXEMPT_PACKAGES & set(path.relative_to(root).parts):
                yield app, str(path.relative_to(root)), path.read_text()


def test_every_app_is_on_a_floor_and_the_floors_form_no_circle():
    apps = {name.split(".")[0] for name in settings.INSTALLED_APPS} | {"creatorcompass"}
    assert set(MAY_IMPORT) <= apps | {"creatorcompass"}
    project_apps = {p.name for p in pathlib.Path(settings.BASE_DIR).iterdir() if (p / "apps.py").exists()}
    assert project_apps <= set(MAY_IMPORT), f"an app with no floor: {project_apps - set(MAY_IMPORT)}"
    for app, allowed in MAY_IMPORT.items():
        for lower in allowed:
            assert app not in MAY_IMPORT[lower], f"{app} and {lower} may import each other"


def test_no_import_runs_back_up():
    modules = list(product_modules())
    assert len(modules) > 100  # the walk found the project
    assert upward_imports(modules) == []


@pytest.mark.parametrize(
    ("app", "source", "target"),
    [
        # The import this test was written to remove (milestones' checks completing a task).
        ("milestones", "from tasks.services.completion import task_complete\n", "tasks"),
        ("accounts", "def f():\n    from billing.selectors import plan_for\n", "billing"),
        ("billing", "import usage.services\n", "usage"),
        ("core", "from accounts import models\n", "accounts"),
        ("tasks", "from ops import audit\n", "ops"),
    ],
)
def test_a_planted_upward_import_is_found(app, source, target):
    assert upward_imports([(app, f"{app}/planted.py", source)]) == [(f"{app}/planted.py", app, target)]


def imported_modules(path, source, known):
    """The project modules (dotted names in `known`) a module's source imports, at any depth.
    `from package import name` counts as importing package.name when that is a module."""
    package = path.removesuffix(".py").replace("/", ".").removesuffix(".__init__").rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}".rstrip(".")
            candidates = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        found.update(name for name in candidates if name in known)
    return found


def import_circles(modules):
    """Each set of modules ((path, source)) that import each other in a loop (Tarjan's strongly
    connected components of more than one module, or a module importing itself)."""
    names = {path.removesuffix(".py").replace("/", ".").removesuffix(".__init__"): (path, source)
             for path, source in modules}
    graph = {name: imported_modules(path, source, names) - {name} for name, (path, source) in names.items()}
    index, low, stack, on_stack, circles = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for name in sorted(graph):
        if name not in index:
            visit(name)
    return sorted(circles)


def test_no_two_modules_import_each_other():
    modules = [(path, source) for _, path, source in product_modules()]
    assert import_circles(modules) == []


def test_a_planted_circle_is_found():
    modules = [
        ("billing/jobs.py", "def f():\n    from billing.services.checkout import invoice_is_paid\n"),
        ("billing/services/checkout.py", "from .stripe_sync import price_for\n"),
        ("billing/services/stripe_sync.py", "from billing import jobs\n"),
        ("billing/services/__init__.py", ""),
        ("billing/__init__.py", ""),
    ]
    assert import_circles(modules) == [["billing.jobs", "billing.services.checkout", "billing.services.stripe_sync"]]
