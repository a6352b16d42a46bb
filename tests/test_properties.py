"""Property tests over every schedule (including nested combinators), on every backend.

The promises checked (docs/step.md): an array of steps evaluates like each step alone; a
schedule is a pure function of the step (cold = after a history); negative steps are step 0;
shapes are preserved; values are finite for valid parameters at every representable step. Plus
the combinator algebra: join identities, scale, clip.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lrcore

from . import strategies as S
from .helpers import assert_ulp_close

# Examples per backend. JAX compiles every evaluation, so its tests batch many steps per example
# (one compilation checks them all) rather than draw fewer examples: a one-ulp difference that only
# some parameter combinations show must still be found there. The budgets are the CI profile's
# (derandomized, tests/conftest.py); `HYPOTHESIS_PROFILE=explore` multiplies them.
EXAMPLES = {"numpy": 40, "array_api_strict": 16, "jax": 16, "torch": 16}


def _budget(n: float) -> int:
    """``n`` examples in the CI profile, proportionally more under a wider profile."""
    return max(3, int(n * settings.default.max_examples / 60))


def _run(backend, test, *strategies, factor=1.0):
    """Run the hypothesis ``test`` with a per-backend example budget."""
    n = _budget(EXAMPLES[backend.name] * factor)
    settings(max_examples=n)(given(*strategies)(test))()


def _evaluate_each(backend, schedule, steps):
    """Each step alone, as a 0-d array of the backend (a Python int on NumPy)."""
    if backend.name == "numpy":
        return np.array([schedule(int(k)) for k in steps], dtype=np.float64)
    if backend.name == "jax":
        import jax
        import jax.numpy as jnp

        f = jax.jit(lambda k: schedule(k))  # one compilation for every 0-d int32 step
        return np.array([np.float64(f(jnp.asarray(k, dtype=jnp.int32))) for k in steps])
    return np.array([backend.evaluate(schedule, np.asarray(k, dtype=np.int64))[()] for k in steps])


def _same_bits(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape
    assert np.array_equal(a.view(np.int64), b.view(np.int64)), f"{a} != {b}"


def _same_algebra(backend, a, b):
    """Two equivalent schedule structures: bit-identical, except that XLA fuses two different
    graphs differently under JAX's jit (one float32 rounding apart), so there the ulp promise."""
    if backend.name == "jax":
        assert_ulp_close(a, b, bits=32, ulps=2)
    else:
        _same_bits(a, b)


def _same_values(a, b):
    """Equal values (0.0 == -0.0: libraries differ on the sign of a zero picked by max/min)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape and np.array_equal(a, b), f"{a} != {b}"


def test_array_equals_each_step_alone(backend):
    def check(s, steps):
        _same_bits(backend.evaluate(s, np.asarray(steps, dtype=np.int64)), _evaluate_each(backend, s, steps))

    _run(backend, check, S.schedules(), S.steps(backend.max_step, max_size=6), factor=0.7)


@pytest.mark.parametrize("name", S.LEAVES)
def test_array_equals_each_step_alone_every_leaf(backend, name):
    """Each leaf on its own draw (none crowded out), ~170 steps per example: dense 0..150 (every
    landmark, warmup and restart of the short lengths drawn) plus drawn huge and negative steps."""

    def check(kwargs, steps):
        s = getattr(lrcore, name)(**kwargs)
        _same_bits(backend.evaluate(s, np.asarray(steps, dtype=np.int64)), _evaluate_each(backend, s, steps))

    _run(backend, check, S.kwargs_for(name), S.step_batches(backend.max_step), factor=1.0)


# -- every adapter, eager and compiled ---------------------------------------------------------------
def _adapter_mode(mode):
    """``(bind, largest step)`` for an adapter in an execution mode: ``bind(schedule)`` gives a
    function of int64 NumPy steps returning float64 NumPy values, through ``lrcore.jax`` eager or
    under ``jax.jit``, or ``lrcore.tf`` eager, in a ``tf.function`` graph or compiled with XLA (one
    function per schedule, traced once per step shape)."""
    if mode.startswith("jax"):
        import jax
        import jax.numpy as jnp

        import lrcore.jax as lj

        def bind(s):
            f = lj.from_schedule(s)
            f = jax.jit(f) if mode == "jax-jit" else f
            return lambda steps: np.asarray(f(jnp.asarray(steps, dtype=jnp.int32)), dtype=np.float64)

        return bind, 2**31 - 1
    import tensorflow as tf

    import lrcore.tf as ltf

    def bind(s):
        f = ltf.from_schedule(s)
        if mode != "tf-eager":
            f = tf.function(f, jit_compile=mode == "tf-xla", reduce_retracing=False)
        return lambda steps: np.asarray(f(tf.constant(np.asarray(steps, dtype=np.int64))), dtype=np.float64)

    return bind, 2**63 - 1


ADAPTER_MODES = ["jax-eager", "jax-jit", "tf-eager", "tf-function", "tf-xla"]


def _array_and_each(bind, s, steps):
    """The schedule on the step array, and on each step alone (0-d)."""
    f, steps = bind(s), np.asarray(steps, dtype=np.int64)
    return f(steps), np.array([f(k)[()] for k in steps])


def test_array_equals_each_step_alone_regression():
    """The case that showed it: XLA divides a 0-d array by a scalar but multiplies an array by the
    scalar's reciprocal (eager JAX), and TensorFlow's kernels compute exp/sin/cos of a 0-d tensor
    and of an array's tail with scalar code; 80 of 300 steps differed by an ulp (eager JAX), 24
    (TensorFlow)."""
    s = lrcore.cosine_restart(1.0, first_period=37, warmup_steps=9, peak_mul=0.5)
    steps = np.arange(300)
    for mode in ADAPTER_MODES:
        bind, _ = _adapter_mode(mode)
        _same_bits(*_array_and_each(bind, s, steps))
        # and in arrays of short lengths (XLA's exp differs on 3, 5, 6 and 7 elements)
        f = bind(s)
        whole = f(steps[:64])
        for n in (1, 2, 3, 5, 6, 7, 9, 17):
            _same_bits(np.concatenate([f(steps[i : i + n]) for i in range(0, 64, n)])[:64], whole)


@pytest.mark.parametrize("mode", ADAPTER_MODES)
def test_array_equals_each_step_alone_in_every_adapter(mode):
    """Every adapter, eager and compiled, gives a step the bits it has in an array of any length."""
    bind, max_step = _adapter_mode(mode)

    def check(s, steps):
        _same_bits(*_array_and_each(bind, s, steps))

    n = _budget(20 if mode.endswith("eager") else 8)
    settings(max_examples=n)(given(S.schedules(max_leaves=3), S.steps(max_step, max_size=9))(check))()


@pytest.mark.parametrize("mode", ["jax-eager", "tf-eager"])
@pytest.mark.parametrize("name", S.LEAVES)
def test_array_equals_each_step_alone_every_leaf_eager(mode, name):
    """Each leaf on its own draw, eagerly: a dense run of steps (its landmarks) against each alone."""
    bind, max_step = _adapter_mode(mode)

    def check(kwargs, steps):
        _same_bits(*_array_and_each(bind, getattr(lrcore, name)(**kwargs), steps))

    dense = S.steps(max_step, max_size=6).map(lambda extra: list(range(0, 60, 3)) + extra)
    settings(max_examples=_budget(4))(given(S.kwargs_for(name), dense)(check))()


def test_steps_of_every_dtype_are_their_integer_steps(backend):
    """A step of any real dtype is its floor, clamped into [0, the backend's largest step]: NaN gives
    NaN, -inf is step 0, +inf and steps past the integer range (unsigned ones too) the last step."""

    def check(s, typed):
        dtype, values, expected = typed
        got = backend.evaluate_array(s, backend.array(values, dtype))
        assert got.shape == values.shape
        nan = np.array([e is None for e in expected], dtype=bool)
        ints = np.asarray([0 if e is None else e for e in expected], dtype=np.int64)
        want = backend.evaluate(s, ints)
        assert np.array_equal(np.isnan(got), nan), (s, dtype, values, got)
        _same_bits(got[~nan], want[~nan])

    _run(backend, check, S.schedules(max_leaves=2), S.typed_steps(backend.step_dtypes, backend.max_step), factor=1.0)


def test_finite_with_levels_up_to_the_float_limit(backend):
    """Levels up to a quarter of the backend's largest float give finite values, within the ulp
    promise of the exact reference."""
    from tests import reference

    limit = float(np.finfo(np.float32 if backend.bits == 32 else np.float64).max) / 4

    def check(s, exponent, steps):
        largest = max(lrcore.schedule.value_bound(s), 1.0)
        big = S.scaled_levels(s, limit / largest * 2.0**-exponent)
        steps = np.asarray(steps, dtype=np.int64)
        got = backend.evaluate(big, steps)
        assert np.all(np.isfinite(got)), (big, steps, got)
        assert_ulp_close(got, reference.values_of(big.to_dict(), steps), backend.bits, scale=got_scale(big, steps))

    def got_scale(big, steps):
        want = reference.values_of(big.to_dict(), np.concatenate([[0], steps]))
        return max(float(np.max(np.abs(want))), float(abs(reference.value_of(big.to_dict(), 0))))

    _run(backend, check, S.leaf_schedules(), st.integers(0, 40), S.steps(backend.max_step), factor=0.5)


def test_cold_equals_after_history(backend):
    def check(s, k):
        fresh = lrcore.from_dict(s.to_dict())
        cold = backend.evaluate(fresh, np.asarray([k]))
        backend.evaluate(s, np.arange(k))
        after = backend.evaluate(s, np.asarray([k]))
        _same_bits(cold, after)
        _same_bits(cold, backend.evaluate(s, np.asarray([k])))

    _run(backend, check, S.schedules(), st.integers(0, 150), factor=0.5)


def test_negative_step_is_step_zero(backend):
    def check(s, negative):
        got = backend.evaluate(s, np.asarray([negative, -1, 0], dtype=np.int64))
        _same_bits(got, np.full(3, got[2]))

    _run(backend, check, S.schedules(), st.integers(-(2**31), -1))


@pytest.mark.parametrize("shape", [(), (5,), (2, 3)], ids=["0d", "1d", "2d"])
def test_shape_preserved_and_values_finite(backend, shape):
    size = int(np.prod(shape))

    def check(s, steps):
        steps = np.asarray(steps, dtype=np.int64).reshape(shape)
        got = backend.evaluate(s, steps)  # the fixture checks the shape and dtype
        assert np.all(np.isfinite(got)), (s, steps, got)

    _run(backend, check, S.schedules(), S.steps(backend.max_step, max_size=size).map(lambda x: (x * size)[:size]), factor=0.5)


def test_finite_at_huge_steps(backend):
    huge = np.asarray([backend.max_step, backend.max_step - 1, backend.max_step // 2, 2**31 - 1, 2**24 + 1])

    def check(s):
        got = backend.evaluate(s, huge)
        assert np.all(np.isfinite(got)), (s, got)

    _run(backend, check, S.schedules())


@pytest.mark.parametrize("name", S.LEAVES)
def test_every_leaf_finite_at_landmarks_numpy(name):
    """Each leaf alone (so that none is crowded out of the draw), on NumPy at small and huge steps."""
    steps = np.concatenate([np.arange(-2, 70), [2**31 - 1, 2**62, 2**63 - 2, 2**63 - 1]])

    @settings(max_examples=25)
    @given(S.kwargs_for(name))
    def check(kwargs):
        s = getattr(lrcore, name)(**kwargs)
        got = s(steps)
        assert got.dtype == np.float64 and got.shape == steps.shape
        assert np.all(np.isfinite(got)), (s, got)
        _same_bits(got[:3], np.full(3, got[2]))  # steps -2, -1 are step 0

    check()


# -- combinator algebra ----------------------------------------------------------------------------


def test_join_of_one_is_the_schedule(backend):
    def check(f, steps):
        _same_algebra(backend, backend.evaluate(lrcore.join([f], []), steps), backend.evaluate(f, steps))

    _run(backend, check, S.schedules(max_leaves=2), S.steps(backend.max_step).map(np.asarray), factor=0.5)


@st.composite
def _flatten_case(draw):
    a, b, c = (draw(S.leaf_schedules()) for _ in range(3))
    inner = draw(st.integers(0, 60))
    outer = inner + draw(st.integers(0, 60))
    return a, b, c, inner, outer


def test_nested_joins_flatten(backend):
    def check(case, steps):
        a, b, c, inner, outer = case
        steps = np.asarray(steps)
        # Nested first: join([join([a, b], [inner]), c], [outer]) == join([a, b, c], [inner, outer]).
        left = lrcore.join([lrcore.join([a, b], [inner]), c], [outer])
        _same_algebra(backend, backend.evaluate(left, steps), backend.evaluate(lrcore.join([a, b, c], [inner, outer]), steps))
        # Nested last: join([a, join([b, c], [inner])], [outer]) == join([a, b, c], [outer, outer + inner]).
        right = lrcore.join([a, lrcore.join([b, c], [inner])], [outer])
        flat = lrcore.join([a, b, c], [outer, outer + inner])
        _same_algebra(backend, backend.evaluate(right, steps), backend.evaluate(flat, steps))

    _run(backend, check, _flatten_case(), S.steps(backend.max_step).map(lambda x: x + list(range(0, 130, 7))), factor=0.5)


def test_zero_length_segments_are_skipped(backend):
    def check(abc, b, steps):
        a, dropped, c = abc
        steps = np.asarray(steps + [b - 1, b, b + 1])
        with_empty = lrcore.join([a, dropped, c], [b, b])
        _same_algebra(backend, backend.evaluate(with_empty, steps), backend.evaluate(lrcore.join([a, c], [b]), steps))

    _run(
        backend, check, st.tuples(S.leaf_schedules(), S.leaf_schedules(), S.leaf_schedules()),
        st.integers(0, 100), S.steps(backend.max_step), factor=0.5,
    )


def test_scale_equals_multiplication(backend):
    def check(s, factor, steps):
        steps = np.asarray(steps)
        scaled = lrcore.scale(s, factor)
        assert scaled == factor * s == s * factor
        assert hash(scaled) == hash(s * factor)
        got = backend.evaluate(scaled, steps)
        _same_bits(got, backend.evaluate(factor * s, steps))
        _same_bits(got, backend.evaluate(s * factor, steps))
        # Against the unscaled values: one rounding of the product in the backend's precision.
        # scale evaluates its schedule with the precise formulas, as scale(s, 1.0) does (exactly).
        dtype = np.float64 if backend.bits == 64 else np.float32
        base = backend.evaluate(lrcore.scale(s, 1.0), steps).astype(dtype)
        _same_algebra(backend, got, (base * dtype(factor)).astype(np.float64))

    _run(backend, check, S.schedules(max_leaves=3), S.levels(-4.0, 4.0), S.steps(backend.max_step), factor=0.5)


def test_clip_bounds(backend):
    def check(s, bounds, steps):
        lo, hi = sorted(bounds)
        steps = np.asarray(steps)
        dtype = np.float64 if backend.bits == 64 else np.float32
        # clip bounds its schedule's precise values, which scale(s, 1.0) gives exactly.
        base = backend.evaluate(lrcore.scale(s, 1.0), steps)
        both = backend.evaluate(lrcore.clip(s, min_value=lo, max_value=hi), steps)
        assert np.all(both >= float(dtype(lo))) and np.all(both <= float(dtype(hi)))
        _same_values(both, np.clip(base, float(dtype(lo)), float(dtype(hi))))
        _same_values(backend.evaluate(lrcore.clip(s, min_value=lo), steps), np.maximum(base, float(dtype(lo))))
        _same_values(backend.evaluate(lrcore.clip(s, max_value=hi), steps), np.minimum(base, float(dtype(hi))))

    _run(backend, check, S.schedules(max_leaves=3), st.tuples(S.values, S.values), S.steps(backend.max_step), factor=0.4)
