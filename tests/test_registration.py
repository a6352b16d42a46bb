"""One registration is all a schedule needs: a new one appears everywhere a built-in one does.

A dummy schedule is registered through the public mechanism (``lrcore.schedule.register``, as
CONTRIBUTING.md describes) in a fresh interpreter, and must then be offered by every adapter, rebuilt
by ``from_dict`` and pickle, listed and evaluated by the CLI, written into the adapter stubs, and
flagged by the docs and example-table checks until it has a catalog section and a table entry.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pytest

import lrcore
from lrcore.schedule import register, unregister

ROOT = pathlib.Path(__file__).resolve().parents[1]

SCRIPT = r'''
import contextlib, io, json, pickle
import numpy as np
import lrcore
from lrcore import validate as check
from lrcore.schedule import register


def _dummy_hold(k, p, ops):
    return ops.xp.where(ops.lt(k, p["hold_steps"]), ops.full(k, 0.0), ops.full(k, p["value"]))


@register(_dummy_hold)
def dummy_hold(value, hold_steps=0):
    r"""Zero for ``hold_steps`` steps, then ``value``.

    .. math:: \eta(k) = v\,[k \ge H]

    Args:
        value: the value :math:`v`.
        hold_steps: :math:`H \ge 0`.
    """
    return {"value": check.level("value", value), "hold_steps": check.phase("hold_steps", hold_steps)}


out = {}
import lrcore.numpy, lrcore.jax, lrcore.torch, lrcore.tf
from lrcore.backends import ADAPTERS

for adapter, bind in ADAPTERS.items():
    module = getattr(lrcore, adapter)
    s = getattr(module, "dummy_hold")(0.25, hold_steps=3)
    out[adapter] = {
        "exported": "dummy_hold" in module.__all__,
        "type": type(s).__name__ == bind,
        "values": [float(np.asarray(s(k))) for k in (0, 2, 3, 10)],
        "from_schedule": type(module.from_schedule(dummy_hold(0.25, 3))).__name__ == bind,
    }
try:
    lrcore.numpy.dummy_hold(0.25, hold_steps=-1)
except ValueError as exc:
    out["validation"] = str(exc)

s = dummy_hold(0.25, hold_steps=3)
out["from_dict"] = lrcore.from_dict(json.loads(json.dumps(s.to_dict()))) == s
out["pickle"] = pickle.loads(pickle.dumps(s)) == s
out["scaled"] = (s * 2).to_dict()

from lrcore import cli
buf = io.StringIO()
with contextlib.redirect_stdout(buf):
    cli.main(["table", "dummy_hold", "--value", "0.25", "--hold-steps", "3", "--at", "0,2,3,10"])
out["cli_table"] = buf.getvalue()
buf = io.StringIO()
with contextlib.redirect_stdout(buf), contextlib.suppress(SystemExit):
    cli.main(["plot", "--help"])
out["cli_help"] = "dummy_hold(value, hold_steps=0)" in buf.getvalue()

from lrcore import _stubs
out["stubs"] = {a: "def dummy_hold(value, hold_steps=0) -> %s:" % b in _stubs.render(a) for a, b in ADAPTERS.items()}

from tests import examples, test_docs
sections = test_docs._catalog_sections()
out["docs_missing"] = test_docs.catalog_problems(sections)
sections["dummy_hold"] = (
    "$$\\eta(k) = v$$\n| parameter | meaning |\n| --- | --- |\n| `value` | v |\n| `hold_steps` | H |\n"
    "![dummy_hold](../img/generated/dummy_hold.png)\n"
)
out["docs_with_section"] = test_docs.catalog_problems(sections)
out["table_missing"] = examples.coverage_problems()
print("RESULT" + json.dumps(out))
'''


@pytest.fixture(scope="module")
def registered() -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="3")
    run = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert run.returncode == 0, run.stderr[-4000:]
    (line,) = [l for l in run.stdout.splitlines() if l.startswith("RESULT")]
    return json.loads(line[len("RESULT") :])


@pytest.mark.parametrize("adapter", ["numpy", "jax", "torch", "tf", "keras"])
def test_every_adapter_offers_it(registered, adapter):
    got = registered[adapter]
    assert got == {"exported": True, "type": True, "values": [0.0, 0.0, 0.25, 0.25], "from_schedule": True}


def test_validation_serialization_and_combinators(registered):
    assert registered["validation"] == "Argument `hold_steps` must be >= 0. Received: hold_steps=-1"
    assert registered["from_dict"] is True and registered["pickle"] is True
    assert registered["scaled"] == {
        "name": "scale",
        "params": {"schedule": {"name": "dummy_hold", "params": {"value": 0.25, "hold_steps": 3}}, "factor": 2.0},
    }


def test_cli_lists_parses_and_evaluates_it(registered):
    assert registered["cli_help"] is True
    rows = [line.split("\t") for line in registered["cli_table"].strip().splitlines()]
    assert rows == [["step", "value"], ["0", "0.0"], ["2", "0.0"], ["3", "0.25"], ["10", "0.25"]]


def test_stubs_and_docs_and_table_checks_see_it(registered):
    assert registered["stubs"] == {"numpy": True, "jax": True, "torch": True, "tf": True, "keras": True}
    assert registered["docs_missing"] == ["dummy_hold: no catalog section"]
    assert registered["docs_with_section"] == []
    assert registered["table_missing"] == ["dummy_hold: no entry in tests/examples.py"]


def test_register_in_process_with_cleanup():
    """The same mechanism in this process: the factory works, and `unregister` removes it again."""

    def _twice(k, p, ops):
        return ops.full(k, 2.0 * p["value"])

    @register(_twice)
    def twice_dummy(value):
        """Twice ``value``."""
        return {"value": lrcore.validate.level("value", value)}

    try:
        assert float(twice_dummy(0.5)(7)) == 1.0
        assert lrcore.from_dict({"name": "twice_dummy", "params": {"value": 0.5}}) == twice_dummy(0.5)
        with pytest.raises(ValueError, match="already registered"):
            register(_twice)(twice_dummy.__wrapped__)
    finally:
        unregister("twice_dummy")
    with pytest.raises(ValueError, match="Unknown schedule name 'twice_dummy'"):
        lrcore.from_dict({"name": "twice_dummy", "params": {"value": 0.5}})
