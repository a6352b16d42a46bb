"""The precision promise at huge steps, against the exact reference.

Float32 backends (JAX with int32 steps, torch) are within 4 float32 ulp of the schedule's largest
value for steps up to 2**31 - 1; float64 backends (NumPy, array-api-strict, int64 steps) within
4 float64 ulp up to 2**53. Landmarks (staircase steps, piecewise boundaries, transition_begin,
decay ends, restarts, phase ends) are placed at huge steps and sampled at ±1 and ±2, where a float
decision would be a whole step off (optax's float32 ``floor(count / decay_steps)`` is, past 2**24).
"""

from __future__ import annotations

import numpy as np
import pytest

import lrcore
from tests import examples, reference
from tests.helpers import assert_ulp_close

L = lrcore


def limit(backend) -> int:
    """The largest step the backend's precision promise covers."""
    return 2**31 - 1 if backend.bits == 32 else 2**53


# Each case builds (schedule, landmarks) from H, a huge step: 2**30 + 5 for float32 backends,
# 2**52 - 3 for float64 backends (odd values, so that H // n is not a power of two); the cases are
# the `huge` examples of the tests' table.
_cases = examples.huge_examples


CASE_NAMES = sorted(_cases(2**30 + 5))
MAGNITUDES = {32: 2**30 + 5, 64: 2**52 - 3}
PROBES = [2**24 - 1, 2**24, 2**24 + 1, 2**30 - 1, 2**30, 2**31 - 2, 2**31 - 1, 2**40, 2**52, 2**53 - 1, 2**53]


def sample_steps(landmarks, top: int) -> np.ndarray:
    steps = set(range(0, 4)) | set(PROBES)
    steps |= {int(x) for x in np.linspace(0, top, 41)}
    for b in landmarks:
        steps |= set(range(b - 2, b + 3))
    return np.array(sorted(s for s in steps if 0 <= s <= top), dtype=np.int64)


@pytest.mark.parametrize("name", CASE_NAMES)
def test_huge_steps(backend, name):
    H = MAGNITUDES[backend.bits]
    schedule, landmarks = _cases(H)[name]
    steps = sample_steps(landmarks, limit(backend))
    want = reference.values_of(schedule.to_dict(), steps)
    got = backend.evaluate(schedule, steps)
    # Every case's largest value is at step 0 or at a sampled landmark.
    assert_ulp_close(got, want, backend.bits, context=f"{schedule!r} on {backend}")


def test_staircase_is_exact_where_float32_rounding_is_a_step_off(backend):
    """At k = j·d - 1 past 2**24, float32(k)/d rounds up to j; the staircase must still use j - 1."""
    d = 2**20 + 1
    schedule = L.exponential_decay(1.0, decay_steps=d, decay_rate=0.999, staircase=True)
    j = np.arange(16, (2**31 - 1) // d + 1, dtype=np.int64)
    stair_ends = j * d - 1
    float_stair = np.floor(stair_ends.astype(np.float32).astype(np.float64) / d).astype(np.int64)
    j = j[float_stair != stair_ends // d]  # where a float32 floor(k / d) is a whole step off
    assert j.size > 500
    steps = np.sort(np.concatenate([j * d - 2, j * d - 1, j * d]))
    want = reference.values_of(schedule.to_dict(), steps)
    got = backend.evaluate(schedule, steps)
    # One stair is a drop of >= 1e-4 here, far above the 4-ulp tolerance: an off-by-one fails.
    assert_ulp_close(got, want, backend.bits, scale=1.0)
    np.testing.assert_array_equal(got[0::3], got[1::3])


@pytest.mark.parametrize("name", ["pc", "exp-staircase-wide", "sgdr-m1", "poly-cycle"])
def test_landmarks_exact_at_any_int64_step(backend, name):
    """Landmark decisions are exact at every magnitude the step's integer type holds."""
    H = 2**61 if backend.max_step > 2**31 else 2**30
    schedule, landmarks = _cases(H)[name]
    steps = sample_steps(landmarks, backend.max_step)
    steps = steps[steps >= H // 2]
    d = schedule.to_dict()
    want = reference.values_of(d, steps)
    got = backend.evaluate(schedule, steps)
    scale = max(float(reference.value_of(d, 0)), float(np.max(np.abs(want))))
    assert_ulp_close(got, want, backend.bits, scale=scale)
