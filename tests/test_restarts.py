"""Restart exactness of ``cosine_restart``: never off by one step, at any magnitude.

The restart steps S_i come from the reference (a plain loop summing ceil(first_period·period_mul^i)
in exact ``Fraction`` arithmetic) up to the largest step the backend's integers hold. At every S_i
the value must be EXACTLY the cycle's start value (P_i without warmup, end_value with warmup), and
at S_i - 1 and S_i + 1 it must match the reference within the 4-ulp promise (S_i - 1 is the end of
the previous cycle, near end_value: a restart one step early or late fails there).
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lrcore
from tests import examples, reference
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


# -- each cycle's peak P·peak_mul**i, rounded once (docs/numerics.md, Exact restarts) ---------------
def _nearest(x, dtype) -> float:
    """The exact fraction ``x`` rounded to nearest (ties to even) in ``dtype``: the candidates around
    ``float(x)`` compared by their exact distance to ``x``."""
    from fractions import Fraction

    c = dtype(float(x))
    candidates = {c, np.nextafter(c, dtype(np.inf)), np.nextafter(c, dtype(-np.inf))}
    uint = np.uint32 if dtype is np.float32 else np.uint64
    return float(min(candidates, key=lambda f: (abs(Fraction(float(f)) - x), int(np.asarray(f, dtype).view(uint)) & 1)))


def _peak_runs():
    """(name, factory module, step array maker, float dtype, whether subnormal results flush to 0,
    a function giving the 0-d result, a function giving the array's)."""
    import jax
    import jax.numpy as jnp
    import torch

    import lrcore.jax
    import lrcore.numpy
    import lrcore.torch

    def plain(maker):
        return lambda s, k: s(k), lambda s, ks: s(maker(ks))

    def jitted(s, k):
        return jax.jit(s)(jnp.int32(k))

    return [
        ("core", lrcore, np.float64, False, lambda s, k: s(int(k)), lambda s, ks: s(np.asarray(ks))),
        ("numpy", lrcore.numpy, np.float64, False, *plain(np.asarray)),
        ("torch", lrcore.torch, np.float32, False, lambda s, k: s(torch.tensor(int(k))), lambda s, ks: s(torch.as_tensor(ks))),
        ("jax", lrcore.jax, np.float32, True, lambda s, k: s(jnp.int32(k)), lambda s, ks: s(jnp.asarray(ks, dtype=jnp.int32))),
        ("jax-jit", lrcore.jax, np.float32, True, jitted, lambda s, ks: jax.jit(s)(jnp.asarray(ks, dtype=jnp.int32))),
    ]


PEAK_MULS = (0.5, 2.0, 0.9, 0.1, 3.0)


@pytest.mark.parametrize("shape", ["cosine_restart", "polynomial_restart"])
@pytest.mark.parametrize("period_mul", [1.0, 1.5])
@pytest.mark.parametrize("peak_mul", PEAK_MULS)
def test_restart_value_is_the_peak_rounded_once(shape, period_mul, peak_mul):
    """At every restart (no warmup) the value is ``P·peak_mul**i`` rounded once to the adapter's
    float format: exact where that is representable (``peak_mul`` 0.5, 2), the nearest float
    otherwise. ``exp(i·ln(peak_mul))`` gave 0.12500000000000003 at cycle 3 of ``peak_mul=0.5`` and
    15.999999999999998 at cycle 4 of ``peak_mul=2``. A step alone and in an array agree bit for bit
    (eagerly and, for JAX, under ``jit``). The reference is exact fractions, rounded by comparing
    the neighbouring floats' exact distances; JAX flushes subnormal float32 results to 0."""
    from fractions import Fraction

    peak, cycles = 0.7, 40
    limit = cycles if peak_mul > 1 else None  # growing peaks must stay finite in float32
    if period_mul == 1.0:
        starts = np.arange(cycles, dtype=np.int64) * 10
    else:
        starts = np.array(examples.restart_starts(10, period_mul, 2**31 - 4)[:cycles], dtype=np.int64)
    steps = np.unique(np.concatenate([starts, starts + 1, starts + 3]))
    at = np.searchsorted(steps, starts)
    for name, module, dtype, flush, alone, array in _peak_runs():
        schedule = getattr(module, shape)(peak, 10, period_mul=period_mul, peak_mul=peak_mul, cycle_limit=limit)
        got = np.asarray(array(schedule, steps), dtype=np.float64)
        want = [_nearest(Fraction(peak) * Fraction(peak_mul) ** i, dtype) for i in range(len(starts))]
        if flush:
            want = [0.0 if abs(v) < float(np.finfo(np.float32).smallest_normal) else v for v in want]
        bad = np.flatnonzero(got[at] != np.array(want))
        assert bad.size == 0, f"{name} {schedule!r}: cycle {bad[0]} starts at {got[at][bad[0]]!r}, not {want[bad[0]]!r}"
        singles = np.array([float(alone(schedule, k)) for k in steps])
        np.testing.assert_array_equal(singles, got, err_msg=f"{name}: a step alone and in an array differ")


def test_peaks_past_the_table_stay_within_the_promise():
    """``period_mul=1`` tabulates the first 2**14 cycles' peaks; ``peak_mul=0.9999`` has more
    before its peak rounds to 0, so the cycles past the table take ``P·exp(i·ln(peak_mul))``:
    exact below, within the promise beyond, and a step alone gives the array's bits."""
    from fractions import Fraction

    import jax
    import jax.numpy as jnp

    import lrcore.jax

    s = lrcore.cosine_restart(1.0, 10, peak_mul=0.9999)
    cycles = np.array([0, 1, 2, 2**14 - 1, 2**14, 2**14 + 1, 10**5, 10**8])
    got = s(cycles * 10)
    with mpmath.workprec(200):
        want = [float(Fraction(0.9999) ** int(i)) if i < 2**14 else float(mpmath.mpf(0.9999) ** int(i)) for i in cycles]
    np.testing.assert_array_equal(got[cycles < 2**14], np.array(want)[cycles < 2**14])
    assert np.all(np.abs(got - want) <= 4 * 2.0**-52)
    np.testing.assert_array_equal(np.array([s(int(k)) for k in cycles * 10]), got)
    f = jax.jit(lrcore.jax.from_schedule(s))
    steps = jnp.asarray(cycles[:-1] * 10, dtype=jnp.int32)
    np.testing.assert_array_equal(np.asarray([f(k) for k in steps]), np.asarray(f(steps)))


def test_growing_peaks_past_the_table_stay_within_the_promise():
    """``peak_mul=1.005`` with 17000 cycles: past the first 2**14 the peak is ``peak_mul**i`` with an
    integer exponent, within the promise of the largest (last) peak in float32 and float64;
    ``exp(i·ln(peak_mul))`` erred there by 37·2**-23 (float32) and 55·2**-52 (float64) times the last
    peak, against a promise of 4. Steps alone give the array's bits."""
    import torch

    import lrcore.torch

    limit, peak_mul = 17000, 1.005
    cycles = np.unique(np.concatenate([np.arange(2**14 - 50, limit, 7), [limit - 1]]))
    with mpmath.workprec(200):
        want = np.array([float(mpmath.mpf(peak_mul) ** int(i)) for i in cycles])
        top = float(mpmath.mpf(peak_mul) ** (limit - 1))
    core = lrcore.cosine_restart(1.0, 10, peak_mul=peak_mul, cycle_limit=limit)
    got = core(cycles * 10)
    assert np.max(np.abs(got - want)) <= 4 * 2.0**-52 * top
    np.testing.assert_array_equal(np.array([core(int(k)) for k in cycles[::20] * 10]), got[::20])
    s = lrcore.torch.from_schedule(core)
    got32 = s(torch.as_tensor(cycles * 10)).double().numpy()
    assert np.max(np.abs(got32 - want)) <= 4 * 2.0**-23 * top
    np.testing.assert_array_equal(np.array([s(int(k)).item() for k in cycles[::20] * 10]), got32[::20])
