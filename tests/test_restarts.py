"""Restart exactness of ``cosine_restart``: never off by one step, at any magnitude.

The restart steps S_i come from the reference (a plain loop summing ceil(first_period·period_mul^i)
in exact ``Fraction`` arithmetic) up to the largest step the backend's integers hold. At every S_i
the value must be EXACTLY the cycle's start value (P_i without warmup, end_value with warmup), and
at S_i - 1 and S_i + 1 it must match the reference within the 4-ulp promise (S_i - 1 is the end of
the previous cycle, near end_value: a restart one step early or late fails there).
"""

from __future__ import annotations

import math
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lrcore
from tests import reference
from tests.conftest import BACKENDS
from tests.helpers import assert_ulp_close

FIRST_PERIODS = (1, 2, 3, 7, 10, 100, 1000)
PERIOD_MULS = (1.0, 1.05, 1.1, 1.25, 1.5, 2.0, 3.0, 1.3333333, 1.7320508075688772)
# JAX compiles every schedule under jit (about a second each), so it runs one period_mul per
# first_period (covering every period_mul across the set); the other backends run every pair.
JAX_MULS = {1: 1.05, 2: 1.3333333, 3: 1.0, 7: 1.1, 10: 1.7320508075688772, 100: 3.0, 1000: 1.25}
EXTRA_CYCLES = 200  # for period_mul = 1: the first and the last cycles up to max_step


def restart_steps(first_period: int, period_mul: float, max_step: int) -> np.ndarray:
    if period_mul == 1.0:
        last = max_step // first_period
        cycles = set(range(min(last, EXTRA_CYCLES) + 1)) | set(range(max(last - EXTRA_CYCLES, 0), last + 1))
        return np.array(sorted(i * first_period for i in cycles), dtype=np.int64)
    return np.array(reference.restart_starts(first_period, period_mul, max_step), dtype=np.int64)


def start_value(x: float, bits: int) -> float:
    return float(np.float32(x)) if bits == 32 else x


def check_restarts(backend, schedule, max_step):
    p = schedule.params
    starts = restart_steps(p["first_period"], p["period_mul"], max_step)
    starts = starts[starts >= 1]
    steps = np.unique(np.concatenate([starts - 1, starts, np.minimum(starts + 1, max_step), [0]]))
    got = backend.evaluate(schedule, steps)
    at = np.searchsorted(steps, starts)
    if p["warmup_steps"] > 0:
        want_start = np.full(starts.shape, start_value(p["end_value"], backend.bits))
    elif p["peak_mul"] == 1.0:
        want_start = np.full(starts.shape, start_value(p["peak_value"], backend.bits))
    else:
        want_start = None
    if want_start is not None:
        bad = np.flatnonzero(got[at] != want_start)
        assert bad.size == 0, (
            f"{schedule!r} on {backend}: value at restart S={starts[bad[0]]} is {got[at][bad[0]]!r}, "
            f"not the cycle's start value {want_start[0]!r}"
        )
    # The rest against the reference: every S_i - 1, a sample of S_i + 1, and S_i where the
    # start value is not exact (peak_mul != 1 without warmup).
    checked = np.isin(steps, starts - 1) | np.isin(steps, starts[::17] + 1)
    if want_start is None:
        checked |= np.isin(steps, starts)
    want = reference.values_of(schedule.to_dict(), steps[checked])
    assert_ulp_close(
        got[checked], want, backend.bits, scale=abs(p["peak_value"]), context=f"{schedule!r} on {backend}"
    )
    return starts


@pytest.mark.parametrize("first_period", FIRST_PERIODS)
def test_restarts_land_exactly(backend, first_period):
    muls = [JAX_MULS[first_period]] if backend.name == "jax" else PERIOD_MULS
    for period_mul in muls:
        plain = lrcore.cosine_restart(peak_value=0.1, first_period=first_period, period_mul=period_mul)
        starts = check_restarts(backend, plain, backend.max_step)
        assert starts[-1] > backend.max_step // 4  # the table reaches the top of the integer range
        if first_period > 1:
            warm = lrcore.cosine_restart(
                1.0, first_period, period_mul, peak_mul=0.7, end_value=0.01, warmup_steps=first_period // 2
            )
            check_restarts(backend, warm, backend.max_step)


def test_restart_near_the_int32_limit(backend):
    """A first period that makes restarts land at 2**31 - 2 and 2**31 - 1 (the last int32 steps)."""
    for schedule in (
        lrcore.cosine_restart(1.0, first_period=(2**31 - 2) // 2, end_value=0.5),
        lrcore.cosine_restart(1.0, first_period=2**31 - 1, warmup_steps=2**30),
        lrcore.cosine_restart(1.0, first_period=2**30 - 1, period_mul=2.0, warmup_steps=3, end_value=0.25),
    ):
        steps = np.array([0, 1, 2**30 - 2, 2**30 - 1, 2**30, 2**31 - 3, 2**31 - 2, 2**31 - 1], dtype=np.int64)
        want = reference.values_of(schedule.to_dict(), steps)
        got = backend.evaluate(schedule, steps)
        assert_ulp_close(got, want, backend.bits, scale=1.0, context=repr(schedule))


RANDOM = dict(
    first_period=st.integers(1, 5000),
    period_mul=st.one_of(
        st.integers(1, 192).map(lambda n: 1.0 + n / 64), st.floats(1.05, 4.0), st.just(1.0)
    ),
    warmup_fraction=st.floats(0.0, 0.99),
    peak_mul=st.sampled_from([1.0, 0.5, 0.9]),
)


def check_random(backend, first_period, period_mul, warmup_fraction, peak_mul):
    warmup_steps = min(int(warmup_fraction * first_period), first_period - 1)
    schedule = lrcore.cosine_restart(
        2.0, first_period, period_mul, peak_mul=peak_mul, end_value=0.125, warmup_steps=warmup_steps
    )
    check_restarts(backend, schedule, backend.max_step)


# The backend objects are stateless, so one serves every hypothesis example. JAX compiles each
# example under jit (about a second), so it gets its own test with fewer examples.
EAGER = [b for b in BACKENDS if b.name != "jax"]
JAX = [b for b in BACKENDS if b.name == "jax"]


@pytest.mark.parametrize("backend", EAGER, ids=lambda b: b.name)
@settings(max_examples=40)
@given(**RANDOM)
def test_random_restarts(backend, first_period, period_mul, warmup_fraction, peak_mul):
    check_random(backend, first_period, period_mul, warmup_fraction, peak_mul)


@pytest.mark.parametrize("backend", JAX, ids=lambda b: b.name)
@settings(max_examples=6)
@given(**RANDOM)
def test_random_restarts_jax(backend, first_period, period_mul, warmup_fraction, peak_mul):
    check_random(backend, first_period, period_mul, warmup_fraction, peak_mul)


@pytest.mark.parametrize("period_mul", [1.001, 1.0001, 1.01 + 2**-40])
def test_period_mul_near_one_starts_are_exact(period_mul):
    """Near 1 the table holds tens of thousands of cycles; its starts equal exact Fraction sums."""
    from fractions import Fraction

    s = lrcore.cosine_restart(peak_value=1.0, first_period=3, period_mul=period_mul, warmup_steps=1)
    ratio, starts, start = Fraction(period_mul), [], 0
    power = Fraction(1)
    for _ in range(1500):
        starts.append(start)
        start += math.ceil(3 * power)
        power *= ratio
    starts = np.array(starts)
    # At every restart the warmup starts from end_value (0) exactly; one step later it has risen.
    got = s(starts)
    assert np.all(got == 0.0)
    assert np.all(s(starts + 1) > 0.0)


# -- the warmup branch stays finite where it is not selected (docs/numerics.md, Purity) -------------
_HUGE_WARM_RESTARTS = {
    "tanh-m1": lambda: lrcore.tanh_restart(1.7e308, 9, end_value=-1.7e308, warmup_steps=3),
    "cos-m1": lambda: lrcore.cosine_restart(1.7e308, 9, warmup_steps=3),
    "cos-m1.5": lambda: lrcore.cosine_restart(1.7e308, 10, period_mul=1.5, warmup_steps=1),
    "poly-real-m1.5": lambda: lrcore.polynomial_restart(1.7e308, 10, period_mul=1.5, warmup_steps=2, whole_periods=False),
    "tanh-real-growing": lambda: lrcore.tanh_restart(1.7e308, 7, period_mul=1.25, peak_mul=0.5, warmup_steps=2, whole_periods=False, cycle_limit=4),
}


@pytest.mark.parametrize("name", sorted(_HUGE_WARM_RESTARTS))
def test_warmup_branch_never_overflows_on_numpy(name):
    """Past a cycle's warmup the discarded warmup line ``end·(1 - a) + peak·a`` would reach
    ``a = T_i/W_i``: at a level near float64's largest value it overflowed, a NumPy warning (an
    error here) on a schedule whose every value is finite."""
    schedule = _HUGE_WARM_RESTARTS[name]()
    steps = np.arange(0, 400, dtype=np.int64)
    with np.errstate(over="raise", invalid="raise"):
        values = schedule(steps)
        alone = [schedule(int(k)) for k in steps[:60]]
    assert np.all(np.isfinite(values))
    np.testing.assert_array_equal(np.asarray(alone, dtype=np.float64), values[:60])
    want = reference.values_of(schedule.to_dict(), steps)
    assert_ulp_close(values, want, 64)


def test_warmup_branch_never_overflows_under_jax_debug_infs():
    """The issue's case: float32 level 1e35, a 2**30-step cycle with a one-step warmup; at step
    100000 the discarded warmup line was 1e35·100000 = inf, which ``jax_debug_infs`` reports."""
    import jax
    import jax.numpy as jnp

    import lrcore.jax

    for schedule in (lrcore.cosine_restart(1e35, 2**30, period_mul=1.5, warmup_steps=1),
                     lrcore.cosine_restart(1e35, 2**30, warmup_steps=1),
                     lrcore.tanh_restart(1e35, 2**20, period_mul=2.0, warmup_steps=3, whole_periods=False)):
        f = lrcore.jax.from_schedule(schedule)
        steps = np.array([0, 1, 2, 3, 4, 99_999, 100_000, 2**20 + 1, 2**29, 2**31 - 1], dtype=np.int64)
        with jax.debug_infs(True):
            eager = np.asarray([float(f(jnp.int32(k))) for k in steps])
            jitted = np.asarray(jax.jit(f)(jnp.asarray(steps, dtype=jnp.int32)), dtype=np.float64)
        want = reference.values_of(schedule.to_dict(), steps)
        assert_ulp_close(eager, want, 32, context=repr(schedule))
        assert_ulp_close(jitted, want, 32, context=repr(schedule))
