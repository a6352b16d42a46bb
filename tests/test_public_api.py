"""The public surface: __all__, backend modules mirroring the core, no framework imports, docstrings."""

from __future__ import annotations

import doctest
import importlib
import inspect
import pathlib
import re
import subprocess
import sys

import pytest

import lrcore
from lrcore.backends import ADAPTERS
from lrcore.schedule import REGISTRY
from tests import examples

# The schedules and combinators: the tests' table has one entry per registered schedule.
API_NAMES = set(examples.TABLE)


#: Public names that are not schedules: the plateau rule, the registration of one's own schedules and
#: the converters from other libraries.
OTHER_NAMES = {"Plateau", "PlateauState", "plateau", "register", "CONVERTERS", *lrcore.CONVERTERS}


def test_all_matches_exports():
    assert set(lrcore.__all__) == API_NAMES | {"Schedule", "from_dict", "SCHEDULES", *OTHER_NAMES}
    assert len(lrcore.__all__) == len(set(lrcore.__all__))
    assert set(lrcore.SCHEDULES) == API_NAMES
    for name in lrcore.__all__:
        assert hasattr(lrcore, name), name
    public = {n for n in vars(lrcore) if not n.startswith("_")}
    modules = {n for n in public if inspect.ismodule(getattr(lrcore, n))}  # submodules

    assert public - modules - set(lrcore.__all__) == set(), "exported but not in __all__"


@pytest.mark.parametrize("name", lrcore.SCHEDULES)
@pytest.mark.parametrize("adapter", sorted(ADAPTERS))
def test_backend_modules_offer_every_schedule(adapter, name):
    mod = importlib.import_module(f"lrcore.{adapter}")
    bind = getattr(mod, ADAPTERS[adapter])
    assert name in mod.__all__ and callable(mod.from_schedule)
    got, core = inspect.signature(getattr(mod, name)), inspect.signature(getattr(lrcore, name))
    assert got.parameters == core.parameters
    assert got.return_annotation is bind and core.return_annotation is lrcore.Schedule


@pytest.mark.parametrize("name", lrcore.SCHEDULES)
def test_every_registered_schedule_is_reexported_explicitly(name):
    """``lrcore/__init__.py`` names each factory (``from .x import f as f``), and the names are the registry's."""
    source = (pathlib.Path(lrcore.__file__)).read_text()
    assert getattr(lrcore, name) is REGISTRY[name].factory
    assert re.search(rf"^from \.\w+ import {name} as {name}$", source, flags=re.M)
    assert set(lrcore.SCHEDULES) == set(REGISTRY)


FRAMEWORKS = ("jax", "torch", "tensorflow", "optax", "keras")


@pytest.mark.parametrize(
    "code",
    [
        "import lrcore; print(float(lrcore.cosine_restart(1.0, 10, period_mul=2.0)(5)))",
        "import numpy as np, lrcore; lrcore.join([lrcore.constant(1.0), lrcore.onecycle(1.0, 100)], [3])(np.arange(10))",
        "import lrcore.numpy; lrcore.numpy.warmup_stable_decay(1.0, 10, 10, 10)(5)",
        "import lrcore; lrcore.from_dict(lrcore.warmup(lrcore.constant(1.0), 3).to_dict())(2)",
    ],
)
def test_core_imports_no_framework(code):
    check = f"import sys; {code}; bad = [m for m in {FRAMEWORKS!r} if m in sys.modules]; assert not bad, bad"
    run = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr


@pytest.mark.parametrize("name", sorted(API_NAMES))
def test_docstring_teaches(name):
    doc = inspect.getdoc(getattr(lrcore, name))
    assert doc and doc.splitlines()[0].strip()
    assert ".. math::" in doc, f"{name}: no formula"
    assert "Args:" in doc and "Example:" in doc, name
    # A docstring that is not raw turns TeX's \to, \frac, \text into control characters.
    assert not [c for c in doc if ord(c) < 32 and c != "\n"], f"{name}: control characters (use r-strings)"
    for param in inspect.signature(getattr(lrcore, name)).parameters:
        assert f"{param}:" in doc, f"{name}: Args misses {param}"


@pytest.mark.parametrize("name", sorted(API_NAMES) + ["Schedule", "from_dict", "plateau", "register"])
def test_docstring_examples_pass(name):
    obj = getattr(lrcore, name)
    finder, runner = doctest.DocTestFinder(recurse=False), doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    tests = [t for t in finder.find(obj, name, globs={}) if t.examples]
    assert tests, f"{name} has no doctest example"
    for test in tests:
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0 and result.attempted > 0
