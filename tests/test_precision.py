"""The precision promise at huge steps, against the exact reference.

Float32 backends (JAX with int32 steps, torch) are within 4 float32 ulp of the schedule's largest
value for steps up to 2**31 - 1; float64 backends (NumPy, array-api-strict, int64 steps) within
4 float64 ulp up to 2**53. Landmarks (staircase steps, piecewise boundaries, transition_begin,
decay ends, restarts, phase ends) are placed at huge steps and sampled at ±1 and ±2, where a float
decision would be a whole step off (optax's float32 ``floor(count / decay_steps)`` is, past 2**24).
"""

from __future__ import annotations

import math

import mpmath
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


@pytest.mark.parametrize("name", CASE_NAMES, ids=examples.case_id)
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


@pytest.mark.parametrize("name", ["pc", "exp-staircase-wide", "sgdr-m1", "poly-cycle"], ids=examples.case_id)
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


def test_exponential_decay_fractional_stairs_exact_at_any_step(backend):
    """A staircase with a fractional period (``exponential_decay(..., decay_steps=2.4,
    staircase=True)``) decides stair ``floor(k / d)`` on the integer step, exactly for the float's
    binary value of ``d``, at every step the backend's integer type holds: checked on the decision
    itself, at the first step of stairs up to the largest step and at their neighbours (a value
    there would underflow long before)."""
    from fractions import Fraction

    from lrcore import _array, decay

    top = backend.max_step
    dtype = "int32" if top < 2**32 else "int64"
    for d in (2.4, 1.0 + 2.0**-52, 3.141592653589793, 7.5, 2.0**52 + 0.5, 1e9 + 0.1):
        q = Fraction(d)
        stairs = [1, 2, 7, 10**6, 2**20 + 3, top // 7, int(top / q) - 1, int(top / q)]
        edges = [-((-n * q.numerator) // q.denominator) for n in stairs]
        steps = sorted({k + e for k in edges for e in (-1, 0, 1) if 0 <= k + e <= top} | {0, 1, top - 1, top})
        k, ops = _array.prepare(backend.array(np.asarray(steps, dtype=dtype), dtype))[:2]
        got = np.asarray(decay._stair(ops, k, d)).astype(np.int64).tolist()
        assert got == [int(Fraction(s) / q) for s in steps], (backend, d)


# -- weights near 0: no cancellation ---------------------------------------------------------------
# ½(1 + cos πx) computed as written cancels near x = 1: its error is an ulp of 1 on a value near 0.
# An exponent below 1 magnifies it (w**0.05 of w = 1e-19 is 0.12), and so does a clip far below the
# peak (the promise is measured against the clipped schedule's own largest value).
def _tail_cases(D):
    W = D // 10 + 3
    return {
        "cos-e0.05": (L.cosine_decay(1.0, D, exponent=0.05), D),
        "cos-e0.5": (L.cosine_decay(1.0, D, end_value=0.01, exponent=0.5), D),
        "wcd-e0.3": (L.warmup_cosine_decay(0.0, 1.0, W, D, exponent=0.3), D),
        "poly-p0.3": (L.polynomial_decay(1.0, 0.0, D, power=0.3), D),
        "clip-cos": (L.clip(L.cosine_decay(1.0, D), max_value=1e-3), D),
        "clip-cos-e0.5": (L.clip(L.cosine_decay(1.0, D, exponent=0.5), max_value=1e-3), D),
        "clip-wcd": (L.clip(L.warmup_cosine_decay(0.0, 1.0, W, D), max_value=1e-4), D),
        "clip-sgdr-m1": (L.clip(L.cosine_restart(1.0, D // 2 + 7, warmup_steps=5), max_value=1e-3), D // 2 + 7),
        "clip-sgdr-m2": (L.clip(L.cosine_restart(1.0, D // 3 + 1, 2.0, warmup_steps=5), max_value=1e-3), D // 3 + 1),
        "clip-wsd-cos": (L.clip(L.warmup_stable_decay(1.0, 0, 0, D, decay_shape="cosine"), max_value=1e-3), D),
        "clip-wsd-1-sqrt": (L.clip(L.warmup_stable_decay(1.0, 0, 0, D, decay_shape="1-sqrt"), max_value=1e-3), D),
        "clip-poly-p0.5": (L.clip(L.polynomial_decay(1.0, 0.0, D, power=0.5), max_value=1e-3), D),
        "clip-onecycle": (L.clip(L.onecycle(1.0, D), max_value=1e-3), D),
        "clip-onecycle-linear": (L.clip(L.onecycle(1.0, D, anneal="linear"), max_value=1e-3), D),
        "clip-cyclic": (L.clip(L.cyclic(0.0, 1.0, 5, D - 6), max_value=1e-3), D - 1),
        "clip-pl": (L.clip(L.piecewise_linear([0, D], [1.0, 0.0]), max_value=1e-3), D),
        "clip-pl-3": (L.clip(L.piecewise_linear([0, 5, D // 3, D], [0.0, 1.0, 0.5, 1e-9]), max_value=1e-4), D),
        "multiply-pl-growth": (L.multiply([L.piecewise_linear([0, D], [1.0, 0.0]),
                                         L.exponential_decay(1.0, D // 10, 10.0, end_value=1e10)]), D),
    }


TAIL_CASES = sorted(_tail_cases(2**31))


def tail_steps(end: int, top: int) -> np.ndarray:
    """Steps approaching ``end`` geometrically (where the weight goes to 0), plus a coarse grid."""
    steps = {0, 1, 2, end - 1, end - 2, end - 3} | {int(x) for x in np.linspace(0, end, 41)}
    steps |= {end - int(end * f) for f in np.geomspace(1e-9, 0.5, 120)}
    return np.array(sorted(s for s in steps if 0 <= s <= top), dtype=np.int64)


@pytest.mark.parametrize("name", TAIL_CASES, ids=examples.case_id)
def test_small_weights_without_cancellation(backend, name):
    D = 2**31 if backend.bits == 32 else 2**53
    schedule, end = _tail_cases(D)[name]
    steps = tail_steps(end, limit(backend))
    want = reference.values_of(schedule.to_dict(), steps)
    got = backend.evaluate(schedule, steps)
    assert_ulp_close(got, want, backend.bits, context=f"{schedule!r} on {backend}")


def test_cosine_exponent_below_one_keeps_its_last_steps(backend):
    """The issue's case: 0.0 at step 2**31 - 1 instead of 0.122 (12 % of the range)."""
    schedule = L.cosine_decay(1.0, 2**31, exponent=0.05)
    steps = np.asarray([2**31 - 1, 2**31 - 2], dtype=np.int64)
    got = backend.evaluate(schedule, steps)
    want = reference.values_of(schedule.to_dict(), steps)
    assert 0.12 < want[0] < 0.125
    assert_ulp_close(got, want, backend.bits, scale=1.0)


# -- rising curves: their first values are the small ones ---------------------------------------
# A curve rising from a level near 0 starts where its power weight w**p is near 1: 1 - w**p computed
# as written carried the power's rounding (a unit of 1) into the first values, 1 % of a clip's bound
# far below the peak (clip(cosine_decay(0, 1000, 1, exponent=2), 1e-5) in float32, step 1).
def _rising_cases(D):
    def clip(s):
        return L.clip(s, max_value=1e-5)

    return {
        **{f"clip-cos-e{e}": clip(L.cosine_decay(0.0, D, 1.0, exponent=e)) for e in (0.05, 0.5, 2.0, 3.0)},
        "clip-cos-e2-k0.5": clip(L.cosine_decay(0.0, D, 1.0, exponent=2.0, k_decay=0.5)),
        **{f"clip-poly-p{p}": clip(L.polynomial_decay(0.0, 1.0, D, power=p)) for p in (0.5, 2.0, 3.0, 4.0, 7.0)},
        "clip-poly-p2-cycle": clip(L.polynomial_decay(0.0, 1.0, D, power=2.0, cycle=True)),
        **{f"clip-polyr-p{p}": clip(L.polynomial_restart(0.0, D, end_value=1.0, power=p)) for p in (0.5, 2.0)},
        "multiply-cos-e2": L.multiply([L.cosine_decay(0.0, D, 1.0, exponent=2.0), L.exponential_decay(1.0, 1, 1e-3)]),
    }


@pytest.mark.parametrize("D", [1000, 2**20])
@pytest.mark.parametrize("name", sorted(_rising_cases(1000)), ids=examples.case_id)
def test_a_rising_curve_keeps_its_first_values(backend, name, D):
    schedule = _rising_cases(D)[name]
    steps = np.unique(np.geomspace(1, D, 60).astype(np.int64))
    steps = np.concatenate([[0], steps, [D + 1]])
    want = reference.values_of(schedule.to_dict(), steps)
    got = backend.evaluate(schedule, steps)
    # k_decay's x**k is an exponential: docs/numerics.md allows a clip R times below the peak about
    # ln(1/R) units of its own values more (R = 1e-5 here).
    ulps = 4.0 + (math.log(1e5) if "-k" in name else 0.0)
    assert_ulp_close(got, want, backend.bits, ulps=ulps, context=f"{schedule!r} on {backend}")


# -- the tanh weight where its argument keeps one sign ---------------------------------------------
# With lower >= 0 (or upper <= 0) the curve lies where ½(1 - tanh z) (or ½(1 + tanh z)) is small:
# computed as written it cancelled (float32 gave 0.0 at every step of lower=10, upper=20).
TANH_BOUNDS = [(1.0, 3.0), (2.0, 10.0), (4.0, 5.0), (10.0, 20.0), (-7.0, 3.0), (-20.0, -10.0), (0.0, 5.0), (-5.0, 0.0)]


def _tanh_cases(lower, upper):
    return {
        "tanh_decay": L.tanh_decay(1.0, 150, lower=lower, upper=upper),
        "tanh_decay-end": L.tanh_decay(0.3, 150, end_value=0.01, lower=lower, upper=upper),
        "tanh_restart": L.tanh_restart(1.0, 100, lower=lower, upper=upper),
        "tanh_restart-real": L.tanh_restart(1.0, 37, period_mul=1.5, whole_periods=False, lower=lower, upper=upper),
        # rising from end_value: the second half is the one the schedule's largest value comes from
        "tanh_restart-rising": L.tanh_restart(0.0, 100, end_value=1.0, lower=lower, upper=upper),
    }


@pytest.mark.parametrize("name", sorted(_tanh_cases(0.0, 1.0)))
@pytest.mark.parametrize("lower, upper", TANH_BOUNDS, ids=lambda v: str(v))
def test_tanh_weight_keeps_the_promise_for_any_bounds(backend, name, lower, upper):
    schedule = _tanh_cases(lower, upper)[name]
    steps = np.asarray(list(range(0, 420)) + [2**31 - 1], dtype=np.int64)
    want = reference.values_of(schedule.to_dict(), steps)
    got = backend.evaluate(schedule, steps)
    assert_ulp_close(got, want, backend.bits, context=f"{schedule!r} on {backend}")


def test_tanh_decay_with_positive_bounds_is_not_zero(backend):
    """The report's case: lower=10, upper=20 gave 0.0 in float32 (exact 2.06e-9 at step 0)."""
    schedule = L.tanh_restart(1.0, 100, lower=10.0, upper=20.0)
    got = backend.evaluate(schedule, np.asarray([0, 17], dtype=np.int64))
    want = reference.values_of(schedule.to_dict(), [0, 17])
    assert 2.0e-9 < want[0] < 2.1e-9 and np.all(got > 0.0)
    assert_ulp_close(got, want, backend.bits)


@pytest.mark.parametrize("lower, upper, bound", [(-3.0, 7.0, 1e-4), (-7.0, 3.0, 1e-2), (-1.0, 10.0, 1e-6), (-10.0, 1.0, 0.2)])
@pytest.mark.parametrize("restart", [False, True])
def test_clipped_tanh_across_zero_keeps_the_limit_of_an_exponential(backend, lower, upper, bound, restart):
    """Where the tanh argument z changes sign, ½(1 ∓ tanh z) cancels in its small half: a clip far
    below the peak saw an error of a rounding of ½ (10 % at clip(tanh_decay(1, 1000, -3, 7), 1e-4),
    step 998). In a clip the small half is e^{-2|z|}/(1 + e^{-2|z|}): within the promise of the
    clip's bound plus what an exponential e^y carries far below its peak (docs/numerics.md), a few
    |y|u of the value, y = 2|z|."""
    d = 1000
    inner = L.tanh_restart(1.0, d, lower=lower, upper=upper) if restart else L.tanh_decay(1.0, d, lower=lower, upper=upper)
    schedule = L.clip(inner, max_value=bound)
    steps = np.arange(0, 2 * d + 3 if restart else d + 2, dtype=np.int64)
    want = reference.values_of(schedule.to_dict(), steps)
    got = np.asarray(backend.evaluate(schedule, steps), dtype=np.float64)
    u = 2.0**-24 if backend.bits == 32 else 2.0**-53
    z = np.abs(lower + (upper - lower) * (steps % d if restart else np.minimum(steps, d)) / d)
    allowed = 8 * u * bound + 4 * (2 * z) * u * np.abs(want)
    assert np.all(np.abs(got - want) <= allowed), (backend, float(np.max(np.abs(got - want) / allowed)))


# -- large exponents and powers --------------------------------------------------------------------
# w**p of a weight w near 1, with w rounded once, carries p times its rounding (24 units of the
# promise at p = 100); the power goes through the weight's exact complement instead.
def _power_cases(p):
    return {
        "cos-exponent": L.cosine_decay(1.0, 1000, exponent=p),
        "cos-exponent-k3": L.cosine_decay(1.0, 1000, exponent=p, k_decay=3.0),
        "wcd-exponent": L.warmup_cosine_decay(0.0, 1.0, 10, 1000, exponent=p),
        "poly-power": L.polynomial_decay(1.0, 0.0, 1000, power=p),
        "poly-power-end": L.polynomial_decay(1.0, 0.3, 1000, power=p),
        "poly-restart": L.polynomial_restart(1.0, 1000, power=p),
        "poly-restart-k3": L.polynomial_restart(1.0, 1000, power=p, k_decay=3.0),
    }


@pytest.mark.parametrize("name", sorted(_power_cases(2.0)))
@pytest.mark.parametrize("p", [5.5, 30.0, 100.0, 1000.0])
def test_large_exponents_keep_the_promise(backend, name, p):
    schedule = _power_cases(p)[name]
    steps = np.asarray(list(range(0, 1001, 3)) + list(range(0, 60)) + [2**31 - 1], dtype=np.int64)
    want = reference.values_of(schedule.to_dict(), steps)
    got = backend.evaluate(schedule, steps)
    assert_ulp_close(got, want, backend.bits, context=f"{schedule!r} on {backend}")


@pytest.mark.parametrize("k_decay", [1e-6, 1e-4, 0.01, 0.3])
@pytest.mark.parametrize("p", [0.05, 0.5])
def test_small_k_decay_with_a_small_exponent_keeps_the_promise(backend, k_decay, p):
    """A small ``k_decay`` puts ``x**k`` near 1 below ``x = ½`` too: ``1 - x**k`` cancelled there,
    and an exponent or power below 1 magnified it (21 000 units at k_decay=1e-6, power 0.05)."""
    steps = np.asarray(list(range(0, 1001, 7)) + [1, 2, 3, 499, 500, 501, 998, 999, 2**31 - 1], dtype=np.int64)
    for schedule in (L.cosine_decay(1.0, 1000, exponent=p, k_decay=k_decay),
                     L.polynomial_restart(1.0, 1000, power=p, k_decay=k_decay),
                     L.cosine_restart(1.0, 1000, k_decay=k_decay, end_value=0.25)):
        want = reference.values_of(schedule.to_dict(), steps)
        assert_ulp_close(backend.evaluate(schedule, steps), want, backend.bits, context=f"{schedule!r} on {backend}")


@pytest.mark.parametrize("k_decay, p, d", [(1e-17, 0.05, 1000), (1e-10, 0.5, 2**31 - 1), (1e-40, 0.01, 10),
                                          (1e-152, 0.01, 1000), (1e-170, 0.01, 1000), (1e-310, 0.01, 10)])
def test_a_tiny_k_decay_with_a_small_exponent_keeps_the_promise(backend, k_decay, p, d):
    """A tiny ``k_decay`` makes ``1 - x**k`` (about ``k·|log x|``) or the cosine's small half (its
    square) fall below the smallest normal float: subnormal, or 0 where JAX flushes it, and a
    power below 1 of it was far off (``cosine_decay(1, 1000, exponent=0.05, k_decay=1e-17)`` gave
    0.0127 at step 999 in float32, 0.0 on JAX, for 0.01046; 930 000 units of the promise). Their
    logarithms come from ``log k_decay`` instead.

    The reference is mpmath at 60 digits, with ``1 - x**k`` as ``-expm1(k·log x)`` and the small
    half as ``sin²(π(1 - x**k)/2)``: the same numbers, without the cancellations (the tabulated
    reference forms ``x**k`` itself, which at ``k = 1e-310`` needs 620 digits)."""
    steps = np.unique(np.asarray([0, 1, 2, d // 3, d // 2, d - 3, d - 2, d - 1, d, 2 * d - 1], dtype=np.int64))
    steps = steps[steps <= backend.max_step]

    def complement(step):  # 1 - x**k at x = (step mod d)/d; x = 0 at a restart
        x = mpmath.mpf(int(step) % d) / d
        return mpmath.mpf(1) if x == 0 else -mpmath.expm1(k_decay * mpmath.log(x))

    with mpmath.workdps(60):
        cos_want = [1.0 if k == 0 else 0.0 if k >= d else float(mpmath.sin(mpmath.pi * complement(k) / 2) ** (2 * p))
                    for k in steps]
        poly_want = [float(complement(k) ** p) for k in steps]
    cases = [(L.cosine_decay(1.0, d, exponent=p, k_decay=k_decay), cos_want),
             (L.polynomial_restart(1.0, d, power=p, k_decay=k_decay), poly_want)]
    for schedule, want in cases:
        assert_ulp_close(backend.evaluate(schedule, steps), np.asarray(want), backend.bits,
                         context=f"{schedule!r} on {backend}")


@pytest.mark.parametrize("power", [3.5, 7.0, 13.0, 30.0, 100.0, 1000.0])
def test_polynomial_cycle_first_cycle_as_precise_as_without_cycle(backend, power):
    """``polynomial_decay(..., cycle=True)`` keeps the promise in its first cycle, where the power
    amplifies the rounding of ``(d - r)/d``: it is formed as ``1 - r/d`` there (XLA turns a division
    by the constant ``d`` into a product with a rounded ``1/d``, 4.4 units at power 7 on JAX)."""
    schedule = L.polynomial_decay(1.0, 0.01, 1000, power=power, cycle=True)
    steps = np.concatenate([np.arange(0, 3002), [2**24 + 1, 2**31 - 1]]).astype(np.int64)
    want = reference.values_of(schedule.to_dict(), steps)
    assert_ulp_close(backend.evaluate(schedule, steps), want, backend.bits, scale=1.0)


@pytest.mark.parametrize("power", [3.5, 7.0, 13.0])
def test_polynomial_cycle_precise_on_eager_jax(power):
    import jax.numpy as jnp

    import lrcore.jax

    schedule = L.polynomial_decay(1.0, 0.01, 1000, power=power, cycle=True)
    steps = np.arange(0, 2002, dtype=np.int64)
    got = np.asarray(lrcore.jax.from_schedule(schedule)(jnp.asarray(steps, dtype=jnp.int32)), dtype=np.float64)
    want = reference.values_of(schedule.to_dict(), steps)
    assert_ulp_close(got, want, 32, scale=1.0)


def test_tiny_levels_keep_the_promise_down_to_float32s_smallest_normal():
    """docs/numerics.md: the float32 bound has an absolute floor of 2**-124 (four times the smallest
    normal 2**-126, below which JAX and TensorFlow flush results and intermediates to 0 while
    PyTorch and NumPy keep them)."""
    import jax
    import jax.numpy as jnp
    import tensorflow as tf
    import torch

    import lrcore.jax
    import lrcore.tf
    import lrcore.torch

    tiny = float(np.finfo(np.float32).smallest_normal)
    steps = np.arange(0, 101, dtype=np.int64)
    for schedule in (L.cosine_decay(1e-37, 100), L.cosine_decay(3e-38, 100, 1e-40), L.constant(1e-38),
                     L.linear(1e-39, 2e-36, 100)):
        want = reference.values_of(schedule.to_dict(), steps)
        largest = float(np.max(np.abs(want)))
        for got in (np.asarray(jax.jit(lrcore.jax.from_schedule(schedule))(jnp.asarray(steps, dtype=jnp.int32))),
                    lrcore.torch.from_schedule(schedule)(torch.as_tensor(steps)).numpy(),
                    lrcore.tf.from_schedule(schedule)(tf.constant(steps)).numpy(),
                    schedule.evaluate(steps, dtype=np.float32)):
            err = np.abs(got.astype(np.float64) - want)
            assert np.all(err <= 4 * 2.0**-23 * largest + 4 * tiny), (schedule, err.max() / tiny)
    # The floor is where the backends part: JAX gives 0, PyTorch the subnormal.
    assert float(lrcore.jax.constant(1e-38)(0)) == 0.0
    assert float(lrcore.torch.constant(1e-38)(torch.tensor(0))) == float(np.float32(1e-38))
