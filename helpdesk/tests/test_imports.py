"""The project's modules import each other without a cycle, and only at the top of a module."""

import ast
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("accounts", "departments", "helpdesk", "privacy", "tickets", "bench")


def _module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _project_modules():
    modules = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            relative = path.relative_to(ROOT).parts
            if "migrations" in relative or "tests" in relative:
                continue
            modules[_module_name(path)] = path
    return modules


MODULES = _project_modules()


def _targets(node, module):
    """The project modules an import statement names."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        assert node.level == 0, f"{module}: the project imports absolutely"
        base = node.module
        names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]
    return {name for name in names if name in MODULES}


def _imports(module):
    """(top-level imports, imports inside a function or class) of a module, as project modules."""
    tree = ast.parse(MODULES[module].read_text())
    top, nested = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            (top if node in tree.body else nested).update(_targets(node, module))
    return top, nested


def test_the_modules_of_the_project_import_each_other_without_a_cycle():
    # Every import counts, at the top or inside a function: AppConfig.ready's run once all is loaded.
    graph = {module: set.union(*_imports(module)) if not module.endswith(".apps") else set() for module in MODULES}
    state, cycles = {}, []

    def visit(module, path):
        state[module] = "visiting"
        for target in sorted(graph[module]):
            if state.get(target) == "visiting":
                cycles.append(path[path.index(target) :] + [target])
            elif target not in state:
                visit(target, [*path, target])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_no_project_module_is_imported_inside_a_function_but_by_an_app_config():
    # AppConfig.ready is where Django wants signal receivers imported: the app registry is ready only then.
    nested = {module: _imports(module)[1] for module in MODULES if not module.endswith(".apps")}
    assert {module: targets for module, targets in nested.items() if targets} == {}


def test_the_models_import_neither_email_nor_notification_code():
    for module in MODULES:
        if module.startswith("tickets.models"):
            top, nested = _imports(module)
            assert not {
                target
                for target in top | nested
                if target.startswith(("tickets.email", "tickets.notify", "tickets.tasks"))
            }, module


def test_the_import_graph_sees_an_import_a_module_makes():
    # The checks above would pass on an empty graph: make sure it is read.
    top, _nested = _imports("tickets.notify")
    assert {"tickets.signals", "tickets.models", "tickets.tasks.mail"} <= top
    assert importlib.util.find_spec("tickets.notify") is not None
