"""lrcore's modules import each other without cycles (every import statement counts, in functions too)."""

from __future__ import annotations

import ast
import importlib.util
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


# -- what a schedule knows is declared at its registration ------------------------------------------
TESTS = pathlib.Path(__file__).resolve().parent


def _string_literals(node) -> list[str]:
    """The strings a comparison operand spells out: a string, or a tuple/list/set of them."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return [s for item in node.elts for s in _string_literals(item)]
    return []


def _names_a_schedule(node) -> bool:
    """Whether an operand reads a name: ``name``, ``s.name``, ``schedule._name``, ``d["name"]``,
    ``d.get("name")`` (anything whose identifier ends in ``name``)."""
    if isinstance(node, ast.Name):
        return node.id.endswith("name")
    if isinstance(node, ast.Attribute):
        return node.attr.endswith("name")
    if isinstance(node, ast.Subscript):
        return _string_literals(node.slice) == ["name"]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get":
        return bool(node.args) and _string_literals(node.args[0]) == ["name"]
    return False


def name_switches(source: str, names) -> list[tuple[int, str, str]]:
    """``(line, function, name)`` of every comparison of a name with one of ``names`` spelled as a
    string literal (``s.name == "join"``, ``name in ("cyclic", "onecycle")``, ``match name:`` …
    ``case "warmup":``); ``function`` is the one it is in ("" at module level)."""
    found = []

    def visit(node, function):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            function = node.name
        literals = []
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            if any(_names_a_schedule(o) for o in operands):
                literals = [s for o in operands for s in _string_literals(o)]
        elif isinstance(node, ast.Match) and _names_a_schedule(node.subject):
            patterns = [p for case in node.cases for p in ast.walk(case.pattern) if isinstance(p, ast.MatchValue)]
            literals = [s for p in patterns for s in _string_literals(p.value)]
        found.extend((node.lineno, function, s) for s in literals if s in names)
        for child in ast.iter_child_nodes(node):
            visit(child, function)

    visit(ast.parse(source), "")
    return sorted(found)


#: Comparisons still to replace by a declaration, as (file, function, name); an entry that no
#: longer matches fails the test.
NOT_YET_DECLARED: set = set()


def test_nothing_generic_compares_a_schedule_name():
    """Generic code (serialization, combinators, plots, adapters, CLI, the tests' helpers) reads
    what a schedule declares at registration; only a schedule's own module spells its name."""
    from lrcore.schedule import REGISTRY

    owner = {name: REGISTRY[name].evaluate.__module__ for name in REGISTRY}
    helpers = [p for p in TESTS.glob("*.py") if not p.name.startswith("test_")]
    assert {"examples.py", "helpers.py", "conftest.py"} <= {p.name for p in helpers}
    found = set()
    for path in [*PACKAGE.rglob("*.py"), *helpers]:
        module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts) if PACKAGE in path.parents else None
        for line, function, name in name_switches(path.read_text(), set(REGISTRY)):
            if owner[name] != module:
                found.add((path.name, function, name, line))
    problems = [f for f in found if f[:3] not in NOT_YET_DECLARED]
    assert not problems, "declare it at the schedule's registration instead: " + ", ".join(
        f"{file}:{line} ({function}) compares with {name!r}" for file, function, name, line in sorted(problems)
    )
    assert NOT_YET_DECLARED <= {f[:3] for f in found}, "remove the entries that no longer match"


def test_name_switch_finder_sees_the_forms_of_a_switch():
    names = {"join", "warmup", "cyclic", "onecycle", "linear"}
    source = (
        "if s.name == 'join':\n    pass\n"
        "def f(name, d):\n"
        "    if name in ('cyclic', 'onecycle') or d['name'] == 'join' or d.get('name') == 'warmup':\n        pass\n"
        "    x = schedule._name != \"warmup\"\n"
        "    match name:\n        case 'warmup':\n            pass\n"
        "    if backend == 'tensorflow' or key == 'schedule' or shape == 'linear':\n        pass\n"
    )
    assert name_switches(source, names) == [
        (1, "", "join"), (4, "f", "cyclic"), (4, "f", "join"), (4, "f", "onecycle"), (4, "f", "warmup"),
        (6, "f", "warmup"), (7, "f", "warmup"),
    ]


# -- objects talk through public methods ----------------------------------------------------------------
#: Private attributes of third-party objects that lrcore reads because the library has no public one.
THIRD_PARTY_PRIVATE = {
    # A Keras metric's direction ("up"/"down"), read as Keras' own callbacks read it to resolve
    # mode="auto": https://github.com/keras-team/keras/blob/master/keras/src/callbacks/monitor_callback.py
    ("backends/keras.py", "_direction"),
}
#: The core's evaluation protocol: a combinator evaluates its children (``Schedule._evaluate``), and
#: the Schedule class and its module read their instances' slots.
CORE_PROTOCOL = ("schedule.py", "combinators.py", "stochastic.py")  # combinators evaluate their children
_NAMEDTUPLE_API = {"_replace", "_asdict", "_fields", "_make"}


def _module_names(tree, path: pathlib.Path) -> set[str]:
    """The names ``path`` binds to modules by its imports (a module's private names are not an
    object's attributes)."""
    package = ".".join(path.relative_to(PACKAGE.parent).parent.parts)
    bound = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            bound |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            source = ".".join(base + ([node.module] if node.module else []))
            if _is_package(source):
                bound |= {a.asname or a.name for a in node.names if importlib.util.find_spec(f"{source}.{a.name}")}
    return bound


def _is_package(name: str) -> bool:
    spec = importlib.util.find_spec(name)
    return spec is not None and spec.submodule_search_locations is not None


def private_reads(source: str, path: pathlib.Path) -> list[tuple[int, str]]:
    """``(line, expression)`` of every read or write of another object's private attribute: not
    ``self``'s, ``cls``'s or ``super()``'s, not a module's, not the namedtuple API (``_replace``)."""
    tree = ast.parse(source)
    modules = _module_names(tree, path)
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")):
            continue
        value = node.value
        if isinstance(value, ast.Name) and (value.id in ("self", "cls") or value.id in modules):
            continue
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "super":
            continue
        if node.attr not in _NAMEDTUPLE_API:
            found.append((node.lineno, ast.unparse(node)))
    return sorted(found)


def test_objects_read_no_private_attribute_of_another_object():
    """Adapters, plateau rules, the CLI and the plots ask other objects through their public
    methods and properties, never by reading or writing a private attribute."""
    problems = []
    for path in PACKAGE.rglob("*.py"):
        where = path.relative_to(PACKAGE).as_posix()
        if where in CORE_PROTOCOL:
            continue
        for line, expression in private_reads(path.read_text(), path):
            if (where, expression.rpartition(".")[2]) not in THIRD_PARTY_PRIVATE:
                problems.append(f"{where}:{line}: {expression}")
    assert not problems, "use (or add) a public method instead:\n" + "\n".join(problems)


def test_private_read_finder_sees_other_objects_only():
    source = (
        "import sys\nfrom lrcore import _array\n"
        "def f(self, sched, other):\n"
        "    sched._scale = 1.0\n    sched._reapply()\n    x = other.inner._state\n"
        "    self._ok = sys._getframe(0)\n    y = _array.is_array(x)._replace(a=1)\n    super()._fine()\n"
    )
    got = private_reads(source, PACKAGE / "backends" / "example.py")
    assert got == [(4, "sched._scale"), (5, "sched._reapply"), (6, "other.inner._state")]
