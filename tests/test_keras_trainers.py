"""``lrcore.keras`` driven by Keras' own training loop on the TensorFlow, JAX and torch backends.

Each backend runs ``tests/keras_trainer_run.py`` in its own process (Keras picks its backend at
import). The lr of every update is read twice: as the optimizer's update step received it (a
record at index ``optimizer.iterations``), and from the weight, which the loss moves by exactly the
lr of each SGD update (for Adam, by the lr up to its ε). The references are the schedules' closed
forms in float64, at the update count.

* A schedule composed from ``lrcore.keras`` objects (``lrcore.multiply``, ``* number``, ``core *``)
  is a ``KerasSchedule`` that Keras' optimizer applies in a compiled fit.
* With ``gradient_accumulation_steps=K``, update ``m`` uses ``schedule(m)`` (not ``schedule(K·m + K - 1)``,
  the micro-batch count Keras calls schedules with).

In this process (the TensorFlow backend, as the other Keras tests): the same under a custom loop of
``optimizer.apply`` calls, and what the schedule keeps of the optimizer it found.
"""

from __future__ import annotations

import json
import os
import pathlib
import pickle
import subprocess
import sys

os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import lrcore  # noqa: E402
import lrcore.keras  # noqa: E402

from tests.helpers import assert_ulp_close  # noqa: E402
from tests.keras_trainer_scenario import ACCUMULATE, BATCHES, RECORD, schedule  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "tests" / "keras_trainer_run.py"
BACKENDS = ["tensorflow", "jax", "torch"]
UPDATES = BATCHES // ACCUMULATE
_RESULTS: dict = {}


def run(backend: str) -> dict:
    if backend not in _RESULTS:
        env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3",
               "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
        proc = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, env=env,
                              timeout=400, cwd=ROOT)
        assert proc.returncode == 0, f"{backend}:\n{proc.stderr[-4000:]}"
        _RESULTS[backend] = json.loads(proc.stdout.strip().splitlines()[-1])
        assert _RESULTS[backend]["backend"] == backend
    return _RESULTS[backend]


def linear(m: int) -> float:
    """keras_trainer_scenario.schedule() in float64: 0.1 + (0.01 - 0.1)·min(m, 10)/10."""
    return 0.1 + (0.01 - 0.1) * min(m, 10) / 10


def composed(n: int) -> float:
    """multiply([linear(1, 0.25, 16), exponential_decay(0.2, 4, 0.5, staircase)]) * 0.5 in float64."""
    return (1.0 + (0.25 - 1.0) * min(n, 16) / 16) * (0.2 * 0.5 ** (n // 4)) * 0.5


def check_sgd(result: dict, want: list[float], context: str):
    n = len(want)
    got = np.array(result["record"][:n])
    assert_ulp_close(got, want, 32, scale=max(want), context=context)
    assert result["record"][n:] == [0.0] * (RECORD - n), context
    # The gradient is exactly 1: the weight moved by the sum of the applied rates (float32 sums).
    assert abs(result["kernel"] + sum(want)) <= n * 4 * 2.0**-23 * sum(want), context


@pytest.mark.parametrize("backend", BACKENDS)
def test_composed_keras_schedule_in_a_compiled_fit(backend):
    out = run(backend)
    assert out["composed_type"] == "lrcore.backends.keras.KerasSchedule"
    assert out["composed_rtype"] == "KerasSchedule"
    result = out["composed"]
    assert result["iterations"] == BATCHES
    check_sgd(result, [composed(n) for n in range(BATCHES)], f"{backend} composed")
    assert_ulp_close(result["learning_rate"], composed(BATCHES), 32, context=backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_gradient_accumulation_steps_the_schedule_per_update(backend):
    out = run(backend)
    assert out["direct"] == np.float32(linear(0))
    result = out["accumulate"]
    assert (result["iterations"], result["micro_steps"]) == (UPDATES, BATCHES)
    want = [linear(m) for m in range(UPDATES)]
    check_sgd(result, want, f"{backend} accumulate")
    # Not the micro-batch count Keras calls the schedule with: update m at K·m + K - 1.
    micro = [linear(ACCUMULATE * m + ACCUMULATE - 1) for m in range(UPDATES)]
    assert max(abs(a - b) for a, b in zip(result["record"], micro)) > 0.01
    # What the optimizer reports between updates: the lr of the next update.
    assert_ulp_close(result["learning_rate"], linear(UPDATES), 32, scale=0.1, context=backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_gradient_accumulation_with_adam(backend):
    result = run(backend)["accumulate_adam"]
    assert (result["iterations"], result["micro_steps"]) == (UPDATES, BATCHES)
    want = [linear(m) for m in range(UPDATES)]
    assert_ulp_close(result["record"][:UPDATES], want, 32, scale=0.1, context=backend)
    # Gradients of exactly 1: Keras' Adam moves the weight by lr·√(1 - β₂ᵗ)/(1 - β₁ᵗ) · m/(√v + ε) at
    # update t = m + 1, with moments m = 1 - (1 - c₁)ᵗ, v = 1 - (1 - c₂)ᵗ; its constants are float32
    # (β₁ = 0.9, β₂ = 0.999, c₁ = 1 - β₁, c₂ = 1 - β₂ rounded apart, ε = 1e-7), the rest float64 here.
    f32 = lambda x: float(np.float32(x))  # noqa: E731
    moved = 0.0
    for m, lr in enumerate(want):
        t = m + 1
        first, second = 1 - (1 - f32(1 - 0.9)) ** t, 1 - (1 - f32(1 - 0.999)) ** t
        alpha = lr * np.sqrt(1 - f32(0.999) ** t) / (1 - f32(0.9) ** t)
        moved += alpha * first / (np.sqrt(second) + f32(1e-7))
    np.testing.assert_allclose(-result["kernel"], moved, rtol=1e-6)
    # ... and the micro-batch count would have moved it far less.
    assert -result["kernel"] > 2 * sum(linear(ACCUMULATE * m + ACCUMULATE - 1) for m in range(UPDATES))


@pytest.mark.parametrize("backend", BACKENDS)
def test_without_accumulation_the_step_is_the_train_step(backend):
    result = run(backend)["no_accumulation"]
    assert (result["iterations"], result["micro_steps"]) == (BATCHES, BATCHES)
    check_sgd(result, [linear(n) for n in range(BATCHES)], f"{backend} plain")


def test_custom_loop_with_accumulation_reads_the_update_count():
    """``optimizer.apply`` by hand, K = 2: every micro-batch reads ``optimizer.learning_rate``; the
    weight moves by the lr of each update (gradient 1)."""
    lr = lrcore.keras.from_schedule(schedule())
    optimizer = keras.optimizers.SGD(learning_rate=lr, gradient_accumulation_steps=2)
    w = keras.Variable(np.zeros(1, np.float32))
    # The schedule called directly with the optimizer's train-step counter evaluates at its value,
    # and does not keep that call from finding the optimizer later.
    assert float(lr(optimizer._iterations)) == np.float32(linear(0))
    seen, moved = [], []
    for _ in range(10):
        seen.append(float(optimizer.learning_rate))
        before = float(w.numpy()[0])
        optimizer.apply([keras.ops.ones(1)], [w])
        moved.append(before - float(w.numpy()[0]))
    assert int(optimizer.iterations) == 5
    # Between updates the optimizer reports the next update's lr: schedule(m) for both micro-batches.
    assert_ulp_close(seen, [linear(i // 2) for i in range(10)], 32, scale=0.1)
    assert_ulp_close(moved[1::2], [linear(m) for m in range(5)], 32, ulps=8, scale=0.1)
    assert moved[0::2] == [0.0] * 5


def test_the_optimizer_found_is_not_saved_with_the_schedule():
    lr = lrcore.keras.from_schedule(schedule())
    optimizer = keras.optimizers.SGD(learning_rate=lr, gradient_accumulation_steps=3)
    w = keras.Variable(np.zeros(1, np.float32))
    for _ in range(3):  # the third micro-batch is the first update: the lr is read
        optimizer.apply([keras.ops.ones(1)], [w])
    assert lr._caller is not None and lr._caller[1]() is optimizer
    restored = pickle.loads(pickle.dumps(lr))
    assert restored == lr and restored._caller is None
    assert float(restored(4)) == float(lr(4))
    assert_ulp_close([float(lr(4))], [linear(4)], 32, ulps=8, scale=0.1)  # within the promise of its peak
