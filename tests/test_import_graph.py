"""lrcore's modules import each other without cycles (every import statement counts, in functions too)."""

from __future__ import annotations

import ast
import pathlib

import lrcore

PACKAGE = pathlib.Path(lrcore.__file__).resolve().parent


def _modules() -> dict[str, tuple[pathlib.Path, bool]]:
    """module name -> (file, is a package)."""
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        out[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return out


def import_graph() -> dict[str, set[str]]:
    """module -> the lrcore modules its import statements name (``from . import x`` names ``lrcore.x``)."""
    modules = _modules()
    graph = {}
    for name, (path, is_package) in modules.items():
        package = name if is_package else name.rpartition(".")[0]
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                for alias in node.names:
                    sub = f"{source}.{alias.name}"
                    targets.add(sub if sub in modules else source)
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle (as a path that ends where it starts), or None."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_no_import_cycles():
    graph = import_graph()
    assert {"lrcore", "lrcore.schedule", "lrcore.combinators", "lrcore.backends.jax"} <= set(graph)
    assert "lrcore.schedule" in graph["lrcore.combinators"]  # the graph sees relative imports
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_cycle_finder_finds_cycles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_no_star_imports_and_no_ambient_switches():
    """Names an editor can find: no ``from x import *``; validation is switched by an
    explicit argument (``Definition.build(array_levels=...)``), never by a ContextVar."""
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                assert all(a.name != "*" for a in node.names), f"{path.name}: star-import from {node.module}"
                assert node.module != "contextvars", f"{path.name} imports contextvars"
            if isinstance(node, ast.Import):
                assert all(a.name != "contextvars" for a in node.names), f"{path.name} imports contextvars"


SCHEDULE_MODULES = ("decay", "cyclic", "cosine", "piecewise", "transformer", "combinators")


def test_schedule_modules_raise_nothing_themselves():
    """One validation module: every argument check, cross-parameter ones included, raises
    from ``lrcore.validate``; a schedule module computes what a check needs and calls it."""
    for module in SCHEDULE_MODULES:
        path = PACKAGE / f"{module}.py"
        tree = ast.parse(path.read_text(), str(path))
        assert any(isinstance(node, ast.FunctionDef) for node in ast.walk(tree)), path  # a real module
        raises = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Raise)]
        assert not raises, f"{path.name} raises at line(s) {raises}: move the check into lrcore/validate.py"


def test_raise_finder_sees_a_raise():
    tree = ast.parse("def f(x):\n    if x:\n        raise ValueError(x)\n")
    assert [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Raise)] == [3]
