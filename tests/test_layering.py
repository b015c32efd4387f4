"""The import graph has no upward edges: the shared core never imports a task, export or the entry points; tasks
never import export, the CLI or the demo; nothing but the old-name aliases imports an alias."""

import ast
import os

import pytest

PACKAGE = os.path.join(os.path.dirname(__file__), "..", "rnnzoo")
ALIASES = {"rnnzoo.serving", "rnnzoo.lm", "rnnzoo.seq2seq", "rnnzoo.forecasting", "rnnzoo.captioning",
           "rnnzoo.speech", "rnnzoo.trees", "rnnzoo.models"}  # old names kept for one release
ENTRY = {"rnnzoo.cli", "rnnzoo.demo"}


def _layer(module):
    """0: core, 1: tasks, 2: export, 3: entry points and the package itself, 4: aliases of old names."""
    if any(module == a or module.startswith(a + ".") for a in ALIASES):
        return 4
    if module in ENTRY or module == "rnnzoo":
        return 3
    if module.startswith("rnnzoo.export"):
        return 2
    if module.startswith("rnnzoo.tasks"):
        return 1
    return 0


def _modules():
    for root, _, files in os.walk(PACKAGE):
        for file in files:
            if file.endswith(".py"):
                path = os.path.join(root, file)
                name = os.path.relpath(path, os.path.dirname(PACKAGE))[:-3].replace(os.sep, ".")
                yield name.removesuffix(".__init__"), path


def imports(path):
    """Every rnnzoo module a file imports, at the top or inside functions."""
    found = set()
    for node in ast.walk(ast.parse(open(path).read())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module != "rnnzoo":  # `from rnnzoo import fitting` imports the submodule, not the package API
                found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    known = {name for name, _ in _modules()}
    return {m for m in found if m in known}


def upward_edges():
    edges = []
    for name, path in _modules():
        for target in imports(path):
            if _layer(target) > _layer(name) and not (name == "rnnzoo.tasks" and target == "rnnzoo.task"):
                edges.append(f"{name} (layer {_layer(name)}) imports {target} (layer {_layer(target)})")
    return edges


def test_no_module_imports_upward():
    assert upward_edges() == []


def test_the_check_sees_an_upward_edge(tmp_path, monkeypatch):
    """Guard against a check that cannot fail: a core module importing a task is reported."""
    core = os.path.join(PACKAGE, "fitting.py")
    source = open(core).read()
    monkeypatch.setattr("builtins.open", _patched_open(core, source + "\nfrom rnnzoo.tasks.seq2seq import model\n"))
    assert any(e.startswith("rnnzoo.fitting (layer 0) imports rnnzoo.tasks.seq2seq") for e in upward_edges())


def _patched_open(path, text):
    import io

    real = open

    def fake(file, *args, **kwargs):
        if os.path.abspath(file) == os.path.abspath(path):
            return io.StringIO(text)
        return real(file, *args, **kwargs)

    return fake


@pytest.mark.parametrize("pattern", ["task ==", "task in (", "task !=", "task not in"])
def test_no_task_name_dispatch_outside_task_definitions(pattern):
    offenders = [name for name, path in _modules() if pattern in open(path).read()]
    assert offenders == []
