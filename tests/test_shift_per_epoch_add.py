"""The algebra of the step-moving combinators and of sums, on every backend.

``warmup(..., delay=False)``, ``shift``, ``per_epoch`` and ``add`` against each other and against
the combinators they relate to: an overlaid warmup is a ramp joined to the shifted schedule, a
delayed one the overlay of a delayed schedule, shifts and epochs compose, a sum is commutative and
``s - s`` is 0. Their value at step 0 (which a warmup around them ramps to) is their evaluation
there, bit for bit, and their plot landmarks are the children's, moved. Each test names the
combinator it is about, so that ``pytest -k <name>`` selects it.
"""

from __future__ import annotations

import numpy as np
import pytest

import lrcore
from lrcore import plot
from tests import examples
from tests.helpers import assert_ulp_close

STEPS = np.array([0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 19, 20, 21, 29, 30, 31, 45, 59, 60, 61, 100, 150,
                  1000, 2**24 + 1, 2**31 - 2, 2**31 - 1])

CHILDREN = {
    "cosine": lrcore.cosine_decay(1.0, 40, end_value=0.1),
    "staircase": lrcore.exponential_decay(0.8, 7, 0.5, staircase=True),
    "restart": lrcore.cosine_restart(0.5, 10, 2.0, end_value=0.05),
    "warmup": lrcore.warmup(lrcore.linear(1.0, 0.2, 30), 6, 0.1),
    "pieces": lrcore.piecewise_constant([10, 30], [1.0, 0.5, 0.25]),
}


def same_bits(backend, a, b):
    """Bit-identical, except that XLA fuses two different graphs differently under JAX's jit (one
    float32 rounding apart), so there within two of its roundings."""
    if backend.name == "jax":
        assert_ulp_close(a, b, bits=32, ulps=2)
    else:
        np.testing.assert_array_equal(np.asarray(a).view(np.int64), np.asarray(b).view(np.int64))


# -- warmup(delay=False) ----------------------------------------------------------------------------
@pytest.mark.parametrize("child", sorted(CHILDREN))
@pytest.mark.parametrize("w", [1, 6, 25])
def test_warmup_overlay_is_a_ramp_joined_to_the_shifted_schedule(backend, child, w):
    s = CHILDREN[child]
    overlay = lrcore.warmup(s, w, init_value=0.05, delay=False)
    joined = lrcore.join([lrcore.linear(0.05, float(s(0)), w), lrcore.shift(s, w)], [w])
    got, want = backend.evaluate(overlay, STEPS), backend.evaluate(joined, STEPS)
    assert_ulp_close(got, want, backend.bits)
    after = STEPS >= w  # past the ramp, the schedule at its own step: bit for bit
    same_bits(backend, got[after], backend.evaluate(s, STEPS[after]))


@pytest.mark.parametrize("child", sorted(CHILDREN))
def test_warmup_delay_is_the_overlay_of_the_delayed_schedule(backend, child):
    s, w = CHILDREN[child], 9
    delayed = lrcore.warmup(s, w, init_value=0.3)
    overlaid = lrcore.warmup(lrcore.shift(s, -w), w, init_value=0.3, delay=False)
    same_bits(backend, backend.evaluate(delayed, STEPS), backend.evaluate(overlaid, STEPS))


def test_warmup_delay_default_keeps_the_delayed_schedule():
    s = lrcore.cosine_decay(1.0, 30)
    assert lrcore.warmup(s, 5) == lrcore.warmup(s, 5, delay=True) != lrcore.warmup(s, 5, delay=False)
    assert lrcore.warmup(s, 5).params["delay"] is True
    # A dict written before `delay` existed rebuilds the delayed warmup.
    old = {"name": "warmup", "params": {"schedule": s.to_dict(), "warmup_steps": 5, "init_value": 0.0}}
    assert lrcore.from_dict(old) == lrcore.warmup(s, 5)


# -- shift ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("child", sorted(CHILDREN))
@pytest.mark.parametrize(("a", "b"), [(3, 8), (-4, -11), (0, 5), (12, 0)])
def test_shift_of_a_shift_adds_the_steps(backend, child, a, b):
    s = CHILDREN[child]
    same_bits(backend, backend.evaluate(lrcore.shift(lrcore.shift(s, a), b), STEPS),
              backend.evaluate(lrcore.shift(s, a + b), STEPS))


@pytest.mark.parametrize("child", sorted(CHILDREN))
def test_shift_delay_holds_the_first_value_then_restarts_the_schedule(backend, child):
    s, d = CHILDREN[child], 13
    same_bits(backend, backend.evaluate(lrcore.shift(s, -d), STEPS),
              backend.evaluate(lrcore.join([lrcore.constant(float(s(0))), s], [d]), STEPS))


def test_shift_ahead_past_the_integer_range_is_its_largest_step(backend):
    """``k + steps`` beyond the range the step is evaluated in is that range's largest step, as any
    step beyond it is: never a wrapped-around (negative) step."""
    s = lrcore.cosine_restart(1.0, 1000, 1.5)
    top = backend.max_step
    for n in (1, 2**20, top - 5, top, 2**62):
        k = np.array([0, 7, top - n if n <= top else 0, top])
        want = np.minimum(k.astype(object) + n, top).astype(np.int64)
        same_bits(backend, backend.evaluate(lrcore.shift(s, n), k), backend.evaluate(s, want))



def test_a_stride_past_the_integer_range_is_its_largest_step(backend):
    """``n·k`` beyond the range the step is evaluated in (int32 on JAX without x64, docs/step.md) is
    that range's largest step; within it, the schedule at ``n·k`` exactly."""
    s = lrcore.linear(0.0, 1.0, 2**40)
    top = backend.max_step
    n = 3
    k = np.array([0, 1000, top // n, top // n + 1, top], dtype=np.int64)
    want = np.minimum(k.astype(object) * n, top).astype(np.int64)
    same_bits(backend, backend.evaluate(lrcore.stride(s, n), k), backend.evaluate(s, want))


def test_tensorflow_counts_tokens_past_int32():
    """TensorFlow's steps are int64: a token count past 2**31 - 1 is exact there (docs/step.md)."""
    import tensorflow as tf

    import lrcore.tf

    s = lrcore.linear(0.0, 1.0, 2**40)
    k = 2**30 + 1000  # 2k passes 2**31 - 1
    got = float(lrcore.tf.from_schedule(lrcore.stride(s, 2))(tf.constant(k, dtype=tf.int64)))
    assert got == float(np.float32(2 * k / 2**40))


# -- per_epoch ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("child", sorted(CHILDREN))
def test_per_epoch_of_one_step_is_the_schedule(backend, child):
    s = CHILDREN[child]
    same_bits(backend, backend.evaluate(lrcore.per_epoch(s, 1), STEPS), backend.evaluate(s, STEPS))


@pytest.mark.parametrize("child", sorted(CHILDREN))
def test_per_epoch_holds_each_epoch_and_nests(backend, child):
    s, n = CHILDREN[child], 3
    got = backend.evaluate(lrcore.per_epoch(s, n), STEPS)
    same_bits(backend, got, backend.evaluate(s, STEPS // n))
    same_bits(backend, backend.evaluate(lrcore.per_epoch(lrcore.per_epoch(s, 2), n), STEPS),
              backend.evaluate(lrcore.per_epoch(s, 2 * n), STEPS))


# -- add ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("child", sorted(CHILDREN))
def test_add_is_commutative_and_a_difference_with_itself_is_zero(backend, child):
    a, b = CHILDREN[child], lrcore.linear(0.0, 0.3, 50)
    same_bits(backend, backend.evaluate(a + b, STEPS), backend.evaluate(b + a, STEPS))
    assert np.all(backend.evaluate(a - a, STEPS) == 0.0)
    same_bits(backend, backend.evaluate(lrcore.add([a]), STEPS), backend.evaluate(a, STEPS))
    # A scale evaluates its schedule's precise values (a schedule alone may take a cheaper exact
    # formula): -(-a) is those values, as scale(a, 1.0) is.
    same_bits(backend, backend.evaluate(-(-a), STEPS), backend.evaluate(lrcore.scale(a, 1.0), STEPS))
    assert_ulp_close(backend.evaluate(-(-a), STEPS), backend.evaluate(a, STEPS), backend.bits)
    assert_ulp_close(backend.evaluate((a + 0.25) - 0.25, STEPS), backend.evaluate(a, STEPS), backend.bits)


def test_add_operators_build_the_sums():
    a, b = lrcore.cosine_decay(1.0, 10), lrcore.constant(0.5)
    assert a + b == lrcore.add([a, b]) and a + 0.5 == lrcore.add([a, b]) and 0.5 + a == lrcore.add([b, a])
    assert a - b == lrcore.add([a, lrcore.scale(b, -1.0)]) == lrcore.add([a, -b])
    assert a - 0.5 == lrcore.add([a, lrcore.constant(-0.5)]) and 1 - a == lrcore.add([lrcore.constant(1.0), -a])
    assert -a == lrcore.scale(a, -1.0) and (a + b + a).params["schedules"][0] == a + b  # no flattening
    assert sum([a, b], lrcore.constant(0.0)) == lrcore.add([lrcore.add([lrcore.constant(0.0), a]), b])
    with pytest.raises(ValueError, match="`value`.*nan"):
        a + float("nan")


# -- at step 0: what a warmup around them ramps to -------------------------------------------------------
NEW = ["shift", "per_epoch", "add", "warmup"]


@pytest.mark.parametrize("case", [c for name in NEW for c in examples.examples(name)], ids=lambda c: examples.case_id(c[0]))
def test_a_warmup_ramps_to_their_value_at_step_0_bit_for_bit(backend, case):
    """Their declared value at step 0 (``at_zero``) is their evaluation at 0, bit for bit: a warmup
    around them reaches it exactly at its end."""
    _, s, _ = case
    first = backend.evaluate(s, np.array([0]))
    ramp, at_end = backend.evaluate(lrcore.warmup(s, 4, init_value=0.0), np.array([2, 4]))
    same_bits(backend, np.array([at_end]), first)
    assert_ulp_close([ramp], first / 2, backend.bits, scale=max(abs(float(first[0])), 1e-30))


# -- landmarks --------------------------------------------------------------------------------------------
PIECES = lrcore.piecewise_constant([10, 30], [1.0, 0.5, 0.25])


@pytest.mark.parametrize(
    ("schedule", "end", "want"),
    [
        (lrcore.shift(PIECES, 4), 100, [6, 26]),
        (lrcore.shift(PIECES, 10), 100, [0, 20]),
        (lrcore.shift(PIECES, -5), 100, [5, 15, 35]),
        (lrcore.shift(PIECES, -5), 12, [5]),
        (lrcore.per_epoch(lrcore.piecewise_constant([2, 5], [1.0, 0.5, 0.1]), 10), 60, [10, 20, 30, 40, 50]),
        (lrcore.per_epoch(PIECES, 3), 10, [3, 6, 9]),
        (lrcore.warmup(PIECES, 5, delay=False), 100, [5, 10, 30]),
        (lrcore.warmup(lrcore.piecewise_constant([3, 30], [1.0, 0.5, 0.25]), 5, delay=False), 100, [5, 30]),
        (lrcore.warmup(PIECES, 5), 100, [5, 15, 35]),
        (PIECES + lrcore.piecewise_constant([20], [0.1, 0.0]), 100, [10, 20, 30]),
    ],
    ids=["shift-ahead", "shift-to-0", "shift-delay", "shift-delay-short", "per_epoch", "per_epoch-short",
         "warmup-overlay", "warmup-overlay-hides", "warmup-delay", "add"],
)
def test_landmarks_move_with_the_schedule(schedule, end, want):
    assert plot.landmarks(schedule, end) == want
