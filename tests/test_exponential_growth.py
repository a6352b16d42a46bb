"""exponential_decay with decay_rate > 1: growth without bound (as TF1, Keras and optax) or up to an
end_value ceiling, within 4 ulp of the exact value itself at every step, held at the float dtype's
largest finite value past its range: never inf, never NaN.

The exact reference is tests/reference.py (mpmath at 50 digits, the staircase decided on integers).
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

import lrcore
from tests import reference
from tests.helpers import MANTISSA, assert_ulp_close

FMAX = {32: float(np.finfo(np.float32).max), 64: float(np.finfo(np.float64).max)}

# (init_value, decay_steps, decay_rate, staircase, transition_begin)
CASES = {
    "finder": (1e-7, 3, 1.5, False, 0),
    "slow": (1e-8, 1, 1.0001, False, 0),
    "very-slow": (0.3, 7, 1.000001, False, 1000),
    "slow-long-period": (1e-3, 10**9 + 7, 2.0, False, 0),
    "fast": (5.0, 1, 3.0, False, 0),
    "huge-rate": (1e-30, 1, 1e30, False, 0),
    "staircase": (2.0, 2**20 + 1, 1e6, True, 0),
    "staircase-begin": (1e-4, 13, 1.7, True, 40),
    "negative": (-0.5, 5, 1.2, False, 0),
    "big-init": (3.0e38, 1000, 1.01, False, 0),
}


def _steps(case, backend) -> np.ndarray:
    """0..300, a geometric sweep to the backend's largest step, and ±3 around where the exact
    value passes the float maximum (the saturation landmark)."""
    v0, d, rate, staircase, begin = case
    top = backend.max_step
    steps = set(range(0, 300)) | {int(x) for x in np.geomspace(1, top, 500)} | {top, top - 1, 2**31 - 1}
    cross = begin + d * ((math.log(FMAX[backend.bits]) - math.log(abs(v0))) / math.log(rate))
    for c in (cross, cross - d, cross + d) if cross < 2.0**64 else ():
        steps |= {int(c) + i for i in range(-3, 4)}
    return np.array(sorted(s for s in steps if 0 <= s <= top), dtype=np.int64)


def _exact(schedule, steps):
    d = schedule.to_dict()
    return [reference.value_of(d, int(k)) for k in steps]


def assert_growth_close(got, exact, bits, context=""):
    """4 ulp of the exact value itself; exactly ±max of the dtype where the exact value is beyond it."""
    fmax = FMAX[bits]
    got = np.asarray(got, dtype=np.float64)
    assert np.all(np.isfinite(got)), f"non-finite values {context}"
    ulp = 2.0 ** -MANTISSA[bits]
    for g, e in zip(got.tolist(), exact):
        if abs(e) >= fmax:
            assert g == math.copysign(fmax, e), f"{g!r} != ±max for exact {mpmath.nstr(e, 8)} {context}"
        else:
            err = abs(mpmath.mpf(g) - e)
            assert err <= 4 * ulp * abs(e), (
                f"error {mpmath.nstr(err / (ulp * abs(e)), 4)} ulp: got {g!r}, exact {mpmath.nstr(e, 20)} {context}"
            )


@pytest.mark.parametrize("name", sorted(CASES))
def test_growth_is_exact_to_the_dtype_and_held_at_its_maximum(backend, name):
    v0, d, rate, staircase, begin = CASES[name]
    s = lrcore.exponential_decay(v0, d, rate, staircase=staircase, transition_begin=begin)
    steps = _steps(CASES[name], backend)
    got = backend.evaluate(s, steps)
    assert_growth_close(got, _exact(s, steps), backend.bits, context=f"{s!r} on {backend}")


def test_growth_past_the_float_range_holds_the_largest_finite_value(backend):
    s = lrcore.exponential_decay(1e-3, 1, 2.0)
    steps = np.array([0, 10, 100, 200, 1000, 5000, 2**31 - 1], dtype=np.int64)
    got = backend.evaluate(s, steps)
    assert got[-1] == FMAX[backend.bits] and np.all(np.diff(got) >= 0)
    assert np.all(backend.evaluate(lrcore.exponential_decay(-1e-3, 1, 2.0), steps) == -got)


@pytest.mark.parametrize("staircase", [False, True])
def test_zero_init_stays_zero(backend, staircase):
    s = lrcore.exponential_decay(0.0, 3, 10.0, staircase=staircase)
    steps = np.array([0, 1, 5, 100, 10**4, 2**31 - 1], dtype=np.int64)
    np.testing.assert_array_equal(backend.evaluate(s, steps), np.zeros(len(steps)))


def test_growth_without_a_ceiling_is_accepted_but_a_negative_start_under_one_is_refused():
    s = lrcore.exponential_decay(1e-3, decay_steps=10, decay_rate=2.0)
    assert s.params["end_value"] is None and float(s(10)) == pytest.approx(2e-3, rel=1e-15)
    with pytest.raises(ValueError, match="`init_value`.*init_value=-1.0"):
        lrcore.exponential_decay(-1.0, decay_steps=10, decay_rate=2.0, end_value=1.0)


@pytest.mark.parametrize("init_value", [0.0, 1e-7, 0.5])
def test_growth_is_capped_at_the_ceiling_at_every_magnitude(backend, init_value):
    s = lrcore.exponential_decay(init_value, decay_steps=3, decay_rate=1.5, end_value=1.0)
    steps = np.array([0, 1, 2, 3, 10, 100, 10_000, backend.max_step])
    got = backend.evaluate(s, steps)
    # Plain-float reference: min(init · 1.5**(k/3), 1), compared in log space (log 1 = 0).
    want = [
        0.0 if init_value == 0.0 else math.exp(min(math.log(init_value) + (k / 3) * math.log(1.5), 0.0))
        for k in steps.tolist()
    ]
    # The precision promise: 4 ulp of the schedule's largest value (the ceiling, 1.0).
    assert_ulp_close(got, want, backend.bits, scale=1.0)


def test_growth_under_jax_with_array_levels():
    """A level given as a JAX array (traced under jit/vmap) takes the same path, finite everywhere."""
    import jax
    import jax.numpy as jnp

    import lrcore.jax

    steps = jnp.asarray([0, 3, 300, 3000, 2**31 - 1], dtype=jnp.int32)
    fn = jax.jit(jax.vmap(lambda v0: lrcore.jax.exponential_decay(v0, 3, 1.5)(steps)))
    got = np.asarray(fn(jnp.asarray([1e-7, 0.0, -2.0], dtype=jnp.float32)), dtype=np.float64)
    assert np.all(np.isfinite(got))
    want = lrcore.exponential_decay(1e-7, 3, 1.5).evaluate(np.asarray(steps), dtype=np.float32)
    np.testing.assert_allclose(got[0], want, rtol=8 * 2.0**-23)
    np.testing.assert_array_equal(got[1], np.zeros(5))
    assert got[2, -1] == -FMAX[32] and got[0, -1] == FMAX[32]


@pytest.mark.parametrize("name", ["finder", "staircase-begin", "negative"])
def test_an_array_of_steps_equals_each_step_alone(backend, name):
    v0, d, rate, staircase, begin = CASES[name]
    s = lrcore.exponential_decay(v0, d, rate, staircase=staircase, transition_begin=begin)
    # (few steps: the JAX backend compiles once per call)
    steps = np.concatenate([np.arange(0, 12), np.geomspace(12, 2**31 - 1, 16).astype(np.int64)])
    together = backend.evaluate(s, steps)
    alone = np.array([backend.evaluate(s, np.array([k]))[0] for k in steps])
    np.testing.assert_array_equal(together, alone)


def test_growth_with_torch_tensor_levels():
    import torch

    import lrcore.torch

    steps = torch.as_tensor([0, 3, 300, 3000, 2**40])
    got = lrcore.torch.exponential_decay(torch.tensor(1e-7), 3, 1.5)(steps).double().numpy()
    want = lrcore.torch.exponential_decay(1e-7, 3, 1.5)(steps).double().numpy()
    np.testing.assert_allclose(got, want, rtol=8 * 2.0**-23)
    assert got[-1] == FMAX[32]
    assert np.all(lrcore.torch.exponential_decay(torch.tensor(0.0), 3, 1.5)(steps).numpy() == 0.0)
