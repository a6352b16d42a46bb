"""Value-by-value parity with the real Keras 3 schedules (TensorFlow backend, integer steps).

A Keras schedule computes in the dtype of its ``initial_learning_rate`` tensor: a Python float gives
float32 (whatever ``keras.config.floatx()`` says), a ``np.float64`` gives float64. Both are compared:
- float64 Keras against lrcore.numpy: a handful of float64 roundings, ``KERAS64_ULPS`` ulp of the
  largest value;
- float32 Keras against lrcore.numpy: Keras' float32 roundings (~4 operations, <= 1/2 ulp each,
  cos/pow amplifying an argument error by at most pi·max resp. max/e), ``KERAS32_ULPS`` float32 ulp.
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import lrcore
import lrcore.numpy
import lrcore.tf
from tests import examples
from tests.helpers import assert_ulp_close
from tests.peers import keras, keras_values, restart_steps, steps_with_landmarks

KS = keras().optimizers.schedules

KERAS64_ULPS = 8
KERAS32_ULPS = 8
DTYPES = ["float32", "float64"]


def lr(value, dtype):
    """A float parameter in the dtype Keras should compute in. Keras casts its other parameters
    with ``ops.cast(param, dtype)``, which rounds a Python float through float32 first, so in
    float64 mode every float parameter is passed as ``np.float64``."""
    return np.float64(value) if dtype == "float64" else float(value)


def compare(schedule, peer, steps, dtype, vectorized=True):
    want = keras_values(peer, steps, vectorized)
    got = lrcore.numpy.from_schedule(schedule)(steps)
    bits, ulps = (64, KERAS64_ULPS) if dtype == "float64" else (32, KERAS32_ULPS)
    assert_ulp_close(got, want, bits, ulps, context=f"{schedule!r} vs Keras {dtype}")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("decay_steps", "rate", "staircase"), [(7, 0.9, False), (7, 0.9, True), (50, 0.3, True)])
def test_exponential_decay(dtype, decay_steps, rate, staircase):
    peer = keras().optimizers.schedules.ExponentialDecay(lr(0.5, dtype), decay_steps, lr(rate, dtype), staircase=staircase)
    s = lrcore.exponential_decay(0.5, decay_steps=decay_steps, decay_rate=rate, staircase=staircase)
    compare(s, peer, steps_with_landmarks(400, *range(0, 400, decay_steps)), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_piecewise_constant(dtype):
    """Keras switches AFTER each boundary (``step > b``); lrcore AT it: lrcore boundaries = Keras + 1."""
    boundaries, values = [10, 11, 100, 250], [1.0, 0.5, 0.25, 0.1, 0.01]
    peer = keras().optimizers.schedules.PiecewiseConstantDecay(boundaries, [lr(v, dtype) for v in values])
    s = lrcore.piecewise_constant([b + 1 for b in boundaries], values)
    compare(s, peer, steps_with_landmarks(320, *boundaries), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("power", "cycle"), [(1.0, False), (2.0, False), (1.0, True), (3.0, True)])
def test_polynomial_decay(dtype, power, cycle):
    decay_steps = 60
    peer = keras().optimizers.schedules.PolynomialDecay(
        lr(1.0, dtype), decay_steps, end_learning_rate=lr(0.05, dtype), power=lr(power, dtype), cycle=cycle
    )
    s = lrcore.polynomial_decay(1.0, end_value=0.05, decay_steps=decay_steps, power=power, cycle=cycle)
    compare(s, peer, steps_with_landmarks(400, *range(0, 400, decay_steps)), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("staircase", [False, True])
def test_inverse_time_decay(dtype, staircase):
    peer = keras().optimizers.schedules.InverseTimeDecay(lr(0.3, dtype), 9, lr(0.7, dtype), staircase=staircase)
    s = lrcore.inverse_time_decay(0.3, decay_steps=9, decay_rate=0.7, staircase=staircase)
    compare(s, peer, steps_with_landmarks(400, *range(0, 400, 9)), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("alpha", [0.0, 0.1])
def test_cosine_decay(dtype, alpha):
    peer = keras().optimizers.schedules.CosineDecay(lr(0.8, dtype), 250, alpha=lr(alpha, dtype))
    s = lrcore.cosine_decay(0.8, decay_steps=250, end_value=alpha * 0.8)
    compare(s, peer, steps_with_landmarks(320, 250), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("warmup", "alpha"), [(40, 0.0), (25, 0.2)])
def test_cosine_decay_with_warmup(dtype, warmup, alpha):
    """Keras ``decay_steps`` excludes the warmup; lrcore's counts it (as optax does)."""
    peer = keras().optimizers.schedules.CosineDecay(
        lr(0.01, dtype), 200, alpha=lr(alpha, dtype), warmup_target=lr(1.0, dtype), warmup_steps=warmup
    )
    s = lrcore.warmup_cosine_decay(0.01, 1.0, warmup_steps=warmup, decay_steps=warmup + 200, end_value=alpha * 1.0)
    # ops.cond in Keras' warmup branch needs a scalar step: one call per step.
    compare(s, peer, steps_with_landmarks(260, warmup, warmup + 200), dtype, vectorized=False)


@pytest.mark.parametrize(
    ("first", "t_mul", "m_mul", "alpha"),
    [(30, 1.0, 0.7, 0.0), (30, 1.0, 1.0, 0.1), (10, 2.0, 0.8, 0.0), (10, 2.0, 1.0, 0.2), (7, 2.0, 0.5, 0.0)],
)
def test_cosine_decay_restarts(first, t_mul, m_mul, alpha):
    """Float64 Keras matches lrcore at every step including restarts (``alpha = end/peak`` with
    ``m_mul = 1``, or ``alpha = 0``; with both, Keras' peaks are ``(1-alpha)·m_mul^i + alpha``)."""
    peer = keras().optimizers.schedules.CosineDecayRestarts(
        np.float64(0.6), first, t_mul=np.float64(t_mul), m_mul=np.float64(m_mul), alpha=np.float64(alpha)
    )
    s = lrcore.cosine_restart(0.6, first_period=first, period_mul=t_mul, peak_mul=m_mul, end_value=alpha * 0.6)
    restarts = np.cumsum([first * t_mul**i for i in range(12)]).astype(np.int64)
    n = 700 if t_mul > 1 else 400
    compare(s, peer, steps_with_landmarks(n, *restarts[restarts < n]), "float64")


@pytest.mark.parametrize(("first", "t_mul", "m_mul", "alpha"), [(10, 1.5, 1.0, 0.0), (7, 1.3, 0.8, 0.0), (5, 2.5, 1.0, 0.1)])
def test_cosine_decay_restarts_fractional_cycle_lengths(first, t_mul, m_mul, alpha):
    """Cycles that are not whole steps long (10, 15, 22.5, ...): Keras keeps their real lengths,
    restarting at the first step at or past each boundary, as ``whole_periods=False`` does."""
    peer = keras().optimizers.schedules.CosineDecayRestarts(
        np.float64(0.6), first, t_mul=np.float64(t_mul), m_mul=np.float64(m_mul), alpha=np.float64(alpha)
    )
    s = lrcore.cosine_restart(0.6, first_period=first, period_mul=t_mul, peak_mul=m_mul, end_value=alpha * 0.6,
                              whole_periods=False)
    restarts = [r for r in examples.real_restarts(first, t_mul, 700) if r > 0]
    compare(s, peer, steps_with_landmarks(700, *restarts), "float64")


def test_cosine_decay_restarts_float32_misplaces_restarts():
    """Keras finds the cycle with ``floor(log(1 + k/T·(t_mul-1)) / log(t_mul))``; in float32 the
    quotient often rounds just below the integer at a restart step, so Keras returns the previous
    cycle's minimum there instead of the new peak. lrcore (integer cycle search) is exact at all
    of them. Steps stay below 2**24, where Keras' float32 cast of the step itself is exact."""

    schedules = keras().optimizers.schedules
    misplaced_keras = misplaced_lrcore = total = 0
    for t_mul in (2, 3, 4):
        for first in range(1, 41):
            restarts = np.asarray(restart_steps(first, t_mul, 2**24 - 1), dtype=np.int64)
            total += len(restarts)
            peer = schedules.CosineDecayRestarts(1.0, first, t_mul=float(t_mul), m_mul=1.0, alpha=0.0)
            values = np.asarray(peer(tf.constant(restarts)), dtype=np.float64)
            misplaced_keras += int(np.sum(values < 0.5))
            ours = lrcore.numpy.cosine_restart(1.0, first_period=first, period_mul=float(t_mul))
            misplaced_lrcore += int(np.sum(ours(restarts) != 1.0))
    assert misplaced_keras > 0, f"Keras float32 placed all {total} restarts correctly"
    assert misplaced_lrcore == 0, f"lrcore misplaced {misplaced_lrcore} of {total} restarts"
    print(f"Keras float32 misplaced {misplaced_keras} of {total} restarts; lrcore 0")


# Integer t_mul (Keras lets a cycle last a fractional number of steps otherwise) whose float64
# logarithm is exact at the restarts (Keras finds the cycle with one: see docs/migration/keras.md).
@pytest.mark.parametrize(("first", "t_mul", "m_mul"), [(10, 2.0, 1.5), (7, 2.0, 2.0), (5, 2.0, 1.2), (3, 4.0, 3.0)])
def test_cosine_decay_restarts_growing_peak(first, t_mul, m_mul):
    """Keras' m_mul > 1 (peaks that grow each restart), accepted while every reachable peak is
    finite in float32: float64 Keras matches lrcore at every step, restarts included."""
    peer = keras().optimizers.schedules.CosineDecayRestarts(
        np.float64(0.6), first, t_mul=np.float64(t_mul), m_mul=np.float64(m_mul), alpha=np.float64(0.0)
    )
    s = lrcore.cosine_restart(0.6, first_period=first, period_mul=t_mul, peak_mul=m_mul)
    restarts = np.cumsum([first * t_mul**i for i in range(12)]).astype(np.int64)
    n = 800
    compare(s, peer, steps_with_landmarks(n, *restarts[restarts < n]), "float64")


@pytest.mark.parametrize(("decay_steps", "rate", "staircase"), [(3, 1.5, False), (7, 2.0, True), (1, 1.01, False)])
def test_exponential_growth_without_ceiling(decay_steps, rate, staircase):
    """decay_rate > 1 without an end value grows as Keras' ExponentialDecay and TF1's
    train.exponential_decay do (float64, so their pow is exact to a few ulp of each value)."""
    import tensorflow as tf

    s = lrcore.exponential_decay(0.01, decay_steps=decay_steps, decay_rate=rate, staircase=staircase)
    steps = steps_with_landmarks(400, *range(0, 400, decay_steps))
    got = lrcore.numpy.from_schedule(s)(steps)
    keras_peer = keras().optimizers.schedules.ExponentialDecay(np.float64(0.01), decay_steps, np.float64(rate), staircase=staircase)
    tf1 = [
        float(tf.compat.v1.train.exponential_decay(np.float64(0.01), tf.constant(int(k), tf.int64), decay_steps, np.float64(rate), staircase=staircase)())
        for k in steps
    ]
    for want in (keras_values(keras_peer, steps), np.asarray(tf1)):
        # relative to each value (the growth's own scale): pow's float64 error grows with p·ln(rate)
        x = (steps // decay_steps if staircase else steps / decay_steps) * np.log(rate)
        np.testing.assert_array_less(np.abs(got - want), (8 + x) * 2.0**-52 * np.abs(want) + 1e-300)
    assert got[-1] > 10 * got[0]


# -- lrcore.tf against the Keras schedules, both in float32 TensorFlow ---------------------------------
PEERS = [
    (KS.ExponentialDecay(0.1, decay_steps=30, decay_rate=0.8), lrcore.tf.exponential_decay(0.1, 30, 0.8)),
    (KS.ExponentialDecay(0.1, decay_steps=30, decay_rate=0.8, staircase=True),
     lrcore.tf.exponential_decay(0.1, 30, 0.8, staircase=True)),
    (KS.PiecewiseConstantDecay(boundaries=[10, 100, 250], values=[1.0, 0.5, 0.1, 0.01]),
     lrcore.tf.piecewise_constant(boundaries=[11, 101, 251], values=[1.0, 0.5, 0.1, 0.01])),
    (KS.PolynomialDecay(1.0, decay_steps=70, end_learning_rate=0.1, power=2.0, cycle=True),
     lrcore.tf.polynomial_decay(1.0, 0.1, decay_steps=70, power=2.0, cycle=True)),
    (KS.PolynomialDecay(1.0, decay_steps=70, end_learning_rate=0.1, power=0.5),
     lrcore.tf.polynomial_decay(1.0, 0.1, decay_steps=70, power=0.5)),
    (KS.InverseTimeDecay(1.0, decay_steps=20, decay_rate=0.5), lrcore.tf.inverse_time_decay(1.0, 20, 0.5)),
    (KS.InverseTimeDecay(1.0, decay_steps=20, decay_rate=0.5, staircase=True),
     lrcore.tf.inverse_time_decay(1.0, 20, 0.5, staircase=True)),
    (KS.CosineDecay(1.0, decay_steps=250, alpha=0.1), lrcore.tf.cosine_decay(1.0, 250, end_value=0.1)),
    (KS.CosineDecay(0.0, decay_steps=200, alpha=0.1, warmup_target=1.0, warmup_steps=50),
     lrcore.tf.warmup_cosine_decay(0.0, 1.0, warmup_steps=50, decay_steps=250, end_value=0.1)),
    (KS.CosineDecayRestarts(1.0, first_decay_steps=20, t_mul=2.0, m_mul=0.5, alpha=0.0),
     lrcore.tf.cosine_restart(1.0, first_period=20, period_mul=2.0, peak_mul=0.5)),
    (KS.CosineDecayRestarts(1.0, first_decay_steps=30, t_mul=1.0, m_mul=0.8, alpha=0.0),
     lrcore.tf.cosine_restart(1.0, first_period=30, peak_mul=0.8)),
]


@pytest.mark.parametrize("peer, ours", PEERS, ids=[f"{type(p).__name__}-{i}" for i, (p, _) in enumerate(PEERS)])
def test_lrcore_tf_matches_keras_schedules_in_tf_function(peer, ours):
    """``lrcore.tf`` (float32, TensorFlow ops) against the Keras schedule run in ``tf.function``."""
    steps = np.arange(0, 400)
    keras_at = tf.function(lambda k: peer(k))
    want = np.array([float(keras_at(tf.constant(s, tf.int64))) for s in steps])
    got = ours(tf.constant(steps, tf.int64)).numpy()
    # Keras computes in float32 too; both stay within the 4-ulp promise of each other here.
    assert_ulp_close(got, want, 32, context=type(peer).__name__)
