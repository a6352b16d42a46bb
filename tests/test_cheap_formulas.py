"""The cheap formulas (docs/numerics.md, "Cheap formulas where the levels allow them"): chosen only
where the levels allow them, within the precision promise against mpmath wherever they are chosen,
and drawn on both sides of their conditions by the property tests' strategies."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings

import lrcore
from tests import reference
from tests import strategies as S
from tests.helpers import assert_ulp_close, cheap_formulas_used


def _cheap(schedule, dtype=np.float64) -> bool:
    """Whether ``schedule`` evaluates with a cheap formula (its code path, read off the Ops calls)."""
    return bool(cheap_formulas_used(schedule, dtype))


@pytest.mark.parametrize("schedule, cheap", [
    (lrcore.linear(1e-3, 1e-5, 100), True),
    (lrcore.linear(0.0, 1.0, 100), True),
    (lrcore.linear(-1.0, 1.0, 100), False),  # opposite signs
    (lrcore.polynomial_decay(1e-3, 1e-5, 100, power=2.0), True),
    (lrcore.polynomial_decay(1e-5, 1e-3, 100, power=2.0), False),  # growing
    (lrcore.polynomial_decay(1.0, 0.0, 100, power=3.0), False),
    (lrcore.polynomial_decay(1.0, 0.0, 100, power=2.0, cycle=True), False),
    (lrcore.cosine_decay(1e-3, 100, end_value=1e-5), True),
    (lrcore.cosine_decay(1e-3, 100, exponent=0.5), False),
    (lrcore.cosine_decay(1e-5, 100, end_value=1e-3), False),
    (lrcore.cosine_restart(1e-3, 100, end_value=1e-5), True),
    (lrcore.cosine_restart(1e-3, 100, warmup_steps=10), False),
    (lrcore.cosine_restart(1e-3, 100, period_mul=2.0), False),
    (lrcore.clip(lrcore.cosine_decay(1.0, 100), max_value=1e-3), False),
    (lrcore.scale(lrcore.linear(1.0, 0.0, 100), 0.5), False),
    (lrcore.multiply([lrcore.linear(1.0, 0.0, 100), lrcore.constant(2.0)]), False),
    (lrcore.multiply([lrcore.linear(1.0, 0.0, 100)]), True),
    (lrcore.join([lrcore.linear(0.0, 1.0, 10), lrcore.cosine_decay(1.0, 100)], [10]), True),
    (lrcore.warmup(lrcore.cosine_decay(1.0, 100), 10), True),
])
def test_the_choice_follows_the_parameters(schedule, cheap):
    assert _cheap(schedule) is cheap


def test_a_tiny_square_ramp_constant_keeps_the_precise_formula():
    # (a - b)/d² below float32's smallest normal: the precise formula in float32, the cheap in float64.
    s = lrcore.polynomial_decay(1e-20, 0.0, 2**40, power=2.0)
    assert not _cheap(s, np.float32) and _cheap(s, np.float64)


@pytest.mark.parametrize("name", ["linear", "polynomial_decay", "cosine_decay", "cosine_restart"])
def test_property_strategies_draw_both_formulas(name):
    """The property tests exercise both the cheap and the precise formula of every schedule that has both."""
    seen = set()

    @settings(max_examples=150, database=None)
    @given(S.kwargs_for(name))
    def collect(kwargs):
        seen.add(_cheap(getattr(lrcore, name)(**kwargs)))

    collect()
    assert seen == {True, False}


def _cheap_cases(rng, top: int):
    """Random cheap-formula schedules with lengths from 1 to ``top`` (past 2**24 included)."""
    out = []
    for _ in range(12):
        a = float(rng.choice([1.0, -1.0])) * 10.0 ** rng.uniform(-6, 2)
        b = a * float(rng.choice([0.0, rng.uniform(0, 1), 1e-2, 1.0]))
        d = int(rng.choice([1, 2, 3, int(rng.integers(4, 1000)), int(rng.integers(2**24 - 5, 2**24 + 5)),
                            int(rng.integers(2**24, top))]))
        out += [
            lrcore.linear(a, b, d), lrcore.linear(b, a, d, transition_begin=int(rng.integers(0, 50))),
            lrcore.polynomial_decay(a, b, d, power=float(rng.choice([1.0, 2.0]))),
            lrcore.cosine_decay(a, d, end_value=b), lrcore.cosine_restart(a, d, end_value=b),
        ]
    return out


def _steps_of(d: int, rng, top: int) -> np.ndarray:
    near = [0, 1, 2, d // 4, d // 2, (2 * d) // 3, d - 2, d - 1, d, d + 1, 2 * d - 1, 2 * d]
    rand = rng.integers(0, min(2 * d + 2, top), 40)
    return np.unique(np.clip(np.asarray(near + list(rand), dtype=np.int64), 0, top))


def test_cheap_formulas_keep_the_promise(backend):
    rng = np.random.default_rng(20261207)
    top = 2**31 - 1 if backend.bits == 32 else 2**53
    for schedule in _cheap_cases(rng, top):
        assert _cheap(schedule)
        p = schedule.params
        d = p.get("transition_steps") or p.get("decay_steps") or p.get("first_period")
        steps = _steps_of(d, rng, top)
        want = reference.values_of(schedule.to_dict(), steps)
        largest = max(abs(float(reference.value_of(schedule.to_dict(), 0))), float(np.max(np.abs(want))))
        assert_ulp_close(backend.evaluate(schedule, steps), want, backend.bits, scale=largest,
                         context=f"{schedule!r} on {backend}")


def _cos_ulps(got, theta, dtype):
    want = np.cos(theta.astype(np.longdouble))
    spacing = np.spacing(np.abs(got.astype(dtype))).astype(np.longdouble)
    return float(np.max(np.abs(got.astype(np.longdouble) - want) / spacing))


def test_cos_is_within_two_ulps_on_zero_to_pi():
    """The cosine bound of docs/numerics.md assumes every backend's cos within 2 ulp on [0, π]."""
    import jax
    import jax.numpy as jnp
    import torch

    rng = np.random.default_rng(3)
    theta = np.concatenate([rng.uniform(0, math.pi, 200_000), np.linspace(0, math.pi, 10_001)])
    t32 = theta.astype(np.float32)
    assert _cos_ulps(np.cos(theta), theta, np.float64) <= 2
    assert _cos_ulps(np.cos(t32), t32, np.float32) <= 2
    assert _cos_ulps(np.asarray(jax.jit(jnp.cos)(t32)), t32, np.float32) <= 2
    assert _cos_ulps(torch.cos(torch.from_numpy(t32)).numpy(), t32, np.float32) <= 2


def _cosine_level_cases(rng):
    """Levels for the cheap cosine: random ones of both signs, the benchmarks' (1e-3 to 1e-5, whose
    float32 constants need a nudge), a decay to 0, a flat one, and float32 subnormal levels (which
    keep the form ``a - H·(1 - cos θ)``)."""
    out = [(1e-3, 1e-5), (0.1, 0.0), (0.5, 0.5), (2.6411306106474008e-40, 0.0),
           (-1.6161360533005565e-44, -1.2211310288821822e-44)]
    for _ in range(40):
        a = float(rng.choice([1.0, -1.0])) * 10.0 ** rng.uniform(-8, 3)
        out.append((a, a * float(rng.choice([0.0, rng.uniform(0, 1), 1e-2, 1.0]))))
    return out


def test_the_cosine_ramp_constants_round_to_its_first_value():
    """``M + H·cos θ``'s constants are floats of the format whose sum, added in that format, is the
    first level, and whose exact errors at both ends are within the bound docs/numerics.md uses; the
    common levels take that form in both formats."""
    from fractions import Fraction

    from lrcore._array import cos_mid_form

    rng = np.random.default_rng(20261209)
    taken = 0
    cases = _cosine_level_cases(rng)
    for a, b in cases:
        for width, dtype in ((32, np.float32), (64, np.float64)):
            form = cos_mid_form(a, b, width)
            if form is None:
                continue
            taken += 1
            m, h = form
            assert float(dtype(m)) == m and float(dtype(h)) == h, (a, b, width)
            assert dtype(m) + dtype(h) == dtype(a), (a, b, width)
            u = Fraction(1, 2 ** (24 if width == 32 else 53))
            err = max(abs(Fraction(m) + Fraction(h) - Fraction(a)), abs(Fraction(m) - Fraction(h) - Fraction(b)))
            assert err <= Fraction(177, 100) * u * Fraction(max(abs(a), abs(b))), (a, b, width)
            assert (Fraction(m) - Fraction(h)) * (1 if a > 0 else -1) >= 0, (a, b, width)  # on b's side of 0
    assert taken >= 2 * len(cases) - 4  # only the two subnormal float32 cases keep the other form
    assert cos_mid_form(1e-3, 1e-5, 32) is not None and cos_mid_form(0.1, 0.0, 32) == (0.05000000074505806,) * 2


def test_a_cheap_cosine_is_exact_at_both_ends(backend):
    """A cheap cosine decay is its first level at step 0 and its end level from ``decay_steps`` on,
    bit for bit, and a cheap restart cycle starts at exactly its peak, whichever form the levels
    take."""
    rng = np.random.default_rng(20261210)
    dtype = np.float32 if backend.bits == 32 else np.float64
    for a, b in _cosine_level_cases(rng):
        if backend.name == "jax" and 0.0 < abs(a) < float(np.finfo(dtype).smallest_normal):
            continue  # XLA flushes float32 subnormals to 0 (docs/numerics.md): NumPy and torch keep them
        d = int(rng.choice([1, 3, int(rng.integers(4, 1000)), int(rng.integers(1000, 2**24)), 2**24 + 3]))
        decay, restart = lrcore.cosine_decay(a, d, end_value=b), lrcore.cosine_restart(a, d, end_value=b)
        assert _cheap(decay) and _cheap(restart)
        steps = np.asarray([0, d, d + 1, 2 * d, backend.max_step], dtype=np.int64)
        got = backend.evaluate(decay, steps)
        assert got[0] == dtype(a) and np.all(got[1:] == dtype(b)), (decay, backend, got)
        starts = np.asarray([0, d, 2 * d, 7 * d], dtype=np.int64)
        assert np.all(backend.evaluate(restart, starts) == dtype(a)), (restart, backend)


def test_a_cosine_decay_to_zero_never_crosses_zero(backend):
    """Levels whose half is subnormal took ``a - H·(1 - cos θ)`` with ``H`` rounded up past half of
    the rounded level: one unit below 0 near the end (``cosine_decay(1.4863543407356894e-38,
    2**24 + 1)`` at step 2**24 - 1 in float32 was -1e-45; ``cosine_decay(3e-308, 2**40 + 1)`` at
    2**40 in float64 -5e-324). Such levels take the precise formula; no cheap constants let a value
    cross 0."""
    dtype = np.float32 if backend.bits == 32 else np.float64
    tiny = float(np.finfo(dtype).smallest_normal)
    rng = np.random.default_rng(20261211)
    levels = [1.4863543407356894e-38, 3e-308, 1e-310, 2.5 * tiny, 1.5 * tiny, tiny] + list(tiny * 10.0 ** rng.uniform(-3, 2, 12))
    for a in levels:
        for sign in (1.0, -1.0):
            for d in (3, 1000, 2**24 + 1, min(2**40 + 1, backend.max_step)):
                steps = np.asarray([s for s in (0, 1, d // 2, d - 3, d - 2, d - 1, d) if 0 <= s <= backend.max_step], dtype=np.int64)
                for schedule in (lrcore.cosine_decay(sign * a, d), lrcore.cosine_restart(sign * a, d)):
                    got = np.asarray(backend.evaluate(schedule, steps), dtype=np.float64)
                    assert np.all(sign * got >= 0.0), (schedule, backend, got)


def _subnormal_slope_cases(bits: int):
    """Ramps whose slope ``(b - a)/d`` is below the float format's smallest normal, the levels not."""
    if bits == 32:
        a, b, d = 0.0, 1e-30, 10**9
    else:
        a, b, d = 0.0, 1e-300, 2**61
    schedules = [
        lrcore.linear(a, b, d), lrcore.linear(b, a, d), lrcore.polynomial_decay(b, a, d),
        lrcore.polynomial_decay(a, b, d), lrcore.piecewise_linear([0, d], [a, b]),
        lrcore.piecewise_linear([0, d, 2 * d], [b, a, b]), lrcore.add([lrcore.linear(a, b, d), lrcore.constant(0.0)]),
    ]
    return d, schedules


def test_a_subnormal_ramp_slope_keeps_the_precise_formula():
    # 1e-30 over 1e9 steps: the slope 1e-39 is subnormal in float32 (flushed to 0 by JAX and
    # TensorFlow), normal in float64.
    s = lrcore.linear(0.0, 1e-30, 10**9)
    assert not _cheap(s, np.float32) and _cheap(s, np.float64)
    assert not _cheap(lrcore.linear(1e-300, 0.0, 2**61), np.float64)


def test_a_subnormal_ramp_slope_keeps_the_promise(backend):
    """The ramp ``a + j·C`` with a subnormal ``C`` sat at ``a`` to its end on JAX and TensorFlow
    (``C`` flushed to 0), and kept few digits elsewhere: float64 ``linear(1e-300, 0, 2**62)`` gave a
    negative value at its last step."""
    d, schedules = _subnormal_slope_cases(backend.bits)
    for schedule in schedules:
        steps = np.unique(np.asarray([0, 1, 2, 7, d // 10, d // 3, d // 2, d - 2, d - 1, d, d + 1, 2 * d - 1],
                                     dtype=np.int64))
        steps = steps[steps <= backend.max_step]
        want = reference.values_of(schedule.to_dict(), steps)
        got = backend.evaluate(schedule, steps)
        assert np.all(got >= 0.0), (schedule, got)
        # float32: the absolute floor 2**-124 of docs/numerics.md (JAX and TensorFlow flush
        # subnormal results to 0; the ramp's first steps are subnormal here).
        floor = 4 * float(np.finfo(np.float32).smallest_normal) if backend.bits == 32 else 0.0
        err = np.abs(got.astype(np.float64) - want)
        bound = 4 * 2.0 ** -(23 if backend.bits == 32 else 52) * float(np.max(np.abs(want))) + floor
        assert np.all(err <= bound), (schedule, backend.name, steps[err > bound], got[err > bound], want[err > bound])


def _end_cases(rng):
    """Cheap ramps, alone and in sums of two and three terms, with random levels and lengths:
    about a third need their slope one unit steeper to reach their end."""
    out = []
    for _ in range(20):
        a = float(rng.choice([1.0, -1.0])) * 10.0 ** rng.uniform(-6, 1)
        b = a * float(rng.choice([0.0, rng.uniform(0, 1), 1e-2, rng.uniform(1, 50)]))
        d = int(rng.choice([1, 3, int(rng.integers(4, 1000)), int(rng.integers(1000, 2**24)),
                            int(rng.integers(2**24, 2**31 - 1))]))
        ramp = lrcore.linear(a, b, d)
        out += [ramp, ramp + lrcore.linear(b, a, d // 2 + 1), lrcore.add([ramp, ramp, lrcore.constant(a)])]
    return out


def test_a_cheap_ramp_is_exact_at_both_ends(backend):
    """From ``j = d`` on, a cheap ramp is its end level, bit for bit, whichever way it holds it (a
    clamp at ``b`` where ``a + d·C`` reaches it, fused or not; a select on the step elsewhere), and
    at ``j = 0`` its start level."""
    rng = np.random.default_rng(20261208)
    for schedule in _end_cases(rng):
        ramp = schedule.params["schedules"][0] if schedule.name == "add" else schedule
        assert _cheap(schedule)
        p = ramp.params
        d, a, b = p["transition_steps"], p["init_value"], p["end_value"]
        steps = np.asarray([0, d, d + 1, 2 * d, backend.max_step], dtype=np.int64)
        steps = steps[steps <= backend.max_step]
        got = backend.evaluate(ramp, steps)
        dtype = np.float32 if backend.bits == 32 else np.float64
        assert got[0] == dtype(a), (ramp, backend)
        assert np.all(got[1:] == dtype(b)), (ramp, backend, got[1:], dtype(b))
        if schedule is not ramp:  # a sum's terms: each at its end from its own d on
            want = sum(float(dtype(t.params.get("end_value", t.params.get("value")))) for t in schedule.params["schedules"])
            late = backend.evaluate(schedule, np.asarray([min(2 * d + 2, backend.max_step)], dtype=np.int64))
            assert abs(float(late[0]) - want) <= 4 * float(np.finfo(dtype).eps) * abs(want), (schedule, backend)


def _has_select(schedule) -> bool:
    import jax
    import jax.numpy as jnp

    import lrcore.jax

    return "select_n" in str(jax.make_jaxpr(lrcore.jax.JaxSchedule(schedule))(jnp.arange(8, dtype=jnp.int32)))


def test_a_ramp_clamps_at_its_end_where_the_budget_allows():
    """Under XLA a select on the step costs about 6% more than a clamp at the end level (a sum of
    two ramps, 1M steps). float32 ``linear(1e-3, 0, 10**6)`` reaches 0 at ``j = d`` only with its
    slope one unit steeper (2u more error): alone or in a sum of two (8u, 7u of budget), the ramp
    takes that slope and a clamp; in a sum of three (6u), its rounded slope and a select."""
    steep = lrcore.linear(1e-3, 0.0, 10**6)
    plain = lrcore.linear(0.0, 1e-4, 5 * 10**5)  # reaches its end with the rounded slope
    assert not _has_select(steep)
    assert not _has_select(steep + plain)
    assert _has_select(lrcore.add([steep, plain, plain]))
    assert not _has_select(lrcore.add([plain, plain, plain]))


def test_a_cheap_ramp_has_one_value_per_step_alone_and_in_an_array(backend):
    """NumPy evaluates an array of steps with its own in-place ramp, which kept the rounded slope
    and a select while a step alone took the clamp and the slope one unit steeper: the same step
    differed in the last bit (a third of the levels), and float32 arrays of a decay to 0 went
    below 0 where the float step rounds past ``d``. Every step of an array has the bits it has
    alone, and no value passes the end level."""
    rng = np.random.default_rng(20261209)
    dtype = np.float32 if backend.bits == 32 else np.float64
    for schedule in _end_cases(rng):
        ramp = schedule.params["schedules"][0] if schedule.name == "add" else schedule
        d, a, b = ramp.params["transition_steps"], ramp.params["init_value"], ramp.params["end_value"]
        steps = np.unique(np.clip(np.asarray([0, 1, d // 2, d - 3, d - 2, d - 1, d, d + 1, *rng.integers(0, 2 * d + 2, 12)],
                                             dtype=np.int64), 0, backend.max_step))
        together = backend.evaluate(schedule, steps)
        alone = np.asarray([backend.evaluate(schedule, np.asarray(k))[()] for k in steps])
        np.testing.assert_array_equal(together.view(np.uint8), alone.astype(together.dtype).view(np.uint8),
                                      err_msg=f"{schedule!r} on {backend}")
        values = backend.evaluate(ramp, steps)
        lo, hi = sorted((dtype(a), dtype(b)))
        assert np.all((values >= lo) & (values <= hi)), (ramp, backend, values[(values < lo) | (values > hi)])
