"""``lrcore.from_paddle`` against PaddlePaddle's real schedulers, value by value.

Paddle runs in a process of its own (its native libraries and TensorFlow's crash when loaded
together): one child process builds every scheduler of this file, converts it with
``lrcore.from_paddle`` (recording its warnings or its error), and reports ``scheduler()`` after
construction and after each ``step()``. Paddle computes in Python floats: ``ULPS`` float64 ulp of the
largest value, more where Paddle chains a factor step by step or rounds a rate (see
tests/test_parity_paddle.py).
"""

from __future__ import annotations

import json
import math
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import warnings

import numpy as np
import pytest

import lrcore
from tests.helpers import assert_ulp_close

ULPS = 16
LR = 0.4
ROOT = pathlib.Path(__file__).resolve().parents[1]


def spec(scheduler, n, **kwargs):
    return {"scheduler": scheduler, "kwargs": kwargs, "n": n}


# name: (spec, ulps)
CASES = {
    "noam": (spec("NoamDecay", 500, d_model=64, warmup_steps=100, learning_rate=2.0), ULPS),
    "piecewise": (spec("PiecewiseDecay", 100, boundaries=[10, 25, 60], values=[1.0, 0.5, 0.1, 0.01]), ULPS),
    "natural_exp": (spec("NaturalExpDecay", 300, learning_rate=LR, gamma=0.1), ULPS),
    "natural_exp-small-gamma": (spec("NaturalExpDecay", 300, learning_rate=LR, gamma=1e-6), ULPS),
    "inverse_time": (spec("InverseTimeDecay", 300, learning_rate=LR, gamma=0.5), ULPS),
    "polynomial": (spec("PolynomialDecay", 200, learning_rate=LR, decay_steps=50, end_lr=1e-4, power=2.0), ULPS),
    "polynomial-cycle": (spec("PolynomialDecay", 200, learning_rate=LR, decay_steps=30, end_lr=0.01, power=0.5,
                              cycle=True), ULPS),
    "linear_warmup": (spec("LinearWarmup", 60, learning_rate=LR, warmup_steps=10, start_lr=0.0, end_lr=LR), ULPS),
    "linear_warmup-step": ({**spec("LinearWarmup", 100, warmup_steps=5, start_lr=0.0, end_lr=LR),
                            "inner": {"scheduler": "StepDecay", "kwargs": dict(learning_rate=LR, step_size=10, gamma=0.5)}},
                           ULPS),
    "exponential": (spec("ExponentialDecay", 300, learning_rate=LR, gamma=0.99), ULPS),
    "multistep": (spec("MultiStepDecay", 120, learning_rate=LR, milestones=[30, 60, 90], gamma=0.1), ULPS),
    "step": (spec("StepDecay", 150, learning_rate=LR, step_size=7, gamma=0.5), ULPS),
    "cosine": (spec("CosineAnnealingDecay", 51, learning_rate=LR, T_max=50, eta_min=0.01), ULPS + 51),
    "cosine-past-T_max": (spec("CosineAnnealingDecay", 90, learning_rate=LR, T_max=20, eta_min=0.01), ULPS + 90),
    "onecycle": (spec("OneCycleLR", 101, max_learning_rate=0.8, total_steps=100, divide_factor=20.0,
                      end_learning_rate=1e-3, phase_pct=0.3, anneal_strategy="cos"), ULPS),
    "onecycle-three-phase": (spec("OneCycleLR", 334, max_learning_rate=0.8, total_steps=333, phase_pct=0.37,
                                  anneal_strategy="linear", three_phase=True), ULPS),
    "cyclic": (spec("CyclicLR", 400, base_learning_rate=0.01, max_learning_rate=0.5, step_size_up=13,
                    step_size_down=29, mode="triangular2"), ULPS * 30),
    "cyclic-exp_range": (spec("CyclicLR", 400, base_learning_rate=0.01, max_learning_rate=0.5, step_size_up=9,
                              step_size_down=17, mode="exp_range", exp_gamma=0.99), ULPS * 60),
    "linear": (spec("LinearLR", 200, learning_rate=LR, total_steps=120, start_factor=1.0, end_factor=0.05), ULPS + 200),
    "warm_restarts": (spec("CosineAnnealingWarmRestarts", 500, learning_rate=LR, T_0=10, T_mult=2, eta_min=0.01), ULPS),
    # Paddle reports the value at step total_steps after its last step(): negative here.
    "onecycle-negative-end": (spec("OneCycleLR", 101, max_learning_rate=1.0, total_steps=100, divide_factor=25.0,
                                   end_learning_rate=1e-4, phase_pct=0.3, anneal_strategy="linear"), ULPS),
    "refused-lambda": ({**spec("LambdaDecay", 3, learning_rate=LR), "lr_lambda": "lambda k: 0.9 ** k"}, None),
    "refused-plateau": ({**spec("ReduceOnPlateau", 3, learning_rate=LR, mode="min", factor=0.5, patience=2,
                                threshold=0.05, cooldown=3, min_lr=0.02, epsilon=1e-3),
                         "metrics": [1.0, 0.9, 0.95, 0.99, 0.97, 0.5, 0.4, 0.45, 0.41, 0.46, 0.47, 0.48, 0.3, 0.31, 0.32,
                                     0.33, 0.34, 0.35, 0.36, 0.37, 0.38, 0.39, 0.4, 0.41, 0.42, 0.43]}, None),
    "refused-plateau-max-abs": ({**spec("ReduceOnPlateau", 3, learning_rate=0.1, mode="max", factor=0.3, patience=1,
                                        threshold=0.01, threshold_mode="abs", cooldown=2, min_lr=0.0),
                                 "metrics": [0.1, 0.2, 0.2, 0.205, 0.21, 0.3, 0.29, 0.28, 0.5, 0.49, 0.48, 0.47, 0.46,
                                             0.45, 0.44, 0.6, 0.59]}, None),
    "noam-short-warmup": (spec("NoamDecay", 60, d_model=512, warmup_steps=1, learning_rate=1.0), ULPS),
    # phase_pct=1.0: no annealing phase; Paddle's own step() past the last step divides by zero, so
    # only its total_steps values are compared (the name keeps it out of the "onecycle" past-the-end check).
    "warmup-only-onecycle": (spec("OneCycleLR", 10, max_learning_rate=0.4, total_steps=10, phase_pct=1.0), ULPS),
    "onecycle-zero-end": (spec("OneCycleLR", 61, max_learning_rate=0.5, total_steps=60, divide_factor=10.0,
                               end_learning_rate=0.0, phase_pct=0.25, anneal_strategy="cos"), ULPS),
}


def _child(spec_path: str, out_path: str) -> None:
    """In the child process: build, convert and run every spec."""
    from tests.peers import _paddle_scheduler, paddle_lr

    lr = paddle_lr()
    with open(spec_path) as f:
        specs = json.load(f)
    results = {}
    for key, item in specs.items():
        scheduler = _paddle_scheduler(lr, item)
        entry = {"schedule": None, "error": None, "warnings": []}
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                entry["schedule"] = lrcore.from_paddle(scheduler).to_dict()
            except ValueError as error:
                entry["error"] = str(error)
        entry["warnings"] = [str(w.message) for w in caught if str(w.message).startswith("paddle:")]
        values = [float(scheduler())]
        for metric in item.get("metrics", []):
            scheduler.step(metric)
            values.append(float(scheduler()))
        if item["scheduler"] != "ReduceOnPlateau":
            for _ in range(item["n"] - 1):
                scheduler.step()
                values.append(float(scheduler()))
        entry["values"] = values
        results[key] = entry
    with open(out_path, "w") as f:
        json.dump(results, f)


@pytest.fixture(scope="module")
def paddle():
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p))
    with tempfile.TemporaryDirectory() as tmp:
        spec_path, out_path = f"{tmp}/specs.json", f"{tmp}/out.json"
        with open(spec_path, "w") as f:
            json.dump({k: v[0] for k, v in CASES.items()}, f)
        code = "import sys; from tests.test_convert_paddle import _child; _child(sys.argv[1], sys.argv[2])"
        done = subprocess.run([sys.executable, "-c", code, spec_path, out_path], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-4000:]
        with open(out_path) as f:
            return json.load(f)


CONVERTED = sorted(k for k, v in CASES.items() if v[1] is not None)


def test_natural_exp_keeps_the_promise_at_any_step(paddle):
    """``NaturalExpDecay`` converted with the rate ``exp(-gamma)`` per step, rounded once: its
    rounding grew with the step (1.6e-11 relative at step 1e6 for gamma = 1e-6, 26 000 ulp). The
    converted schedule stays within the promise against mpmath at every magnitude of step."""
    import mpmath

    s = lrcore.from_dict(paddle["natural_exp-small-gamma"]["schedule"])
    steps = np.asarray([0, 1, 10**3, 10**5, 10**6, 3 * 10**6, 10**7, 5 * 10**7], dtype=np.int64)
    with mpmath.workdps(40):
        want = np.asarray([float(mpmath.mpf(LR) * mpmath.exp(-mpmath.mpf(1e-6) * int(n))) for n in steps])
    assert_ulp_close(s(steps), want, 64, 4, scale=LR, context=repr(s))


@pytest.mark.parametrize("name", CONVERTED)
def test_matches_paddle(paddle, name):
    entry = paddle[name]
    assert entry["error"] is None, entry["error"]
    s = lrcore.from_dict(entry["schedule"])
    want = np.asarray(entry["values"])
    if name.startswith("onecycle"):
        # After total_steps steps Paddle extrapolates its last phase: the converter warns exactly
        # when that value is negative, and holds the end value there.
        total = len(want) - 1
        assert (want[total] < 0) == any("negative" in w for w in entry["warnings"]), (want[total], entry["warnings"])
        assert float(s(total)) == float(s(total - 1))
        want = want[:total]
    else:
        assert entry["warnings"] == []
    assert_ulp_close(s(np.arange(len(want))), want, 64, CASES[name][1], context=f"{name}: {s!r}")
    assert len(set(want.tolist())) > 1


def test_the_negative_end_case_warns(paddle):
    assert paddle["onecycle-negative-end"]["values"][100] < 0
    assert paddle["onecycle"]["values"][100] > 0 and paddle["onecycle"]["warnings"] == []


def test_refusals(paddle):
    assert "LambdaDecay(lr_lambda=...) (an arbitrary Python function) cannot be expressed" in paddle["refused-lambda"]["error"]
    assert "ReduceOnPlateau" in paddle["refused-plateau"]["error"] and "lrcore.plateau" in paddle["refused-plateau"]["error"]


@pytest.mark.parametrize("name", ["refused-plateau", "refused-plateau-max-abs"])
def test_reduce_on_plateau_points_to_the_rule_that_reproduces_it(paddle, name):
    """The refusal names ``lrcore.constant(lr)`` and an ``lrcore.plateau(..., cooldown_metrics="ignore")``
    call: run on the same metrics, that rule gives Paddle's lr after each ``step(metric)``."""
    entry = paddle[name]
    constant, rule = re.search(r"Use (lrcore\.constant\(.*?\)) with the rule (lrcore\.plateau\(.*?\)) \(", entry["error"]).groups()
    schedule, rule = eval(constant, {"lrcore": lrcore}), eval(rule, {"lrcore": lrcore})
    assert rule.cooldown_metrics == "ignore"
    state, got = rule.init(), [float(schedule(0))]
    for metric in CASES[name][0]["metrics"]:
        state = rule.update(state, metric)
        got.append(float(schedule(0)) * float(state.scale))
    want = np.asarray(entry["values"])
    assert_ulp_close(np.asarray(got), want, 64, ULPS)
    assert len(set(want.tolist())) > 2
