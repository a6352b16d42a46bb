"""Every public name resolves statically: the adapter stubs are current, and jedi finds every factory.

The adapters' factories are generated from the registry at import, so editors see them through the
stubs ``lrcore/<adapter>.pyi`` (``python -m lrcore._stubs``). These tests regenerate the stubs and
compare, and ask jedi (the engine behind most Python editors' go-to-definition) for each factory.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import pathlib

import jedi
import pytest

import lrcore
from lrcore import _stubs
from lrcore.backends import ADAPTERS
from lrcore.schedule import REGISTRY

ROOT = pathlib.Path(__file__).resolve().parents[1]
PROJECT = jedi.Project(str(ROOT), added_sys_path=[str(ROOT)])


@pytest.mark.parametrize("adapter", sorted(ADAPTERS))
def test_stub_is_current(adapter):
    path = _stubs.stub_path(adapter)
    assert path.exists(), f"{path.name} is missing: run `python -m lrcore._stubs`"
    assert path.read_text() == _stubs.render(adapter), f"{path.name} is stale: run `python -m lrcore._stubs`"


def test_every_adapter_module_has_a_stub_and_no_other_stub_exists():
    assert {p.stem for p in (ROOT / "lrcore").glob("*.pyi")} == set(ADAPTERS)
    for adapter in ADAPTERS:
        assert (ROOT / "lrcore" / f"{adapter}.py").exists(), adapter


def _infer(source_lines: list[str]):
    """jedi's inferred definitions and go-to targets for the last expression of each line after the first."""
    source = "\n".join(source_lines)
    script = jedi.Script(source, project=PROJECT)
    out = []
    for line, text in enumerate(source_lines[1:], start=2):
        out.append((script.infer(line, len(text)), script.goto(line, len(text), follow_imports=True)))
    return out


@functools.cache
def _adapter_factories(adapter: str) -> dict:
    """factory name -> (inferred definitions, go-to targets, inferred call results), from one jedi run."""
    module = importlib.import_module(f"lrcore.{adapter}")
    factories = [name for name in module.__all__ if name in REGISTRY or name == "from_schedule"]
    lines = [f"import lrcore.{adapter}"]
    lines += [f"lrcore.{adapter}.{name}" for name in factories]
    lines += [f"lrcore.{adapter}.{name}()" for name in factories]
    results = _infer(lines)
    definitions, calls = results[: len(factories)], results[len(factories) :]
    return {name: (inferred, targets, call) for name, (inferred, targets), (call, _) in zip(factories, definitions, calls)}


@pytest.mark.parametrize("adapter", sorted(ADAPTERS))
def test_jedi_sees_every_adapter_factory(adapter):
    assert set(_adapter_factories(adapter)) == set(lrcore.SCHEDULES) | {"from_schedule"}


@pytest.mark.parametrize("name", [*lrcore.SCHEDULES, "from_schedule"])
@pytest.mark.parametrize("adapter", sorted(ADAPTERS))
def test_jedi_resolves_every_adapter_factory(adapter, name):
    module = importlib.import_module(f"lrcore.{adapter}")
    bind = ADAPTERS[adapter]
    inferred, targets, call = _adapter_factories(adapter)[name]
    assert len(inferred) == 1 and inferred[0].type == "function", inferred
    (target,) = targets
    assert target.module_path == ROOT / "lrcore" / f"{adapter}.pyi", target.module_path
    assert target.line and target.name == name
    (signature,) = inferred[0].get_signatures()
    runtime = inspect.signature(getattr(module, name))
    if name != "from_schedule":
        assert [p.name for p in signature.params] == list(runtime.parameters)
    assert signature.to_string().endswith(f"-> {bind}"), signature.to_string()
    doc = inferred[0].docstring(raw=True)
    assert doc.strip() and (name == "from_schedule" or f"lrcore.{adapter}.{name}(...)" in doc)
    assert [(d.name, d.type) for d in call] == [(bind, "instance")], call


@functools.cache
def _core_factories() -> dict:
    """factory name -> (go-to targets, inferred call results), from one jedi run."""
    lines = ["import lrcore"]
    lines += [f"lrcore.{name}" for name in lrcore.SCHEDULES]
    lines += [f"lrcore.{name}()" for name in lrcore.SCHEDULES]
    results = _infer(lines)
    n = len(lrcore.SCHEDULES)
    return {name: (targets, call) for name, (_, targets), (call, _) in zip(lrcore.SCHEDULES, results[:n], results[n:])}


@pytest.mark.parametrize("name", lrcore.SCHEDULES)
def test_jedi_resolves_every_core_factory(name):
    targets, call = _core_factories()[name]
    (target,) = targets
    assert target.module_path == pathlib.Path(inspect.getsourcefile(REGISTRY[name].validate))
    assert target.line == inspect.getsourcelines(REGISTRY[name].validate)[1] + 1  # the `def` below `@register`
    assert [(d.name, d.type) for d in call] == [("Schedule", "instance")], call
