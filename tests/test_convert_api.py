"""The converters' surface: exported from ``lrcore``, documented with a running example, importing
no framework, refusing bad input with errors that name what they received."""

from __future__ import annotations

import doctest
import inspect
import re
import subprocess
import sys

import pytest

import lrcore
from lrcore.convert import _common


def test_exported_and_listed():
    assert lrcore.CONVERTERS == ("from_torch", "from_keras", "from_hf", "from_timm", "from_composer", "from_paddle")
    for name in lrcore.CONVERTERS:
        assert name in lrcore.__all__ and callable(getattr(lrcore, name))


@pytest.mark.parametrize("name", lrcore.CONVERTERS)
def test_docstring_example_runs(name):
    fn = getattr(lrcore, name)
    doc = inspect.getdoc(fn)
    assert ".. math::" in doc and "Args:" in doc and "Example:" in doc
    for param in inspect.signature(fn).parameters.values():
        if param.kind is not inspect.Parameter.VAR_KEYWORD:
            assert f"{param.name}:" in doc, f"{name}: Args misses {param.name}"
    finder, runner = doctest.DocTestFinder(recurse=False), doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in finder.find(fn, name, globs={}):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0 and result.attempted > 0


def test_converting_imports_no_framework():
    code = (
        "import sys, lrcore\n"
        "lrcore.from_hf('cosine', lr=0.1, num_warmup_steps=5, num_training_steps=50)\n"
        "lrcore.from_timm(lr=0.1, sched='step', decay_epochs=3)\n"
        "lrcore.from_keras({'initial_learning_rate': 0.1, 'decay_steps': 3, 'decay_rate': 0.5}, class_name='ExponentialDecay')\n"
        "class CosineAnnealingScheduler:\n    t_max, alpha_f = '1dur', 0.0\n"
        "lrcore.from_composer(CosineAnnealingScheduler(), '10ba')\n"
        "bad = [m for m in ('torch', 'tensorflow', 'keras', 'jax', 'transformers') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr


def test_a_refusal_is_a_value_error_with_the_remedy():
    with pytest.raises(_common.CannotExpress) as caught:
        lrcore.from_timm(lr=0.1, sched="poly", cycle_mul=0.5, cycle_limit=3)
    assert isinstance(caught.value, ValueError)
    assert str(caught.value) == ("timm: cycle_mul=0.5 < 1 (timm's logarithm raises a math domain error from epoch "
                                 "t_initial/(1 - cycle_mul) on) cannot be expressed as an lrcore schedule. "
                                 "Use cycle_mul >= 1.")


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: lrcore.from_hf("linear", lr="high", num_warmup_steps=1, num_training_steps=9), TypeError,
         "argument `lr` must be a number. Received: lr='high'"),
        (lambda: lrcore.from_hf("linear", lr=float("nan"), num_warmup_steps=1, num_training_steps=9), ValueError,
         "argument `lr` must be finite"),
        (lambda: lrcore.from_hf("linear", lr=0.1, num_warmup_steps=True, num_training_steps=9), TypeError,
         "argument `num_warmup_steps` must be a whole number. Received: num_warmup_steps=True"),
        (lambda: lrcore.from_hf("linear", lr=0.1, num_warmup_steps=-1, num_training_steps=9), ValueError,
         "`num_warmup_steps` must be >= 0. Received: num_warmup_steps=-1"),
        (lambda: lrcore.from_hf("linear", lr=0.1, num_warmup_steps=1, num_training_steps=9,
                                scheduler_specific_kwargs={"power": 1}, power=2), TypeError, "`power` given twice"),
        (lambda: lrcore.from_timm(lr=0.1, sched="cosinus"), ValueError, "unknown scheduler 'cosinus'"),
        (lambda: lrcore.from_timm(lr=0.1, step_on_epochs=False), ValueError, "`updates_per_epoch` must be >= 1"),
        (lambda: lrcore.from_composer(object(), "10ba"), ValueError, "the scheduler object"),
        (lambda: lrcore.from_keras({"class_name": "ExponentialDecay", "config": [1]}), TypeError, "must be a dict"),
        (lambda: lrcore.from_keras({"initial_learning_rate": 0.1, "decay_steps": 3, "decay_rate": 0.5,
                                    "staircase": "False"}, class_name="ExponentialDecay"), TypeError,
         "`staircase` must be True or False. Received: staircase='False'"),
        (lambda: lrcore.from_timm(lr=0.1, warmup_prefix=1), TypeError, "`warmup_prefix` must be True or False"),
        (lambda: lrcore.from_timm(lr=0.1, noise="late"), TypeError, "argument `noise` must be a number. Received: noise='late'"),
        (lambda: lrcore.from_timm(lr=0.1, noise=[0.1, 0.2, 0.3]), ValueError, "a list of one or two numbers"),
        (lambda: lrcore.from_timm(lr=0.1, updates_per_epoch=2.5), ValueError, "fractional `updates_per_epoch`"),
        (lambda: lrcore.from_timm(lr=0.1, updates_per_epoch=-3), ValueError, "`updates_per_epoch` must be >= 1"),
        (lambda: lrcore.from_timm(lr=0.1, sched="step", decay_epochs=0), ValueError, "`decay_epochs` must be > 0"),
        (lambda: lrcore.from_hf("cosine", lr=0.1, num_warmup_steps=0, num_training_steps=10, num_cycles=-1),
         ValueError, "`num_cycles` must be > 0"),
        (lambda: lrcore.from_hf("warmup_stable_decay", lr=0.1, num_warmup_steps=0, num_stable_steps=5,
                                num_decay_steps=5, decay_type="exp"), ValueError, "`decay_type` must be"),
    ],
)
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize(
    "convert, name",
    [(lambda: lrcore.from_hf("polynomial", lr=0.1, num_warmup_steps=5, num_training_steps=50, power=10**400), "power"),
     (lambda: lrcore.from_hf("polynomial", lr=0.1, num_warmup_steps=5, num_training_steps=50, lr_end=10**400), "lr_end"),
     (lambda: lrcore.from_hf("cosine", lr=0.1, num_warmup_steps=5, num_training_steps=10**400), "num_training_steps"),
     (lambda: lrcore.from_timm(lr=10**400), "lr"),
     (lambda: lrcore.from_timm(lr=0.1, num_epochs=10**400), "decay_epochs` (or num_epochs"),
     (lambda: lrcore.from_timm(lr=0.1, sched="step", decay_epochs=10**400), "decay_epochs")],
)
def test_a_peer_argument_past_float64_is_refused_naming_it(convert, name):
    """10**400 raised an OverflowError inside the conversion, reported as 'the scheduler's values
    cannot be converted' without naming the argument."""
    with pytest.raises(ValueError, match=re.escape(f"argument `{name}") + r"\b"):
        convert()
