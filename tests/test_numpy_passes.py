"""The NumPy class's shortcuts (a clamp, a branch or a selection left out where a reduction shows it
would change nothing, a shift by one wrapping sum) give the generic class's bits, on blocks where
the shortcut applies and on blocks where it does not."""

from __future__ import annotations

import numpy as np
import pytest

import lrcore
from lrcore import _array

B = _array._NUMPY_BLOCK
TOP = 2**63 - 1


def _bits_equal(schedule, steps):
    for dtype in (np.float64, np.float32):
        got = schedule.evaluate(steps, xp=np, dtype=dtype)
        want = schedule.evaluate_with(np.maximum(steps, 0), _array.Ops(np, np.int64, dtype))
        assert got.dtype == want.dtype == dtype
        np.testing.assert_array_equal(got.view(np.uint8), want.view(np.uint8))


STEPS = {
    "from 0": np.arange(3 * B, dtype=np.int64),
    "past the landmarks": np.arange(3 * B, dtype=np.int64) + 50_000,
    "at the top": TOP - np.arange(3 * B, dtype=np.int64)[::-1],
    "mixed": np.concatenate([np.arange(B, dtype=np.int64) + 50_000, np.arange(B, dtype=np.int64),
                             TOP - np.arange(B, dtype=np.int64)]),
}


@pytest.mark.parametrize("steps", list(STEPS.values()), ids=list(STEPS))
@pytest.mark.parametrize("schedule", [
    lrcore.linear(1e-3, 1e-5, 40_000),
    lrcore.linear(1e-3, 1e-5, 40_000, transition_begin=7),
    lrcore.linear(1e300, 0.0, 3),  # j·C could pass the largest float64: the ramp clamps its steps
    lrcore.polynomial_decay(1.0, 0.1, 40_000),
    lrcore.cosine_decay(1.0, 40_000, end_value=0.1),
    lrcore.cosine_decay(1.0, 40_000, exponent=0.5),  # the precise formula: its minimum(k, d)
    lrcore.shift(lrcore.linear(1e-3, 1e-5, 40_000), 1000),
    lrcore.shift(lrcore.linear(1e-3, 1e-5, TOP), 2**62),  # sums that pass the int64 range
    lrcore.shift(lrcore.cosine_decay(1.0, 40_000), -1000),
    lrcore.per_epoch(lrcore.linear(1e-3, 1e-5, 100), 500),
    lrcore.noam(512, 4000),
    lrcore.inverse_sqrt(1.0, 4000, timescale=77),
    lrcore.inverse_sqrt(1.0, 0),
], ids=repr)
def test_shortcuts_give_the_generic_bits(schedule, steps):
    if schedule.params.get("init_value") == 1e300:
        # float32 holds no 1e300 level: float64 only.
        got = schedule.evaluate(steps, xp=np, dtype=np.float64)
        want = schedule.evaluate_with(steps, _array.Ops(np, np.int64, np.float64))
        np.testing.assert_array_equal(got.view(np.uint8), want.view(np.uint8))
        return
    _bits_equal(schedule, steps)


def test_ahead_is_the_clamped_sum():
    ops = _array._NumpyOps(np, np.int64, np.float64)
    k = np.asarray([0, 1, 5, 2**62, TOP - 2**62, TOP - 2**62 + 1, TOP], dtype=np.int64)
    for n in (1, 1000, 2**62, TOP):
        want = np.asarray([min(int(x) + n, TOP) for x in k], dtype=np.int64)
        np.testing.assert_array_equal(ops.ahead(k, n), want)
        np.testing.assert_array_equal(_array.Ops(np, np.int64, np.float64).ahead(k, n), want)


def test_reaches_says_only_what_the_steps_show():
    fast, generic = _array._NumpyOps(np, np.int64, np.float64), _array.Ops(np, np.int64, np.float64)
    k = np.arange(10, 20, dtype=np.int64)
    assert fast.reaches(k, 10) and not fast.reaches(k, 11)
    assert not fast.reaches(np.zeros(0, dtype=np.int64), 0)  # an empty block shows nothing
    assert not generic.reaches(k, 0)  # the generic class never knows its steps
