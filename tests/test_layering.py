"""The import graph has no upward edges and no cycles (function-level imports included).

Layers, bottom to top: the core; the export writers (`rnnzoo.export.*`, which take a resolved trained model);
the trained-model object and the training loop (`rnnzoo.trained`, `fitting`, `training`); the tasks; the front
doors (the package, the `rnnzoo.export` facade, the CLI and the demo)."""

import ast
import os

import pytest

PACKAGE = os.path.join(os.path.dirname(__file__), "..", "rnnzoo")
OBJECT = {"rnnzoo.trained", "rnnzoo.fitting", "rnnzoo.training", "rnnzoo.diagnostics"}
FRONT = {"rnnzoo", "rnnzoo.__main__", "rnnzoo.export", "rnnzoo.cli", "rnnzoo.demo"}


def _layer(module):
    """0: core, 1: export writers, 2: the trained-model object, 3: tasks, 4: front doors."""
    if module in FRONT:
        return 4
    if module.startswith("rnnzoo.tasks"):
        return 3
    if module in OBJECT:
        return 2
    if module.startswith("rnnzoo.export."):
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


def graph():
    """module → the rnnzoo modules it imports, leaving out a module's import of its own parent package."""
    return {name: {t for t in imports(path) if t != name and not name.startswith(t + ".")}
            for name, path in _modules()}


def cycles():
    """The strongly connected components of more than one module (each an import cycle), sorted."""
    edges, index, low, stack, on, found = graph(), {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return sorted(found)


def test_no_module_imports_upward():
    assert upward_edges() == []


def test_the_import_graph_has_no_cycle():
    assert cycles() == []


def test_the_check_sees_a_cycle(monkeypatch):
    """Guard against a check that cannot fail: a function-level import of the object back into the core's
    evaluation module (which the object imports) is a cycle."""
    core = os.path.join(PACKAGE, "evaluation.py")
    source = open(core).read()
    monkeypatch.setattr("builtins.open", _patched_open(core, source + "\n\ndef f():\n    from rnnzoo.trained import "
                                                                       "TrainedModel\n"))
    assert any({"rnnzoo.evaluation", "rnnzoo.trained"} <= set(c) for c in cycles())


def test_the_check_sees_an_upward_edge(tmp_path, monkeypatch):
    """Guard against a check that cannot fail: a core module importing a task is reported."""
    core = os.path.join(PACKAGE, "evaluation.py")
    source = open(core).read()
    monkeypatch.setattr("builtins.open", _patched_open(core, source + "\nfrom rnnzoo.tasks.seq2seq import model\n"))
    assert any(e.startswith("rnnzoo.evaluation (layer 0) imports rnnzoo.tasks.seq2seq") for e in upward_edges())


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


def test_library_code_prints_nothing_on_standard_output():
    """Only the front doors (the CLI and the demo) print results; library code writes notices to standard error,
    and only when asked (verbose)."""
    found = []
    for name, path in _modules():
        if name in ("rnnzoo.cli", "rnnzoo.demo", "rnnzoo.__main__"):
            continue
        for node in ast.walk(ast.parse(open(path).read())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print" \
                    and not any(k.arg == "file" for k in node.keywords):
                found.append(f"{name}:{node.lineno}")
    assert not found, found
